/**
 * The few ORM calls `invoice push` makes, over either of Odoo's external APIs:
 * - JSON-2 (Odoo 19+, odoo/documentation external_api.rst): `POST /json/2/<model>/<method>` with
 *   `Authorization: bearer <API key>`, `X-Odoo-Database`, and the method's parameters by name in
 *   a JSON body (`ids`, `context`, `domain`, `fields`, `vals_list`…); 200 with the JSON return
 *   value, or 4xx/5xx with `{name, message, arguments, context, debug}`. One transaction per call.
 * - XML-RPC (`/xmlrpc/2/object` execute_kw, every version; deprecated from 19.0), through
 *   src/lib/odoo's OdooClient, with positional arguments as Odoo's own examples use them.
 */
import {json2Call, type HttpTransport, type OdooSession} from '../../odoo/index.js'

export type Domain = (string | [string, string, unknown])[]

export interface OdooApi {
  readonly protocol: 'json-2' | 'xml-rpc'
  /** `search_read`: records with their id and the fields asked for. */
  searchRead<T extends {id: number}>(model: string, domain: Domain, fields: string[], options?: {limit?: number; context?: Record<string, unknown>}): Promise<T[]>
  /** `create` of one record; its id. */
  create(model: string, values: Record<string, unknown>): Promise<number>
  /** A method on records (`action_post`). */
  callOnRecords(model: string, method: string, ids: number[]): Promise<unknown>
  /**
   * `fields_get(allfields, attributes)`: the description of some fields, by name (a field the
   * user may not read is left out). Float fields answer `digits: [precision, scale]`, or false
   * when the column keeps every digit (odoo/fields.py `_description_digits`).
   */
  fieldsGet(model: string, fields: string[], attributes: string[]): Promise<Record<string, Record<string, unknown>>>
  /** `unlink` of records (a draft move this run created). */
  unlink(model: string, ids: number[]): Promise<unknown>
}

export class XmlRpcApi implements OdooApi {
  readonly protocol = 'xml-rpc' as const
  constructor(private readonly session: OdooSession) {}

  async searchRead<T extends {id: number}>(model: string, domain: Domain, fields: string[], options: {limit?: number; context?: Record<string, unknown>} = {}): Promise<T[]> {
    return this.session.call<T[]>(model, 'search_read', [domain], {fields, ...(options.limit ? {limit: options.limit} : {}), ...(options.context ? {context: options.context} : {})})
  }

  async create(model: string, values: Record<string, unknown>): Promise<number> {
    // models.py create(vals_list): a single dict answers a single id.
    const id = await this.session.call<number | number[]>(model, 'create', [values])
    return Array.isArray(id) ? id[0] : id
  }

  async callOnRecords(model: string, method: string, ids: number[]): Promise<unknown> {
    return this.session.call(model, method, [ids])
  }

  async fieldsGet(model: string, fields: string[], attributes: string[]): Promise<Record<string, Record<string, unknown>>> {
    return this.session.call(model, 'fields_get', [fields], {attributes})
  }

  async unlink(model: string, ids: number[]): Promise<unknown> {
    return this.session.call(model, 'unlink', [ids])
  }
}

/** Suggestions for a refused key here: the partner's own key, given on the command line. */
const PUSH_AUTH_SUGGESTIONS = ['Create an API key in Odoo (Preferences → Account Security → New API Key) and pass it with --api-key or ODOOPS_ODOO_API_KEY; keys expire (at most 3 months).']

export class Json2Api implements OdooApi {
  readonly protocol = 'json-2' as const
  constructor(
    private readonly transport: HttpTransport,
    private readonly db: string,
    private readonly apiKey: string,
  ) {}

  /** One JSON-2 call (src/lib/odoo/json2.ts: HTTP, and Odoo's errors as ODOO_AUTH_FAILED / ODOO_JSON2_ERROR). */
  async call<T>(model: string, method: string, body: Record<string, unknown>): Promise<T> {
    return json2Call<T>(this.transport, {db: this.db, apiKey: this.apiKey, authSuggestions: PUSH_AUTH_SUGGESTIONS}, model, method, body)
  }

  async searchRead<T extends {id: number}>(model: string, domain: Domain, fields: string[], options: {limit?: number; context?: Record<string, unknown>} = {}): Promise<T[]> {
    return this.call<T[]>(model, 'search_read', {domain, fields, ...(options.limit ? {limit: options.limit} : {}), ...(options.context ? {context: options.context} : {})})
  }

  async create(model: string, values: Record<string, unknown>): Promise<number> {
    const ids = await this.call<number[] | number>(model, 'create', {vals_list: [values]})
    return Array.isArray(ids) ? ids[0] : ids
  }

  async callOnRecords(model: string, method: string, ids: number[]): Promise<unknown> {
    return this.call(model, method, {ids})
  }

  async fieldsGet(model: string, fields: string[], attributes: string[]): Promise<Record<string, Record<string, unknown>>> {
    return this.call(model, 'fields_get', {allfields: fields, attributes})
  }

  async unlink(model: string, ids: number[]): Promise<unknown> {
    return this.call(model, 'unlink', {ids})
  }
}

/**
 * The few ORM calls `invoice push` makes, over either of Odoo's external APIs:
 * - JSON-2 (Odoo 19+, odoo/documentation external_api.rst): `POST /json/2/<model>/<method>` with
 *   `Authorization: bearer <API key>`, `X-Odoo-Database`, and the method's parameters by name in
 *   a JSON body (`ids`, `context`, `domain`, `fields`, `vals_list`…); 200 with the JSON return
 *   value, or 4xx/5xx with `{name, message, arguments, context, debug}`. One transaction per call.
 * - XML-RPC (`/xmlrpc/2/object` execute_kw, every version; deprecated from 19.0), through
 *   src/lib/odoo's OdooClient, with positional arguments as Odoo's own examples use them.
 */
import {OdoopsError} from '../../errors.js'
import type {HttpTransport, OdooSession} from '../../odoo/index.js'

export type Domain = (string | [string, string, unknown])[]

export interface OdooApi {
  readonly protocol: 'json-2' | 'xml-rpc'
  /** `search_read`: records with their id and the fields asked for. */
  searchRead<T extends {id: number}>(model: string, domain: Domain, fields: string[], options?: {limit?: number; context?: Record<string, unknown>}): Promise<T[]>
  /** `create` of one record; its id. */
  create(model: string, values: Record<string, unknown>): Promise<number>
  /** A method on records (`action_post`). */
  callOnRecords(model: string, method: string, ids: number[]): Promise<unknown>
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
}

interface Json2Error {
  name?: string
  message?: string
}

export class Json2Api implements OdooApi {
  readonly protocol = 'json-2' as const
  constructor(
    private readonly transport: HttpTransport,
    private readonly db: string,
    private readonly apiKey: string,
  ) {}

  async call<T>(model: string, method: string, body: Record<string, unknown>): Promise<T> {
    const path = `/json/2/${model}/${method}`
    const response = await this.transport.request(path, {
      method: 'POST',
      headers: {'Content-Type': 'application/json; charset=utf-8', Authorization: `bearer ${this.apiKey}`, 'X-Odoo-Database': this.db},
      body: JSON.stringify(body),
    })
    const text = response.body.toString('utf8')
    let parsed: unknown
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      throw new OdoopsError('ODOO_JSON2_INVALID_RESPONSE', `${this.transport.description ?? 'Odoo'} answered HTTP ${response.status} to POST ${path} with something that is not JSON: ${text.slice(0, 160)}`, {
        suggestions: ['Check that the URL leads to Odoo 19 or later (the JSON-2 API starts with 19.0).'],
      })
    }
    if (response.status === 200) return parsed as T
    const error = (parsed ?? {}) as Json2Error
    const message = error.message ?? `HTTP ${response.status}`
    if (response.status === 401 || response.status === 403) {
      throw new OdoopsError('ODOO_AUTH_FAILED', `Odoo refused the API key for database "${this.db}" at ${this.transport.description ?? 'Odoo'} (HTTP ${response.status}): ${message}`, {
        suggestions: ['Create an API key in Odoo (Preferences → Account Security → New API Key) and pass it with --api-key or ODOOPS_ODOO_API_KEY; keys expire (at most 3 months).'],
        data: {status: response.status, call: `${model}.${method}`},
      })
    }
    throw new OdoopsError('ODOO_JSON2_ERROR', `Odoo refused ${model}.${method} on database "${this.db}" (HTTP ${response.status}, ${error.name ?? 'error'}): ${message}`, {
      suggestions: ["The full traceback is in the Odoo server log (and in the answer's debug field)."],
      data: {status: response.status, call: `${model}.${method}`, exception: error.name},
    })
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
}

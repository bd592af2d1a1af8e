/**
 * Odoo's JSON-2 API (19.0+, addons/rpc/controllers/json2.py `web_json_2_rpc`):
 * `POST /json/2/<model>/<method>` with `Authorization: bearer <API key>` (ir_http.py
 * `_auth_method_bearer`: a key of any user, scope NULL), `X-Odoo-Database: <db>` (which must pass
 * the service's dbfilter, http.py `_get_session_and_dbname`: send the tenant's Host) and a JSON
 * body of NAMED parameters: `ids` (the records; refused with 422 for `@api.model` methods),
 * `context`, and the method's own parameter names. The answer is the method's JSON return value
 * (a recordset becomes its ids), or, on error, HTTP 4xx/5xx with
 * `{name, message, arguments, context, debug}` (http.py `Json2Dispatcher.handle_error`,
 * `serialize_exception`): 401 for an unknown key, 403 AccessDenied/AccessError, 404 for an
 * unknown model or method, 422 UserError/ValidationError and bad arguments, 500 anything else.
 * Each call is one transaction.
 *
 * `Json2Session` gives the positional `call(model, method, args, kwargs)` of XML-RPC's
 * execute_kw (the `OdooSession` packs program against) on top of it: positional arguments are
 * named with a table of the ORM methods odoops and packs use (signatures of 19.0's
 * odoo/orm/models.py unless noted); any other method takes at most its records (`ids`) by
 * position, everything else by name.
 */
import {OdoopsError} from '../errors.js'
import type {OdooSession} from './client.js'
import {odooError} from './errors.js'
import type {HttpTransport} from './transport.js'
import type {XmlRpcValue} from './xmlrpc.js'

/** The first major version with the JSON-2 API (and API keys as odoops' own credential). */
export const JSON2_SINCE_MAJOR = 19

/** Odoo's error document of a JSON-2 answer (http.py serialize_exception). */
export interface Json2ErrorBody {
  name?: string
  message?: string
  arguments?: unknown[]
  debug?: string
}

export interface Json2Target {
  db: string
  apiKey: string
  /** Per call; default: the transport's. */
  timeoutMs?: number
  /** Suggestions for a refused key (401, 403 AccessDenied); default: where odoops keeps its key. */
  authSuggestions?: string[]
}

const DEFAULT_AUTH_SUGGESTIONS = [
  "The API key odoops holds for this tenant is refused (revoked in Odoo, or the database was restored from another one's backup): make a new one with odoops tenant rotate-key <slug>.",
]

function clip(text: string, size = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > size ? flat.slice(0, size - 1) + '…' : flat
}

/**
 * One JSON-2 call; the JSON result, typed by the caller's claim. Errors: ODOO_AUTH_FAILED (401,
 * or 403 AccessDenied: the key), ODOO_JSON2_ERROR naming Odoo's exception and message (others),
 * ODOO_JSON2_INVALID_RESPONSE (not JSON: not Odoo 19+, or a proxy's page). The key is never quoted.
 */
export async function json2Call<T = unknown>(transport: HttpTransport, target: Json2Target, model: string, method: string, body: Record<string, unknown>): Promise<T> {
  const path = `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`
  const where = transport.description ?? 'Odoo'
  const call = `${model}.${method}`
  const response = await transport.request(path, {
    method: 'POST',
    headers: {'Content-Type': 'application/json; charset=utf-8', Accept: 'application/json', Authorization: `bearer ${target.apiKey}`, 'X-Odoo-Database': target.db},
    body: JSON.stringify(body),
    timeoutMs: target.timeoutMs,
  })
  const text = response.body.toString('utf8')
  let parsed: unknown
  try {
    parsed = text === '' ? null : JSON.parse(text)
  } catch {
    throw new OdoopsError('ODOO_JSON2_INVALID_RESPONSE', `${where} answered HTTP ${response.status} to POST ${path} with something that is not JSON: ${clip(text)}`, {
      suggestions: ['Check that this leads to Odoo 19 or later (the JSON-2 API starts with 19.0) and that no proxy rule blocks /json/2.'],
      data: {status: response.status, call},
    })
  }
  if (response.status === 200) return parsed as T
  const error: Json2ErrorBody = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed) : {}
  const name = typeof error.name === 'string' ? error.name : undefined
  const message = typeof error.message === 'string' && error.message !== '' ? clip(error.message, 500) : `HTTP ${response.status}`
  // 403 is also AccessError (a right the user lacks, exceptions.py): only AccessDenied is the key.
  const authFailure = response.status === 401 || (response.status === 403 && (name === undefined || /AccessDenied$/.test(name)))
  if (authFailure) {
    throw new OdoopsError('ODOO_AUTH_FAILED', `Odoo refused the API key for database "${target.db}" at ${where} (HTTP ${response.status}): ${message}`, {
      suggestions: target.authSuggestions ?? DEFAULT_AUTH_SUGGESTIONS,
      data: {status: response.status, call, db: target.db},
    })
  }
  throw new OdoopsError('ODOO_JSON2_ERROR', `Odoo refused ${call} on database "${target.db}" (HTTP ${response.status}, ${name ?? 'error'}): ${message}`, {
    suggestions:
      response.status === 404 && name === undefined
        ? ['No JSON-2 route here: check that this port leads to Odoo 19 or later.']
        : ["The full traceback is in the Odoo server log (and in the answer's debug field)."],
    data: {status: response.status, call, ...(name ? {exception: name} : {})},
  })
}

/**
 * Positional parameter names of the methods odoops and packs call, after the records for record
 * methods (`ids: true`). Sources: odoo/orm/models.py (19.0) for BaseModel; ir_config_parameter.py
 * get_param(key, default=False), set_param(key, value); res_users.py context_get(); web's
 * models.py web_search_read(domain, specification, offset, limit, order, count_limit),
 * web_read(specification).
 */
export const JSON2_SIGNATURES: Readonly<Record<string, {ids: boolean; params: readonly string[]}>> = {
  // search(domain, offset=0, limit=None, order=None)
  search: {ids: false, params: ['domain', 'offset', 'limit', 'order']},
  // search_count(domain, limit=None)
  search_count: {ids: false, params: ['domain', 'limit']},
  // search_read(domain=None, fields=None, offset=0, limit=None, order=None, **read_kwargs)
  search_read: {ids: false, params: ['domain', 'fields', 'offset', 'limit', 'order']},
  // read(fields=None, load='_classic_read') on records
  read: {ids: true, params: ['fields', 'load']},
  // write(vals) on records
  write: {ids: true, params: ['vals']},
  // create(vals_list) (@api.model_create_multi)
  create: {ids: false, params: ['vals_list']},
  // unlink() on records
  unlink: {ids: true, params: []},
  // copy(default=None) on records
  copy: {ids: true, params: ['default']},
  // exists() on records
  exists: {ids: true, params: []},
  // fields_get(allfields=None, attributes=None)
  fields_get: {ids: false, params: ['allfields', 'attributes']},
  // name_search(name='', domain=None, operator='ilike', limit=100)
  name_search: {ids: false, params: ['name', 'domain', 'operator', 'limit']},
  // name_create(name)
  name_create: {ids: false, params: ['name']},
  // default_get(fields)
  default_get: {ids: false, params: ['fields']},
  // read_group(domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True) (deprecated in 19.0)
  read_group: {ids: false, params: ['domain', 'fields', 'groupby', 'offset', 'limit', 'orderby', 'lazy']},
  // check_access_rights(operation, raise_exception=True)
  check_access_rights: {ids: false, params: ['operation', 'raise_exception']},
  // has_access(operation) on records
  has_access: {ids: true, params: ['operation']},
  // action_archive(), action_unarchive(), toggle_active(), get_metadata() on records
  action_archive: {ids: true, params: []},
  action_unarchive: {ids: true, params: []},
  toggle_active: {ids: true, params: []},
  get_metadata: {ids: true, params: []},
  // ir.model.data check_object_reference(module, xml_id, raise_on_access_error=False) (base/models/ir_model.py)
  check_object_reference: {ids: false, params: ['module', 'xml_id', 'raise_on_access_error']},
  // res.users has_group(group_ext_id) on records (19.0: res_users.py)
  has_group: {ids: true, params: ['group_ext_id']},
  // ir.config_parameter
  get_param: {ids: false, params: ['key', 'default']},
  set_param: {ids: false, params: ['key', 'value']},
  // res.users
  context_get: {ids: false, params: []},
  // web (addons/web/models/models.py)
  web_search_read: {ids: false, params: ['domain', 'specification', 'offset', 'limit', 'order', 'count_limit']},
  web_read: {ids: true, params: ['specification']},
}

function isIds(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v))
}

function idsOf(value: unknown): number[] | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return [value]
  return isIds(value) ? value : undefined
}

export interface Json2Request {
  body: Record<string, unknown>
  /**
   * XML-RPC answers a single id where JSON-2 answers a list: `create` of one dict
   * (model_create_multi) and `copy` of one record (`api.returns` in < 19): unwrap it.
   */
  single: boolean
}

function positionalRefused(model: string, method: string, detail: string): OdoopsError {
  return new OdoopsError('ODOO_JSON2_POSITIONAL_ARGS', `Cannot call ${model}.${method} over JSON-2 with positional arguments: ${detail}.`, {
    suggestions: [
      `JSON-2 (Odoo 19+) takes parameters by name: pass them in kwargs, e.g. call('${model}', '${method}', [ids], {param: value}); only the records (a list of ids) may stay positional.`,
    ],
    data: {model, method},
  })
}

/** The named JSON-2 body of an execute_kw style call. */
export function json2Request(model: string, method: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}): Json2Request {
  const body: Record<string, unknown> = {}
  let rest = [...args]
  const signature = JSON2_SIGNATURES[method]
  let single = false
  const recordMethod = signature ? signature.ids : rest.length > 0 && idsOf(rest[0]) !== undefined
  if (recordMethod && rest.length > 0) {
    const ids = idsOf(rest[0])
    if (!ids) throw positionalRefused(model, method, `its first argument must be the records' ids (a list of integers), not ${JSON.stringify(rest[0])?.slice(0, 60)}`)
    body.ids = ids
    single = method === 'copy' && ids.length === 1
    rest = rest.slice(1)
  }
  const names = signature?.params ?? []
  if (rest.length > names.length) {
    throw positionalRefused(
      model,
      method,
      signature ? `${method} takes at most ${names.length} after the records (${names.join(', ') || 'none'}), ${rest.length} given` : `odoops does not know the parameter names of ${method}`,
    )
  }
  rest.forEach((value, index) => {
    body[names[index]] = value
  })
  if (method === 'create' && rest.length > 0 && rest[0] !== null && typeof rest[0] === 'object' && !Array.isArray(rest[0])) {
    body.vals_list = [rest[0]]
    single = true
  }
  for (const [key, value] of Object.entries(kwargs)) {
    if (value === undefined) continue
    if (key in body) throw positionalRefused(model, method, `"${key}" is given both by position and by name`)
    body[key] = value
  }
  return {body, single}
}

/** The user id of the key's owner (res.users.context_get answers `uid`, res_users.py). */
async function keyOwner(transport: HttpTransport, target: Json2Target): Promise<number> {
  const context = await json2Call<Record<string, unknown> | null>(transport, target, 'res.users', 'context_get', {})
  const uid = context?.uid
  if (typeof uid !== 'number' || !Number.isInteger(uid)) {
    throw odooError('ODOO_UNEXPECTED_RESULT', `res.users.context_get over JSON-2 at ${transport.description ?? 'Odoo'} answered no uid.`, ['Check that this port leads to Odoo 19 or later.'])
  }
  return uid
}

/** An `OdooSession` over JSON-2, as the API key's owner. */
export class Json2Session implements OdooSession {
  readonly protocol = 'json-2' as const

  private constructor(
    readonly transport: HttpTransport,
    private readonly target: Json2Target,
    readonly login: string,
    readonly uid: number,
  ) {}

  get db(): string {
    return this.target.db
  }

  /** Checks the key at once (one `res.users.context_get`): a refused key throws ODOO_AUTH_FAILED here. */
  static async open(transport: HttpTransport, target: Json2Target & {login: string}): Promise<Json2Session> {
    const {login, ...rest} = target
    const uid = await keyOwner(transport, rest)
    return new Json2Session(transport, rest, login, uid)
  }

  async call<T = XmlRpcValue>(model: string, method: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<T> {
    const {body, single} = json2Request(model, method, args, kwargs)
    const result = await json2Call<unknown>(this.transport, this.target, model, method, body)
    if (single && Array.isArray(result) && result.length === 1) return result[0] as T
    return result as T
  }
}

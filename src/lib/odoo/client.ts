/**
 * Odoo's external API over XML-RPC (odoo/documentation external_api.rst): `/xmlrpc/2/common`
 * `version` and `authenticate`, `/xmlrpc/2/object` `execute_kw`. Passwords travel only in
 * request bodies, which are never logged; callers register their secrets with registerSecret
 * (this module does not: it also sends well-known passwords such as admin/admin to check that
 * they are refused, and registering those would redact ordinary words from all output).
 */
import {odooError, invalidResponse} from './errors.js'
import type {HttpResponse, HttpTransport} from './transport.js'
import {parseMethodResponse, serializeMethodCall, type XmlRpcValue} from './xmlrpc.js'

/** The answer of common.version (odoo/service/common.py exp_version). */
export interface OdooVersion {
  /** `17.0-20250314` (the build date for nightly packages), `17.0+e` for Enterprise. */
  server_version: string
  /** `[17, 0, 0, 'final', 0, '']`. */
  server_version_info: XmlRpcValue[]
  /** The series: `17.0`. */
  server_serie: string
  protocol_version: number
}

export interface OdooSession {
  readonly db: string
  readonly login: string
  readonly uid: number
  /** execute_kw as this user. The result type is the caller's claim; it is not checked. */
  call<T = XmlRpcValue>(model: string, method: string, args?: readonly unknown[], kwargs?: Record<string, unknown>): Promise<T>
}

export interface OdooClientOptions {
  /** Per call; default: the transport's (120 s). */
  timeoutMs?: number
}

function snippet(body: Buffer): string {
  const text = body.subarray(0, 400).toString('utf8').replace(/\s+/g, ' ').trim()
  return text.length > 160 ? text.slice(0, 159) + '…' : text
}

function httpError(transport: HttpTransport, response: HttpResponse, path: string, call: string): Error {
  const where = transport.description ?? 'Odoo'
  const suggestions =
    response.status === 404
      ? ['Every Odoo since 8.0 serves /xmlrpc/2: check that this port (or vhost) leads to Odoo and that no proxy rule blocks /xmlrpc.']
      : response.status >= 502 && response.status <= 504
        ? ['The proxy is up but Odoo behind it does not answer: check the Odoo service and its log on the host.']
        : ['Check the Odoo log on the host.']
  return odooError('ODOO_HTTP_ERROR', `${where} answered HTTP ${response.status} to POST ${path} (${call}): ${snippet(response.body) || 'empty body'}`, suggestions, {
    status: response.status,
    call,
  })
}

export class OdooClient {
  constructor(
    readonly transport: HttpTransport,
    private readonly options: OdooClientOptions = {},
  ) {}

  /** One XML-RPC call to `/xmlrpc/2/<service>`; faults throw OdooRpcError. `call` names it in messages. */
  async rpc(service: string, method: string, params: readonly unknown[], call = `${service}.${method}`): Promise<XmlRpcValue> {
    const path = `/xmlrpc/2/${service}`
    const body = serializeMethodCall(method, params)
    const response = await this.transport.request(path, {method: 'POST', headers: {'Content-Type': 'text/xml'}, body, timeoutMs: this.options.timeoutMs})
    if (response.status !== 200) throw httpError(this.transport, response, path, call)
    const type = String(response.headers['content-type'] ?? '')
    if (type !== '' && !/xml/i.test(type)) throw invalidResponse(`it is ${type.split(';')[0]}, not XML: ${snippet(response.body)}`, call)
    return parseMethodResponse(response.body, call)
  }

  async version(): Promise<OdooVersion> {
    const result = await this.rpc('common', 'version', [])
    const v = result && typeof result === 'object' && !Array.isArray(result) && !(result instanceof Date) && !Buffer.isBuffer(result) ? result : undefined
    if (!v || typeof v.server_version !== 'string' || typeof v.server_serie !== 'string' || !Array.isArray(v.server_version_info)) {
      throw odooError('ODOO_UNEXPECTED_RESULT', `common.version at ${this.transport.description ?? 'Odoo'} did not answer Odoo's version struct.`, ['Check that this port leads to Odoo.'])
    }
    return {
      server_version: v.server_version,
      server_version_info: v.server_version_info,
      server_serie: v.server_serie,
      protocol_version: typeof v.protocol_version === 'number' ? v.protocol_version : 1,
    }
  }

  /**
   * The user id, or false when Odoo refuses the login or password (exp_authenticate turns
   * AccessDenied into False). A successful call records a login (res_users_log, so it counts as
   * activity in Odoo's own user statistics). An unknown database is a fault, not false.
   */
  async authenticate(db: string, login: string, password: string): Promise<number | false> {
    // The fourth argument, user_agent_env, is required by exp_authenticate (odoo/service/common.py).
    const result = await this.rpc('common', 'authenticate', [db, login, password, {}], `common.authenticate of "${login}" on database "${db}"`)
    if (result === false) return false
    if (typeof result === 'number' && Number.isInteger(result) && result > 0) return result
    throw odooError('ODOO_UNEXPECTED_RESULT', `common.authenticate on database "${db}" answered ${typeof result}, not a user id or false.`, ['Check that this port leads to Odoo.'])
  }

  /** `model.method(*args, **kwargs)` as user `uid` (object.execute_kw). The result type is the caller's claim. */
  async executeKw<T = XmlRpcValue>(db: string, uid: number, password: string, model: string, method: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<T> {
    const result = await this.rpc('object', 'execute_kw', [db, uid, password, model, method, args, kwargs ?? {}], `${model}.${method} on database "${db}"`)
    return result as T
  }

  /** Authenticate once, then call as that user; a refused login throws ODOO_AUTH_FAILED. */
  async session(db: string, login: string, password: string): Promise<OdooSession> {
    const uid = await this.authenticate(db, login, password)
    if (uid === false) {
      throw odooError(
        'ODOO_AUTH_FAILED',
        `Odoo refused the login "${login}" on database "${db}" at ${this.transport.description ?? 'Odoo'}: wrong login or password, or the user is archived.`,
        ['Check the credentials odoops holds for this tenant (the password may have been changed in Odoo).'],
        {db, login},
      )
    }
    return {
      db,
      login,
      uid,
      call: <T = XmlRpcValue>(model: string, method: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>) =>
        this.executeKw<T>(db, uid, password, model, method, args, kwargs),
    }
  }
}

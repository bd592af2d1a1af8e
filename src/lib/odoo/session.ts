/**
 * The one way odoops opens a session on a tenant's Odoo: XML-RPC with the admin password before
 * 19.0, JSON-2 with odoops' own API key on 19.0 and later (XML-RPC is deprecated in 19.0 and
 * announced for removal in 20: ODOO-FACTS.md). Both answer the same positional
 * `call(model, method, args, kwargs)` (OdooSession, the packs' PackOdoo).
 *
 * Also the password login check, which JSON-2 cannot do (it only takes API keys): XML-RPC
 * `common.authenticate` before 19.0, `POST /web/session/authenticate` (JSON-RPC 2.0, the web
 * client's own login, addons/web/controllers/session.py) from 19.0 on.
 */
import {OdoopsError} from '../errors.js'
import {OdooClient, type OdooSession} from './client.js'
import {odooError} from './errors.js'
import {JSON2_SINCE_MAJOR, Json2Session} from './json2.js'
import type {HttpTransport} from './transport.js'
import {majorOfSeries} from '../series/odoo-series.js'

export type OdooProtocol = 'json-2' | 'xml-rpc'

/** An OdooSession that says which API it speaks and on which major version. */
export type ProtocolSession = OdooSession & {readonly protocol: OdooProtocol; readonly major: number}

/** True when this series gets odoops' API key and JSON-2. */
export function usesJson2(major: number): boolean {
  return major >= JSON2_SINCE_MAJOR
}

/**
 * The running Odoo's version: `GET /web/version` (JSON `{version, version_info}`, auth none,
 * 19.0's addons/web/controllers/webclient.py; it logs nothing), else XML-RPC `common.version`
 * (every version before 20; on 19.0 each XML-RPC call logs a deprecation notice, so it comes
 * second). Before 19.0 /web/version is a JSON-RPC route that a GET does not reach.
 */
export async function detectOdooVersion(transport: HttpTransport): Promise<{version: string; major: number}> {
  try {
    const response = await transport.request('/web/version', {method: 'GET', headers: {Accept: 'application/json'}, timeoutMs: 15_000})
    if (response.status === 200) {
      const body = JSON.parse(response.body.toString('utf8')) as {version?: unknown; version_info?: unknown[]}
      const first = body.version_info?.[0]
      const version = typeof body.version === 'string' ? body.version : undefined
      const major = typeof first === 'number' ? first : majorOfSeries(version)
      if (major !== undefined && Number.isInteger(major)) return {version: version ?? String(major), major}
    }
  } catch {
    // Not JSON, or nothing answered: XML-RPC says more below.
  }
  const version = await new OdooClient(transport).version()
  const first = version.server_version_info[0]
  const major = typeof first === 'number' ? first : majorOfSeries(version.server_serie)
  if (major === undefined) throw odooError('ODOO_UNEXPECTED_RESULT', `${transport.description ?? 'Odoo'} answered no major version.`, ['Check that this port leads to Odoo.'])
  return {version: version.server_version, major}
}

/** The running Odoo's major version (detectOdooVersion). */
export async function detectOdooMajor(transport: HttpTransport): Promise<number> {
  return (await detectOdooVersion(transport)).major
}

export interface OdooSessionSpec {
  transport: HttpTransport
  /** The tenant's series (`19.0`); when unknown, the running Odoo is asked. */
  series?: string
  db: string
  /** The user the password belongs to (the key's owner on 19+, for messages). */
  login: string
  /** Needed before 19.0. */
  password?: string
  /** Needed from 19.0 on. */
  apiKey?: string
  /** What to do when 19.0+ and no key is given (e.g. `odoops tenant rotate-key <slug>`). */
  missingKeySuggestions?: string[]
  /** Suggestions when the key is refused. */
  authSuggestions?: string[]
}

/** XML-RPC before 19.0 (password), JSON-2 from 19.0 (API key). A refused credential throws ODOO_AUTH_FAILED. */
export async function openOdooSession(spec: OdooSessionSpec): Promise<ProtocolSession> {
  const major = majorOfSeries(spec.series) ?? (await detectOdooMajor(spec.transport))
  if (usesJson2(major)) {
    if (!spec.apiKey) {
      throw new OdoopsError('ODOO_API_KEY_MISSING', `Odoo ${major} is reached over JSON-2, which needs an API key, and odoops holds none for database "${spec.db}".`, {
        suggestions: spec.missingKeySuggestions ?? ['Make one: odoops tenant rotate-key <slug>'],
        data: {db: spec.db, major},
      })
    }
    const session = await Json2Session.open(spec.transport, {db: spec.db, apiKey: spec.apiKey, login: spec.login, ...(spec.authSuggestions ? {authSuggestions: spec.authSuggestions} : {})})
    return withProtocol(session, 'json-2', major)
  }
  if (spec.password === undefined) {
    throw new OdoopsError('ODOO_PASSWORD_MISSING', `Odoo ${major} is reached over XML-RPC, which needs the password of "${spec.login}" on database "${spec.db}", and none was given.`, {data: {db: spec.db, major}})
  }
  return withProtocol(await new OdooClient(spec.transport).session(spec.db, spec.login, spec.password), 'xml-rpc', major)
}

function withProtocol(session: OdooSession, protocol: OdooProtocol, major: number): ProtocolSession {
  return {
    db: session.db,
    login: session.login,
    uid: session.uid,
    protocol,
    major,
    call: (model, method, args, kwargs) => session.call(model, method, args, kwargs),
  }
}

interface JsonRpcAnswer {
  result?: {uid?: unknown} | null
  error?: {code?: number; message?: string; data?: {name?: string; message?: string}}
}

/**
 * Whether Odoo accepts `login`/`password` on `db` (a successful login is recorded in
 * res_users_log, like any login). Before 19.0 XML-RPC `common.authenticate`; from 19.0
 * `POST /web/session/authenticate` with `{jsonrpc: "2.0", method: "call", params: {db, login,
 * password}}`: its result is the session info with `uid` (`{uid: null}` when a second factor is
 * still due, which still means the password was right), a wrong password is a JSON-RPC error
 * `odoo.exceptions.AccessDenied` (HTTP 200), and a database the dbfilter hides is an AccessError
 * "Database not found." (19.0 addons/web/controllers/session.py `authenticate`).
 */
export async function checkPasswordLogin(transport: HttpTransport, major: number, db: string, login: string, password: string): Promise<boolean> {
  if (!usesJson2(major)) return (await new OdooClient(transport).authenticate(db, login, password)) !== false
  const where = transport.description ?? 'Odoo'
  const response = await transport.request('/web/session/authenticate', {
    method: 'POST',
    headers: {'Content-Type': 'application/json', Accept: 'application/json'},
    body: JSON.stringify({jsonrpc: '2.0', method: 'call', id: 1, params: {db, login, password}}),
  })
  let answer: JsonRpcAnswer | undefined
  try {
    answer = JSON.parse(response.body.toString('utf8')) as JsonRpcAnswer
  } catch {
    answer = undefined
  }
  if (response.status !== 200 || !answer || typeof answer !== 'object') {
    throw odooError('ODOO_HTTP_ERROR', `${where} answered HTTP ${response.status} to POST /web/session/authenticate without a JSON-RPC answer.`, ['Check that this port (or vhost) leads to Odoo and that no proxy rule blocks /web/session.'], {
      status: response.status,
      call: 'web/session/authenticate',
    })
  }
  if (answer.error) {
    const name = answer.error.data?.name ?? ''
    if (/AccessDenied$/.test(name)) return false
    throw odooError('ODOO_RPC_FAULT', `Odoo refused the login of "${login}" on database "${db}" at ${where}: ${answer.error.data?.message ?? answer.error.message ?? 'error'}`, ['Check the database name and the Odoo log on the host.'], {
      call: 'web/session/authenticate',
      exception: name,
    })
  }
  return Boolean(answer.result && typeof answer.result === 'object' && 'uid' in answer.result)
}

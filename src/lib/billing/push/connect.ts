/**
 * Connect to the partner's own Odoo and pick the API: its version comes from `GET /web/version`
 * (JSON `{version, version_info}`, Odoo 19's unauthenticated version route), else from XML-RPC
 * `common.version` (every version before 20). Odoo 19+ with an
 * API key uses JSON-2; anything older, or a password, uses XML-RPC (which also accepts an API key
 * in place of the password since 14.0, res_users.py `_check_credentials`).
 */
import {OdoopsError} from '../../errors.js'
import {JSON2_SINCE_MAJOR, OdooClient, urlTransport, type HttpTransport, type OdooVersion} from '../../odoo/index.js'
import {registerSecret} from '../../secrets/redact.js'
import {Json2Api, XmlRpcApi, type OdooApi} from './api.js'

/** The first major version with the JSON-2 API (defined with the JSON-2 client in src/lib/odoo). */
export {JSON2_SINCE_MAJOR}

export interface OdooTarget {
  url: string
  db: string
  login: string
  apiKey?: string
  password?: string
}

export interface OdooConnection {
  api: OdooApi
  /** `19.0`, `17.0-20250314`… */
  version: string
  major: number
  url: string
  db: string
  close(): Promise<void>
}

function majorOf(version: Pick<OdooVersion, 'server_version_info' | 'server_serie'>): number {
  const first = version.server_version_info[0]
  if (typeof first === 'number') return first
  return Number.parseInt(version.server_serie, 10)
}

async function webVersion(transport: HttpTransport): Promise<{version: string; major: number} | undefined> {
  const response = await transport.request('/web/version', {method: 'GET', headers: {Accept: 'application/json'}})
  if (response.status !== 200) return undefined
  try {
    const body = JSON.parse(response.body.toString('utf8')) as {version?: string; version_info?: unknown[]}
    const major = typeof body.version_info?.[0] === 'number' ? body.version_info[0] : Number.parseInt(body.version ?? '', 10)
    return Number.isFinite(major) ? {version: body.version ?? String(major), major} : undefined
  } catch {
    return undefined
  }
}

async function detectVersion(client: OdooClient, transport: HttpTransport): Promise<{version: string; major: number}> {
  // The JSON route first: it logs nothing, while every XML-RPC call into 19.0 logs a deprecation
  // notice (addons/rpc/controllers/xmlrpc.py) and 20 drops it. Before 19.0 /web/version is a
  // JSON-RPC route that a GET does not reach, so XML-RPC's common.version answers there.
  const web = await webVersion(transport).catch(() => undefined)
  if (web) return web
  const v = await client.version()
  return {version: v.server_version, major: majorOf(v)}
}

export async function connectOdoo(target: OdooTarget, options: {transport?: HttpTransport} = {}): Promise<OdooConnection> {
  registerSecret(target.apiKey)
  registerSecret(target.password)
  const secret = target.apiKey ?? target.password
  if (!secret) {
    throw new OdoopsError('ODOO_CREDENTIALS_MISSING', `No API key or password for "${target.login}" on ${target.url}.`, {
      exit: 2,
      suggestions: ['Set ODOOPS_ODOO_API_KEY (or ODOOPS_ODOO_PASSWORD) in the environment, or pass --api-key / --password.'],
    })
  }
  const transport = options.transport ?? urlTransport(target.url)
  const client = new OdooClient(transport)
  try {
    const {version, major} = await detectVersion(client, transport)
    let api: OdooApi
    if (major >= JSON2_SINCE_MAJOR && target.apiKey) {
      api = new Json2Api(transport, target.db, target.apiKey)
    } else {
      const session = await client.session(target.db, target.login, secret)
      api = new XmlRpcApi(session)
    }
    return {api, version, major, url: target.url, db: target.db, close: () => transport.close()}
  } catch (error) {
    await transport.close()
    throw error
  }
}

/**
 * Connect to the partner's own Odoo and pick the API: its version comes from `GET /web/version`
 * (JSON `{version, version_info}`, Odoo 19's unauthenticated version route), else from XML-RPC
 * `common.version` (every version before 20). Odoo 19+ with an
 * API key uses JSON-2; anything older, or a password, uses XML-RPC (which also accepts an API key
 * in place of the password since 14.0, res_users.py `_check_credentials`).
 */
import {OdoopsError} from '../../errors.js'
import {JSON2_SINCE_MAJOR, OdooClient, detectOdooVersion, urlTransport, type HttpTransport} from '../../odoo/index.js'
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
    const {version, major} = await detectOdooVersion(transport)
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

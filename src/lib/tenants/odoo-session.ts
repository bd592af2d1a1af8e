import {OdoopsError} from '../errors.js'
import {OdooClient} from '../odoo/client.js'
import {checkHealth} from '../odoo/health.js'
import {openOdooSession, usesJson2, type ProtocolSession} from '../odoo/session.js'
import {majorOfSeries} from '../series/odoo-series.js'
import {hostTransport, type HttpTransport} from '../odoo/transport.js'
import {retry} from '../retry.js'
import {registerSecret} from '../secrets/redact.js'
import type {SecretBox} from '../secrets/secret-box.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantRecord} from '../state/records.js'
import type {StateTx} from '../state/store.js'

/** What reaching a tenant's service needs from its record. */
export type TenantOdooTarget = Pick<TenantRecord, 'id' | 'series' | 'database' | 'domain' | 'service' | 'adminLogin'>

/** How odoops logs into a tenant's Odoo: the admin password (< 19.0) and its own API key (19.0+). */
export interface TenantCredentials {
  /** The admin user's login (`admin`, or a restored database's own). */
  login: string
  password?: string
  apiKey?: string
}

/** The tenant's major version from its recorded series (`19.0` → 19). */
export function tenantMajor(tenant: Pick<TenantRecord, 'series'>): number | undefined {
  return majorOfSeries(tenant.series)
}

/** The stored credentials of a tenant, registered for redaction. Nothing is checked here. */
export async function readTenantCredentials(store: Pick<StateTx, 'secrets'>, box: SecretBox, tenant: Pick<TenantRecord, 'id' | 'adminLogin'>): Promise<TenantCredentials> {
  const password = await readSecret(store, box, secretIds.tenantAdminPassword(tenant.id))
  const apiKey = await readSecret(store, box, secretIds.tenantApiKey(tenant.id))
  registerSecret(password)
  registerSecret(apiKey)
  return {login: tenant.adminLogin ?? 'admin', ...(password !== undefined ? {password} : {}), ...(apiKey !== undefined ? {apiKey} : {})}
}

/**
 * HTTP to a tenant's service on the host's loopback through the SSH connection (the service
 * listens on 127.0.0.1 only), with Host = the tenant's domain: JSON-2 sends the database in
 * X-Odoo-Database, which must pass the service's dbfilter (`^%h$` on shared services,
 * http.py `_get_session_and_dbname`).
 */
export function tenantServiceTransport(conn: SshConnection, tenant: Pick<TenantRecord, 'id' | 'domain' | 'service'>): HttpTransport {
  if (!tenant.service) throw new Error(`tenant ${tenant.id} has no service recorded`)
  return hostTransport(conn, {port: tenant.service.httpPort, hostHeader: tenant.domain})
}

/** Wait until a just-started service answers (XML-RPC version before 19.0, /web/health after). */
async function waitReady(transport: HttpTransport, major: number | undefined, waitMs: number): Promise<void> {
  const client = new OdooClient(transport)
  await retry(
    async () => {
      if (major !== undefined && usesJson2(major)) {
        const health = await checkHealth(transport)
        if (!health.ok) throw new Error(health.detail)
      } else {
        await client.version()
      }
    },
    {timeoutMs: waitMs, delayMs: 500},
  )
}

/** Run `fn` with HTTP to the tenant's service once it answers (a just-started one gets `waitMs`, default 60 s). */
export async function withTenantTransport<R>(conn: SshConnection, tenant: TenantOdooTarget, fn: (transport: HttpTransport) => Promise<R>, options: {waitMs?: number} = {}): Promise<R> {
  const transport = tenantServiceTransport(conn, tenant)
  try {
    await waitReady(transport, tenantMajor(tenant), options.waitMs ?? 60_000)
    return await fn(transport)
  } finally {
    await transport.close().catch(() => {})
  }
}

/**
 * Run `fn` with a session on the tenant's service as its admin: XML-RPC with the password before
 * 19.0, JSON-2 with odoops' API key from 19.0 on (src/lib/odoo/session.ts openOdooSession).
 */
export async function withTenantSession<R>(
  conn: SshConnection,
  tenant: TenantOdooTarget,
  credentials: TenantCredentials,
  fn: (session: ProtocolSession) => Promise<R>,
  options: {waitMs?: number} = {},
): Promise<R> {
  return withTenantTransport(
    conn,
    tenant,
    async (transport) => {
      const session = await openOdooSession({
        transport,
        series: tenant.series,
        db: tenant.database,
        login: credentials.login,
        password: credentials.password,
        apiKey: credentials.apiKey,
        missingKeySuggestions: [`Make odoops' API key for it: odoops tenant rotate-key ${tenant.id}`],
        authSuggestions: [`The API key odoops holds for ${tenant.id} is refused (revoked in Odoo, or the database was replaced by a restore): odoops tenant rotate-key ${tenant.id}`],
      })
      return fn(session)
    },
    options,
  )
}

/** `withTenantSession` with the stored credentials; refuses a tenant without the one its series needs. */
export async function withStoredTenantSession<R>(
  store: Pick<StateTx, 'secrets'>,
  box: SecretBox,
  conn: SshConnection,
  tenant: TenantOdooTarget,
  fn: (session: ProtocolSession) => Promise<R>,
  options: {waitMs?: number} = {},
): Promise<R> {
  const credentials = await readTenantCredentials(store, box, tenant)
  const major = tenantMajor(tenant)
  if ((major === undefined || !usesJson2(major)) && credentials.password === undefined) {
    throw new OdoopsError('TENANT_ADMIN_PASSWORD_MISSING', `The admin password of ${tenant.id} is not in the state store.`, {suggestions: [`Was the tenant created by odoops? odoops tenant show ${tenant.id}`]})
  }
  if (major !== undefined && usesJson2(major) && credentials.apiKey === undefined) {
    throw new OdoopsError('TENANT_API_KEY_MISSING', `odoops holds no API key for ${tenant.id} (Odoo ${tenant.series} is reached over JSON-2, which needs one).`, {
      suggestions: [`Make one: odoops tenant rotate-key ${tenant.id}`],
    })
  }
  return withTenantSession(conn, tenant, credentials, fn, options)
}

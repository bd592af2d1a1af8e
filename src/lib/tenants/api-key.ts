/**
 * odoops' own API key on a tenant's Odoo (19.0+), with which it speaks JSON-2 (XML-RPC, which
 * takes the password, is deprecated in 19.0 and announced for removal in 20). The key is made on
 * the host with Odoo's own code in `odoo shell`, belongs to the admin user (xml id
 * base.user_admin), is named `odoops` there (Preferences → Account Security lists it), never
 * expires (a persistent key is allowed in a sudo environment: res_users.py
 * `ResUsersApikeys._check_expiration_date`), and is kept sealed in the vault
 * (`tenant/<slug>/api-key`). Making one deletes the earlier `odoops` keys of that user, so
 * re-runs and rotations leave exactly one.
 */
import {OdoopsError, isOdoopsError, usageError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import {usesJson2} from '../odoo/session.js'
import type {Step} from '../steps/runner.js'
import {registerSecret} from '../secrets/redact.js'
import type {SecretBox} from '../secrets/secret-box.js'
import {readSecret, secretIds, writeSecret} from '../secrets/vault.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {TenantEnv, TenantStepContext} from './context.js'
import {getTenant} from './listing.js'
import {withTenantLock} from './lock.js'
import {runOdooShell} from './odoo-shell.js'
import {tenantMajor, withTenantSession, type TenantOdooTarget} from './odoo-session.js'
import {serviceOf} from './save-tenant.js'

/** The key's name in Odoo (res.users.apikeys.name). */
export const API_KEY_NAME = 'odoops'
/** The one stdout line of the script odoops reads (Odoo may log to stdout too). */
export const API_KEY_MARKER = 'ODOOPS-API-KEY:'

/**
 * The Python run by `odoo shell` (19.0 odoo/addons/base/models/res_users.py: `_generate(scope,
 * name, expiration_date)` returns the clear key, 40 hex digits; `_remove()` unlinks keys as a
 * system user). Scope None: a key for any RPC, as JSON-2's bearer check asks
 * (`_check_credentials(scope='rpc')` accepts scope NULL, ir_http.py `_auth_method_bearer`).
 */
export function apiKeyScript(): string {
  return [
    `admin = env.ref('base.user_admin')`,
    `keys = env['res.users.apikeys'].with_user(admin).sudo()`,
    `keys.search([('user_id', '=', admin.id), ('name', '=', '${API_KEY_NAME}')])._remove()`,
    `key = keys._generate(None, '${API_KEY_NAME}', None)`,
    `env.cr.commit()`,
    `print('${API_KEY_MARKER}' + key, flush=True)`,
    '',
  ].join('\n')
}

/** The key from the script's stdout: exactly one marked line of 40 hex digits. */
export function parseApiKeyOutput(stdout: string): string {
  const keys = stdout
    .split(/\r?\n/)
    .filter((line) => line.startsWith(API_KEY_MARKER))
    .map((line) => line.slice(API_KEY_MARKER.length).trim())
  if (keys.length !== 1 || !/^[0-9a-f]{40}$/.test(keys[0])) {
    throw new OdoopsError('TENANT_API_KEY_UNREADABLE', `odoo shell did not print one API key line (${keys.length} found): odoops cannot read the key it made.`, {
      suggestions: ['Run it again: the next run deletes that key and makes a new one.'],
    })
  }
  return keys[0]
}

/** Make a new key on the host (deleting the earlier `odoops` keys of the admin user); registered for redaction. */
export async function makeTenantApiKey(conn: SshConnection, tenant: Pick<TenantRecord, 'id' | 'database' | 'service'>): Promise<string> {
  const stdout = await runOdooShell(conn, {config: serviceOf(tenant as TenantRecord).config, database: tenant.database}, apiKeyScript(), "make odoops' API key", {secretLinePrefix: API_KEY_MARKER})
  const key = parseApiKeyOutput(stdout)
  registerSecret(key)
  return key
}

/** The uid the key logs in as over JSON-2, or false when Odoo refuses it. */
export async function apiKeyOwner(conn: SshConnection, tenant: TenantOdooTarget, apiKey: string): Promise<number | false> {
  try {
    return await withTenantSession(conn, tenant, {login: tenant.adminLogin ?? 'admin', apiKey}, async (session) => session.uid)
  } catch (error) {
    if (isOdoopsError(error) && error.code === 'ODOO_AUTH_FAILED') return false
    throw error
  }
}

async function requireKeyWorks(conn: SshConnection, tenant: TenantOdooTarget, apiKey: string): Promise<void> {
  if ((await apiKeyOwner(conn, tenant, apiKey)) === false) {
    throw new OdoopsError('TENANT_API_KEY_REFUSED', `Odoo refuses the API key odoops just made for ${tenant.id} over JSON-2.`, {
      suggestions: [`Check the service's log on the host (is the rpc module installed?), then: odoops tenant rotate-key ${tenant.id}`],
    })
  }
}

/** Why there is no key before 19.0 (the step's detail, the command's refusal). */
export const NO_KEY_BEFORE_19 = 'XML-RPC with the admin password before 19.0'

/**
 * Creation step `api-key`, after `admin-password` (and after `restore-identity` in restore
 * plans, once the service runs): 19.0+ only. A stored key that Odoo accepts is left alone.
 */
export const apiKeyStep: Step<TenantStepContext> = {
  name: 'api-key',
  title: "odoops' API key (Odoo 19+, JSON-2)",
  async run(ctx) {
    return ensureTenantApiKey(ctx.env, ctx.conn, ctx.tenant)
  },
}

/**
 * A working API key for odoops on a 19.0+ tenant: the stored one if Odoo accepts it, else a new
 * one (also after an in-place restore brought back an older key table). Before 19.0: nothing.
 */
export async function ensureTenantApiKey(env: {store: RotateKeyEnv['store']; box: RotateKeyEnv['box']}, conn: SshConnection, tenant: TenantOdooTarget & Pick<TenantRecord, 'service'>): Promise<{change: 'changed' | 'unchanged'; detail: string}> {
  const major = tenantMajor(tenant)
  if (major === undefined || !usesJson2(major)) return {change: 'unchanged', detail: `none needed: ${NO_KEY_BEFORE_19}`}
  const stored = await readSecret(env.store, env.box, secretIds.tenantApiKey(tenant.id))
  registerSecret(stored)
  if (stored !== undefined && (await apiKeyOwner(conn, tenant, stored)) !== false) return {change: 'unchanged', detail: 'the stored key works'}
  const key = await makeTenantApiKey(conn, tenant)
  // Stored at once: Odoo holds only its hash, and the next run would replace it anyway.
  await writeSecret(env.store, env.box, secretIds.tenantApiKey(tenant.id), key)
  await requireKeyWorks(conn, tenant, key)
  return {change: 'changed', detail: stored === undefined ? 'made and stored' : 'the stored key was refused: a new one replaces it'}
}

/** `odoops tenant rotate-key --json` (schemas/tenant-rotate-key.json). */
export interface RotateKeyResult {
  tenant: string
  series: string
  /** When the new key was stored (ISO 8601, UTC). */
  rotatedAt: string
  /** A JSON-2 call with the new key succeeded. */
  check: 'passed'
}

export interface RotateKeyEnv {
  store: StateStore
  box: SecretBox
  connect?: TenantEnv['connect']
}

/**
 * A new key for an active 19.0+ tenant: made on the host (the old `odoops` key is deleted there
 * in the same transaction), stored, then checked over JSON-2. Refused before 19.0 (exit 2).
 */
export async function rotateTenantApiKey(env: RotateKeyEnv, slug: string): Promise<RotateKeyResult> {
  const refuse = (tenant: TenantRecord) => {
    const major = tenantMajor(tenant)
    if (major === undefined || !usesJson2(major)) {
      throw usageError('TENANT_SERIES_NO_API_KEY', `Tenant "${slug}" runs Odoo ${tenant.series}: odoops uses ${NO_KEY_BEFORE_19}, so it keeps no API key to rotate.`, [
        'API keys are for tenants on Odoo 19.0 or later; nothing to do for this one.',
      ], {tenant: slug, series: tenant.series})
    }
    if (tenant.state !== 'active' || !tenant.service) {
      throw usageError('TENANT_NOT_ACTIVE', `Tenant "${slug}" is ${tenant.state}: its Odoo must be running to make and check a key.`, [`odoops tenant status ${slug}`])
    }
  }
  refuse(await getTenant(env.store, slug))
  return withTenantLock(env.store, slug, 'tenant rotate-key', async () => {
    const tenant = await getTenant(env.store, slug)
    refuse(tenant)
    const conn = await (env.connect ?? ((host: string) => connectHost(env.store, host)))(tenant.host)
    const key = await makeTenantApiKey(conn, tenant)
    await writeSecret(env.store, env.box, secretIds.tenantApiKey(tenant.id), key)
    const rotatedAt = new Date().toISOString()
    await requireKeyWorks(conn, tenant, key)
    return {tenant: tenant.id, series: tenant.series, rotatedAt, check: 'passed' as const}
  })
}

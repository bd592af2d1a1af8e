import {deploySet} from '../addons/deploy/deploy.js'
import {pickSet} from '../addons/deploy/pick.js'
import {SHARED} from '../addons/deploy/service.js'
import {BRANDING_MODULE, BUILTIN_ADDONS_REPO} from '../addons/builtin.js'
import {usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {hostTransport} from '../odoo/transport.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantRecord} from '../state/records.js'
import {currentReleases, sharedAddonsPlan} from '../tenants/addons.js'
import type {TenantEnv} from '../tenants/context.js'
import {connectFor} from '../tenants/create.js'
import {inspectDatabase} from '../tenants/database.js'
import {getTenant} from '../tenants/listing.js'
import {runOdooShell} from '../tenants/odoo-shell.js'
import {serviceOf} from '../tenants/save-tenant.js'
import {updateTenant} from '../tenants/update.js'
import {brandParams, brandProblems, brandScript, readBrandFile, type Brand} from './brand.js'
import {scanDatabase, scanMail, scanPage, scanSessionInfo, type BrandPlace} from './scan.js'
import {registerSecret} from '../secrets/redact.js'
import {readSecret, secretIds} from '../secrets/vault.js'

export interface BrandApplyResult {
  tenant: string
  brand: Brand
  /** The `odoops` addon repository was deployed to the tenant's service (which restarted). */
  deployed: boolean
  /** odoops_branding was installed (`odoo -i`; a shared service restarts once for it). */
  installed: boolean
  /** The parameters written (a null one was removed). */
  params: Record<string, string | null>
  logo: boolean
}

/**
 * Brands a running tenant: its service gets odoops' own addon repository (`odoops`) when it
 * lacks it, odoops_branding is installed when it is not (both only the first time), then the
 * brand is written as system parameters (and the logo as the main company's) with odoo shell.
 * Odoo reads the parameters at render time: a brand change restarts nothing.
 */
export async function applyTenantBrand(env: TenantEnv & {dataDir: string}, slug: string, brand: Brand, options: {onProgress?: (message: string) => void} = {}): Promise<BrandApplyResult> {
  const problems = brandProblems(brand)
  if (problems.length) throw usageError('BRANDING_INVALID', `The brand is invalid: ${problems.join('; ')}.`, ['Fix the values (flags, the template\'s branding: or the branding.* settings).'])
  if (!brand.name) throw usageError('BRANDING_NAME_MISSING', 'The brand has no name.', ['Pass --name, set it in the template\'s branding:, or set a default: odoops config set branding.name "Acme IT"'])
  const logo = brand.logo ? await readBrandFile('logo', brand.logo) : undefined
  const favicon = brand.favicon ? await readBrandFile('favicon', brand.favicon) : undefined
  let tenant = await getTenant(env.store, slug)
  if (tenant.state !== 'active') throw usageError('TENANT_NOT_ACTIVE', `Tenant ${slug} is ${tenant.state}: only an active tenant can be branded.`, [`odoops tenant status ${slug}`])
  const deployed = await ensureRepoOnService(env, tenant, options.onProgress)
  const conn = await connectFor(env)(tenant.host)
  const state = await inspectDatabase(conn, tenant.database, [BRANDING_MODULE])
  let installed = false
  if (!state.exists || state.modules[BRANDING_MODULE] !== 'installed') {
    options.onProgress?.(`Installing ${BRANDING_MODULE} in ${tenant.database}.`)
    await updateTenant(env, slug, [BRANDING_MODULE])
    installed = true
    tenant = await getTenant(env.store, slug)
  }
  const params = brandParams(brand, favicon)
  await runOdooShell(conn, {config: serviceOf(tenant).config, database: tenant.database}, brandScript(params, logo, brand.primaryColor), 'write the brand')
  return {tenant: slug, brand, deployed, installed, params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, k.endsWith('.favicon') && v ? `${v.slice(0, 32)}…` : v])), logo: logo !== undefined}
}

/** Deploys `odoops` to the tenant's service (shared: the host's; dedicated: its own) unless it runs it. */
async function ensureRepoOnService(env: TenantEnv & {dataDir: string}, tenant: TenantRecord, onProgress?: (message: string) => void): Promise<boolean> {
  const host = await getHost(env.store, tenant.host)
  const dedicated = tenant.mode === 'dedicated'
  const recorded = dedicated ? tenant.addons : host.services?.[tenant.series]?.addons
  const current = await currentReleases(env.store)
  const plan = sharedAddonsPlan(recorded, [BUILTIN_ADDONS_REPO], (repo) => current.get(repo))
  if (plan.set.length === 0) return false
  onProgress?.(`Deploying addon repository ${BUILTIN_ADDONS_REPO} to ${dedicated ? `${tenant.id}'s service` : `the shared ${tenant.series} service`} on ${host.id}.`)
  await deploySet(
    {store: env.store, box: env.box, dataDir: env.dataDir, ...(env.signal ? {signal: env.signal} : {}), ...(env.connect ? {connect: env.connect} : {}), ...(onProgress ? {onProgress} : {})},
    {host: host.id, service: dedicated ? tenant.id : SHARED, what: 'tenant brand'},
    await pickSet({store: env.store}, plan.set),
  )
  return true
}

export interface BrandCheckResult {
  slug: string
  /** Every place Odoo's brand still shows; empty when the tenant is fully branded. */
  places: BrandPlace[]
  /** What was looked at: `login` (/web/login through nginx), `webclient` (the module and brand in the database), `webclient:session-info` (what the web client starts with, from a login as admin), `mail` (the newest outgoing e-mail's body). */
  checked: string[]
  /** What could not be looked at, and why (e.g. no e-mail sent yet). */
  skipped: {where: string; reason: string}[]
}

const CHECK_SCRIPT = `
import json
m = env['ir.module.module'].search([('name', '=', 'odoops_branding')], limit=1)
name = env['ir.config_parameter'].sudo().get_param('odoops_branding.name')
mail = env['mail.mail'].sudo().search([('body_html', '!=', False)], order='id desc', limit=1) if 'mail.mail' in env else None
print('ODOOPS_BRAND_CHECK ' + json.dumps({'installed': bool(m) and m.state == 'installed', 'name': name or None, 'mail': mail.body_html if mail else None, 'mailId': mail.id if mail else None}))
`

/**
 * Looks at a tenant as its users and their correspondents see it: /web/login through the host's
 * nginx (HTTPS, SNI and Host = the tenant's domain), the module and brand in its database, and
 * the newest outgoing e-mail Odoo rendered (mail.mail body_html). Reads only.
 */
export async function checkTenantBrand(env: TenantEnv, slug: string): Promise<BrandCheckResult> {
  const tenant = await getTenant(env.store, slug)
  const conn = await connectFor(env)(tenant.host)
  const places: BrandPlace[] = []
  const skipped: BrandCheckResult['skipped'] = []
  const login = await fetchThroughNginx(conn, tenant.domain, '/web/login')
  if (login.status !== 200) throw usageError('BRANDING_PAGE_UNREACHABLE', `GET /web/login of ${slug} through nginx answered ${login.status}.`, [`odoops tenant status ${slug}`])
  places.push(...scanPage('login', login.body))
  const stdout = await runOdooShell(conn, {config: serviceOf(tenant).config, database: tenant.database}, CHECK_SCRIPT, 'read the brand')
  const line = stdout.split('\n').find((l) => l.startsWith('ODOOPS_BRAND_CHECK '))
  if (!line) throw new Error(`odoo shell printed no result for ${slug}`)
  const state = JSON.parse(line.slice('ODOOPS_BRAND_CHECK '.length)) as {installed: boolean; name: string | null; mail: string | null; mailId: number | null}
  places.push(...scanDatabase(state))
  const checked = ['login', 'webclient']
  const password = await readSecret(env.store, env.box, secretIds.tenantAdminPassword(tenant.id))
  if (password === undefined) skipped.push({where: 'webclient:session-info', reason: 'odoops holds no admin password for this tenant'})
  else {
    registerSecret(password)
    const info = await sessionInfoThroughNginx(conn, tenant.domain, tenant.database, tenant.adminLogin ?? 'admin', password)
    if ('skipped' in info) skipped.push({where: 'webclient:session-info', reason: info.skipped})
    else {
      checked.push('webclient:session-info')
      places.push(...scanSessionInfo(info.info))
    }
  }
  if (state.mail) {
    checked.push('mail')
    places.push(...scanMail(state.mail).map((p) => ({...p, where: `${p.where} (mail.mail ${state.mailId})`})))
  } else skipped.push({where: 'mail', reason: 'no outgoing e-mail in mail.mail yet'})
  return {slug, places, checked, skipped}
}

/**
 * The session info Odoo gives the web client, as the answer of a login as the tenant's admin
 * (POST /web/session/authenticate through nginx: the same route the web client's login uses,
 * on 17.0 to 19.0). Like every login, Odoo records it in res_users_log.
 */
async function sessionInfoThroughNginx(conn: SshConnection, domain: string, db: string, login: string, password: string): Promise<{info: Record<string, unknown>} | {skipped: string}> {
  const transport = hostTransport(conn, {port: 443, tls: true, hostHeader: domain})
  try {
    const response = await transport.request('/web/session/authenticate', {
      method: 'POST',
      headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify({jsonrpc: '2.0', method: 'call', id: 1, params: {db, login, password}}),
    })
    let answer: {result?: unknown; error?: {message?: string; data?: {message?: string}}} | undefined
    try {
      answer = JSON.parse(response.body.toString('utf8')) as typeof answer
    } catch {
      answer = undefined
    }
    if (response.status !== 200 || !answer) return {skipped: `POST /web/session/authenticate answered HTTP ${response.status}`}
    if (answer.error || !answer.result || typeof answer.result !== 'object') return {skipped: `the admin login was refused: ${answer.error?.data?.message ?? answer.error?.message ?? 'no session info'}`}
    return {info: answer.result as Record<string, unknown>}
  } finally {
    await transport.close().catch(() => {})
  }
}

async function fetchThroughNginx(conn: SshConnection, domain: string, path: string): Promise<{status: number; body: string}> {
  const transport = hostTransport(conn, {port: 443, tls: true, hostHeader: domain})
  try {
    const response = await transport.request(path)
    return {status: response.status, body: response.body.toString('utf8')}
  } finally {
    await transport.close().catch(() => {})
  }
}

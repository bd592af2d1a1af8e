import {readFile} from 'node:fs/promises'
import {OdoopsError} from '../errors.js'
import {renderVhost, vhostFileName} from '../provision/vhost.js'
import {renderOdooConfig, SIZES, type Size} from '../provision/odoo-config.js'
import {renderOdooUnit} from '../provision/systemd-unit.js'
import {recordedAddonsPath} from '../addons/deploy/recorded-path.js'
import type {Step, StepChange} from '../steps/runner.js'
import {ensureDirectory, ensureRemoteFile, readRemoteFile} from '../remote/files.js'
import {applyNginxSite} from '../remote/nginx.js'
import {dropDatabase, ensureLoginRole, pgCluster} from '../remote/postgres-admin.js'
import {ensureUnitActive, ensureUnitFile} from '../remote/systemd.js'
import {ensureSelfSignedCertificate, installCertificate} from '../remote/tls.js'
import {OdooClient} from '../odoo/client.js'
import {checkPasswordLogin, usesJson2} from '../odoo/session.js'
import {ensureSecret, readSecret, secretIds} from '../secrets/vault.js'
import type {TenantStepContext} from './context.js'
import {inspectDatabase, missingModules} from './database.js'
import {dbNamesOf, withDbNames} from './db-names.js'
import {checkTenantThroughNginx} from './health.js'
import {odooFailureSummary, odooRunCommand} from './odoo-cli.js'
import {apiKeyStep} from './api-key.js'
import {dedicatedAddonsStep, sharedAddonsStep} from './addons-steps.js'
import {adminPasswordScript, runOdooShell} from './odoo-shell.js'
import {tenantMajor, withStoredTenantSession, withTenantTransport} from './odoo-session.js'
import {restoreDataSteps} from './restore-steps.js'
import {attemptAcme} from './acme.js'
import {saveTenant, serviceOf} from './save-tenant.js'

/** Time `odoo -i` may take: real installs of many modules take minutes. */
const ODOO_INIT_TIMEOUT_MS = 45 * 60_000

type TenantStep = Step<TenantStepContext>


const role: TenantStep = {
  name: 'role',
  title: 'PostgreSQL role (login, CREATEDB, not a superuser)',
  async run(ctx) {
    const password = await ensureSecret(ctx.env.store, ctx.env.box, secretIds.tenantDbPassword(ctx.tenant.id))
    return ensureLoginRole(ctx.conn, serviceOf(ctx.tenant).role, password, {createdb: true})
  },
}

const directories: TenantStep = {
  name: 'directories',
  title: 'data directory',
  async run(ctx) {
    return ensureDirectory(ctx.conn, serviceOf(ctx.tenant).dataDir, {mode: 0o750, owner: 'odoo', group: 'odoo'})
  },
}

const config: TenantStep = {
  name: 'config',
  title: 'Odoo configuration',
  async run(ctx) {
    const svc = serviceOf(ctx.tenant)
    const {store, box} = ctx.env
    const cluster = await pgCluster(ctx.conn)
    const size = SIZES[(svc.size ?? 'small') as Size]
    // Addons deployed to the tenant's service stay in its addons_path (addons deploy).
    const addonsPath = await recordedAddonsPath(ctx.conn, ctx.tenant.addons)
    const text = renderOdooConfig({
      series: ctx.tenant.series,
      dbHost: '127.0.0.1',
      dbPort: cluster.port,
      dbUser: svc.role,
      dbPassword: await ensureSecret(store, box, secretIds.tenantDbPassword(ctx.tenant.id)),
      dataDir: svc.dataDir,
      httpPort: svc.httpPort,
      geventPort: svc.geventPort,
      adminPasswd: await ensureSecret(store, box, secretIds.tenantMasterPassword(ctx.tenant.id), 32),
      // One database per dedicated service: the filter names it exactly.
      dbFilter: `^${ctx.tenant.database.replace(/[.^$*+?()[\]{}|\\-]/g, '\\$&')}$`,
      dbNames: [ctx.tenant.database],
      ...size,
      limitTimeCpu: 600,
      limitTimeReal: 1200,
      ...(addonsPath ? {addonsPath} : {}),
    })
    return ensureRemoteFile(ctx.conn, svc.config, text, {mode: 0o640, owner: 'root', group: 'odoo'})
  },
}

const unit: TenantStep = {
  name: 'unit',
  title: 'systemd unit',
  async run(ctx) {
    const svc = serviceOf(ctx.tenant)
    const logFile = `/var/log/odoops/${ctx.tenant.id}.log`
    return ensureUnitFile(ctx.conn, svc.unit, renderOdooUnit({description: `Odoo ${ctx.tenant.series} for odoops tenant ${ctx.tenant.id}`, config: svc.config, logFile}))
  },
}

const database: TenantStep = {
  name: 'database',
  title: 'database and modules (odoo -i)',
  async run(ctx, signal) {
    const {tenant, conn} = ctx
    const modules = tenant.modules ?? []
    let state = await inspectDatabase(conn, tenant.database, modules)
    let change: StepChange = 'unchanged'
    // A database that exists but never finished initialising belongs to an interrupted
    // run of this same creation (the tenant was never active): start it again cleanly.
    if (state.exists && !state.initialized) {
      await dropDatabase(conn, tenant.database)
      state = {exists: false}
      change = 'changed'
    }
    const missing = missingModules(state, state.exists ? modules : ['base', ...modules])
    if (missing.length === 0) return change
    signal.throwIfAborted()
    const result = await conn.exec(
      odooRunCommand({config: serviceOf(tenant).config, database: tenant.database, series: tenant.series, install: state.exists ? missing : ['base', ...modules], lang: tenant.lang}),
      {root: true, timeoutMs: ODOO_INIT_TIMEOUT_MS},
    )
    const output = result.stdout.toString() + result.stderr.toString()
    if (result.code !== 0) {
      throw new OdoopsError('ODOO_INIT_FAILED', `odoo -i failed on ${tenant.database} (exit ${result.code ?? result.signal}):\n${odooFailureSummary(output)}`, {
        suggestions: ['Read the full log on the host, fix the cause, then: odoops tenant create --resume ' + tenant.id],
      })
    }
    // Odoo exits 0 when a module name is unknown (it only logs a warning): check the catalog.
    const after = await inspectDatabase(conn, tenant.database, modules)
    const notInstalled = missingModules(after, ['base', ...modules])
    if (notInstalled.length) {
      throw new OdoopsError('ODOO_MODULES_NOT_INSTALLED', `These modules are not installed after odoo -i: ${notInstalled.join(', ')}.`, {
        suggestions: ['Check the module names (technical names, e.g. sale_management) and that they exist in this Odoo series.', `Then: odoops tenant remove ${tenant.id} --confirm ${tenant.id}, and create it again.`],
      })
    }
    return {change: 'changed', detail: `installed ${['base', ...modules].join(', ')}`}
  },
}

const start: TenantStep = {
  name: 'service',
  title: 'service enabled and running',
  async run(ctx) {
    return ensureUnitActive(ctx.conn, serviceOf(ctx.tenant).unit)
  },
}

/**
 * Replace admin/admin at once (cli.rst: "change it at once"). Before 19.0 over XML-RPC on the
 * service port; from 19.0 (no XML-RPC from 20 on, and JSON-2 only takes API keys, which the
 * next step makes) the logins are checked with /web/session/authenticate and the password is
 * set with Odoo's own code in `odoo shell` (the res.users password setter hashes it).
 */
const adminPassword: TenantStep = {
  name: 'admin-password',
  title: 'replace the default admin password',
  async run(ctx) {
    const {tenant, env} = ctx
    // Stored before it is set in Odoo, so a crash in between never loses it.
    const password = await ensureSecret(env.store, env.box, secretIds.tenantAdminPassword(tenant.id))
    const unknown = () =>
      new OdoopsError('TENANT_ADMIN_PASSWORD_UNKNOWN', `The admin user of ${tenant.database} accepts neither the default password nor the one odoops stored.`, {
        suggestions: [`Someone changed it outside odoops. Remove the tenant (odoops tenant remove ${tenant.id} --confirm ${tenant.id}) and create it again.`],
      })
    const major = tenantMajor(tenant)
    if (major !== undefined && usesJson2(major)) {
      const accepted = await withTenantTransport(ctx.conn, tenant, async (transport) => {
        if (await checkPasswordLogin(transport, major, tenant.database, 'admin', password)) return 'stored'
        return (await checkPasswordLogin(transport, major, tenant.database, 'admin', 'admin')) ? 'default' : 'neither'
      })
      if (accepted === 'stored') return 'unchanged'
      if (accepted === 'neither') throw unknown()
      await runOdooShell(ctx.conn, {config: serviceOf(tenant).config, database: tenant.database}, adminPasswordScript(password), 'set the admin password')
      return 'changed'
    }
    return withTenantTransport(ctx.conn, tenant, async (transport) => {
      const client = new OdooClient(transport)
      if (await client.authenticate(tenant.database, 'admin', password)) return 'unchanged'
      const uid = await client.authenticate(tenant.database, 'admin', 'admin')
      if (!uid) throw unknown()
      await client.executeKw(tenant.database, uid, 'admin', 'res.users', 'write', [[uid], {password}])
      return 'changed'
    })
  },
}

/** Company name and country, and web.base.url so links in mails point at the tenant's domain. */
const company: TenantStep = {
  name: 'company',
  title: 'company name, country and base URL',
  async run(ctx) {
    const {tenant, env} = ctx
    return withStoredTenantSession(env.store, env.box, ctx.conn, tenant, async (session) => {
      const changes: string[] = []
      const [current] = await session.call<{name: string; country_id: [number, string] | false}[]>('res.company', 'read', [[1], ['name', 'country_id']])
      const values: Record<string, unknown> = {}
      if (tenant.customer && current.name !== tenant.customer) values.name = tenant.customer
      if (tenant.country) {
        const ids = await session.call<number[]>('res.country', 'search', [[['code', '=', tenant.country]]])
        if (ids.length === 0) throw new OdoopsError('TENANT_COUNTRY_UNKNOWN', `Odoo knows no country with code ${tenant.country}.`, {suggestions: ['Use an ISO 3166 two-letter code.']})
        if (!current.country_id || current.country_id[0] !== ids[0]) values.country_id = ids[0]
      }
      if (Object.keys(values).length) {
        await session.call('res.company', 'write', [[1], values])
        changes.push(...Object.keys(values))
      }
      const url = `https://${tenant.domain}`
      if ((await session.call('ir.config_parameter', 'get_param', ['web.base.url'])) !== url) {
        await session.call('ir.config_parameter', 'set_param', ['web.base.url', url])
        changes.push('web.base.url')
      }
      return changes.length ? {change: 'changed', detail: changes.join(', ')} : 'unchanged'
    })
  },
}

/**
 * Add the database to the shared service's db_name (dbfilter does not restrict crons:
 * ODOO-FACTS.md) and restart the service so its crons run. Other tenants of the service
 * see a restart of a few seconds.
 */
const sharedDbList: TenantStep = {
  name: 'db-list',
  title: 'database listed in the shared service (crons)',
  async run(ctx) {
    const {conn, tenant} = ctx
    const shared = ctx.shared
    if (!shared) throw new Error('no shared service')
    const text = await readRemoteFile(conn, shared.config)
    if (text === undefined) throw new OdoopsError('SHARED_CONFIG_MISSING', `${shared.config} is missing on ${ctx.host.id}.`, {suggestions: [`odoops host prepare ${ctx.host.id} --odoo ${tenant.series}`]})
    const names = dbNamesOf(text)
    let change: StepChange = 'unchanged'
    if (!names.includes(tenant.database)) {
      await ensureRemoteFile(conn, shared.config, withDbNames(text, [...names, tenant.database]), {mode: 0o640, owner: 'root', group: 'odoo'})
      await ensureUnitActive(conn, shared.unit, {restart: true})
      change = 'changed'
    }
    await recordSharedDatabases(ctx, (list) => (list.includes(tenant.database) ? list : [...list, tenant.database]))
    return change
  },
}

export async function recordSharedDatabases(ctx: TenantStepContext, change: (list: string[]) => string[]): Promise<void> {
  const series = ctx.tenant.series
  ctx.host = await ctx.env.store.hosts.update(ctx.host.id, (host) => {
    const current = host.services?.[series]
    if (!current) return host
    return {...host, services: {...host.services, [series]: {...current, databases: change(current.databases ?? [])}}}
  })
  ctx.shared = ctx.host.services?.[series]
}

const tls: TenantStep = {
  name: 'tls',
  title: 'TLS certificate',
  async run(ctx) {
    const {tenant, conn} = ctx
    const source = typeof tenant.tlsSource === 'object' && tenant.tlsSource ? (tenant.tlsSource as {certificateFile: string; keyFile: string}) : undefined
    // An ACME certificate already issued (a resume after it): keep serving it.
    if (!source && tenant.tls?.acme) return {change: 'unchanged', detail: `ACME ${tenant.tls.certificate}`}
    // ACME tenants start on a self-signed certificate: the CA is asked once the vhost serves the challenge path (step acme).
    const result = source
      ? await installCertificate(conn, tenant.domain, await readFile(source.certificateFile, 'utf8'), await readFile(source.keyFile, 'utf8'))
      : await ensureSelfSignedCertificate(conn, tenant.domain)
    await saveTenant(ctx, {tls: {certificate: result.certificate, key: result.key, selfSigned: !source}})
    return {change: result.change, detail: source ? 'given certificate' : tenant.acme ? 'self-signed until the ACME certificate is issued' : 'self-signed'}
  },
}

/** The tenant's nginx site, rendered from its record (certificate from `tenant.tls`). */
export async function applyTenantVhost(ctx: TenantStepContext): Promise<StepChange> {
  const {tenant} = ctx
  const svc = serviceOf(tenant)
  if (!tenant.tls) throw new Error('no TLS certificate recorded')
  const text = renderVhost({slug: tenant.id, domain: tenant.domain, ...(tenant.aliases?.length ? {aliases: tenant.aliases} : {}), series: tenant.series, httpPort: svc.httpPort, geventPort: svc.geventPort, certificate: tenant.tls.certificate, certificateKey: tenant.tls.key})
  return applyNginxSite(ctx.conn, vhostFileName(tenant.id), text)
}

const vhost: TenantStep = {
  name: 'vhost',
  title: 'nginx virtual host',
  run: applyTenantVhost,
}

/**
 * `--tls acme`: one attempt at an ACME certificate once the tenant answers through nginx.
 * A failed check or issuance does not fail the creation: the tenant stays on its
 * self-signed certificate, `tenant.acme` says which check failed, and the command warns
 * (`tenant tls <slug> --retry` tries again).
 */
const acmeStep: TenantStep = {
  name: 'acme',
  title: 'ACME certificate (checks, certbot, vhost switched)',
  async run(ctx, signal) {
    if (!ctx.tenant.acme) return {change: 'unchanged', detail: 'not asked for'}
    if (ctx.tenant.acme.status === 'issued' && ctx.tenant.tls?.acme) return {change: 'unchanged', detail: `issued ${ctx.tenant.tls.certificate}`}
    const attempt = await attemptAcme(ctx, applyTenantVhost, signal)
    return attempt.status === 'issued' ? {change: 'changed', detail: `issued ${attempt.certificate}`} : {change: 'unchanged', detail: `failed (${attempt.failedCheck}): still self-signed`}
  },
}

/** The tenant is active only once it answers through nginx and the new password works there. */
const health: TenantStep = {
  name: 'health',
  title: 'health through nginx and login with the new password',
  async run(ctx) {
    const password = await readSecret(ctx.env.store, ctx.env.box, secretIds.tenantAdminPassword(ctx.tenant.id))
    if (!password) throw new Error('the admin password is not stored')
    const report = await checkTenantThroughNginx(ctx.conn, ctx.tenant, {password, waitMs: 60_000})
    if (!report.ok) {
      throw new OdoopsError('TENANT_UNHEALTHY', `${ctx.tenant.domain} is not healthy through nginx: ${report.detail}.`, {
        suggestions: [`Look at the service (journalctl -u ${serviceOf(ctx.tenant).unit}) and nginx logs on ${ctx.host.id}, then: odoops tenant create --resume ${ctx.tenant.id}`],
      })
    }
    return {change: 'unchanged', detail: report.detail}
  },
}

/** A tenant whose data comes from a backup or an Odoo zip: the same plan, with the data loaded instead of `odoo -i`. */
export function restoreSteps(mode: 'shared' | 'dedicated'): TenantStep[] {
  return mode === 'dedicated'
    ? [role, directories, config, unit, ...restoreDataSteps, start, apiKeyStep, tls, vhost, health]
    : [...restoreDataSteps, apiKeyStep, sharedDbList, tls, vhost, health]
}

export function createSteps(mode: 'shared' | 'dedicated'): TenantStep[] {
  return mode === 'dedicated'
    ? [role, directories, dedicatedAddonsStep, config, unit, database, start, adminPassword, apiKeyStep, company, tls, vhost, health, acmeStep]
    : [sharedAddonsStep, database, adminPassword, apiKeyStep, company, sharedDbList, tls, vhost, health, acmeStep]
}

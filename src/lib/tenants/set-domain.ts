import {ExitCode, OdoopsError, usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {filestoreDir} from '../backup/shell/pipeline.js'
import {validateDomain} from '../names/domain.js'
import {redirectsFileName, renderRedirectVhost, vhostFileName} from '../provision/vhost.js'
import {deleteCertificate} from '../remote/acme.js'
import {ensureRemoteFile, moveDirectory, readRemoteFile, removeRemotePath} from '../remote/files.js'
import {applyNginxSite, removeNginxSite} from '../remote/nginx.js'
import {databaseExists, psqlAsPostgres, renameDatabase} from '../remote/postgres-admin.js'
import {ensureUnitActive} from '../remote/systemd.js'
import {certificatePaths, ensureSelfSignedCertificate, TLS_DIR} from '../remote/tls.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import {shell} from '../ssh/quote.js'
import type {HostRecord, TenantDomainChange, TenantRecord, TenantRedirectRecord} from '../state/records.js'
import {StepFailedError, runSteps, type Step, type StepChange, type StepRecord} from '../steps/runner.js'
import {acmeWarning, attemptAcme} from './acme.js'
import type {TenantEnv, TenantStepContext} from './context.js'
import {connectFor} from './create.js'
import {applyTenantVhost, recordSharedDatabases} from './create-steps.js'
import {dbNamesOf, withDbNames} from './db-names.js'
import {checkTenantThroughNginx} from './health.js'
import {databaseNameFor} from './input.js'
import {getTenant} from './listing.js'
import {withTenantLock} from './lock.js'
import {filesServing} from './nginx-names.js'
import {checkNamesFree} from './preflight.js'
import {saveTenant, serviceOf} from './save-tenant.js'

/**
 * `tenant set-domain` (docs/tls.md, "Changing a tenant's domain"): a tenant's main domain and
 * aliases changed as a recorded, resumable plan — a certificate for the new names, a shared
 * tenant's database renamed to its new domain (dbfilter `^%h$` picks it by name), web.base.url,
 * the vhost, and the old names kept as a 301 to the new domain over http and https (with their
 * old certificate) for a grace period.
 */
export interface SetDomainInput {
  slug: string
  domain: string
  /** `--alias` (repeatable): the new aliases, replacing the old ones. Unset: no aliases (the old ones redirect). */
  aliases?: string[]
  /** Days the old names redirect (0: none). */
  graceDays: number
  tlsMode?: 'acme' | 'self-signed'
  /** Remove every redirect of old names now (also with the same domain). */
  dropOld?: boolean
}

export const DEFAULT_GRACE_DAYS = 30
const MAX_GRACE_DAYS = 3650

export interface SetDomainResult {
  tenant: TenantRecord
  /** False: the tenant already had these names (a clear no-op; expired redirects are still removed). */
  changed: boolean
  resumed: boolean
  from: {domain: string; aliases: string[]; database: string}
  to: {domain: string; aliases: string[]; database: string}
  steps: StepRecord[]
  /** Old names removed from nginx by this run (expired, dropped, or taken back as names of the tenant). */
  redirectsRemoved: string[]
  /** ACME was asked for and a check failed: the new names serve a self-signed certificate. */
  warnings: string[]
}

/** The names asked for, normalised: domain syntax, aliases distinct from the domain, grace days. */
export function normalizeSetDomain(raw: {slug: string; domain: string; aliases?: string[]; graceDays?: number; tlsMode?: string; dropOld?: boolean}): SetDomainInput {
  const domain = validateDomain(raw.domain)
  const aliases = [...new Set((raw.aliases ?? []).map(validateDomain))]
  if (aliases.includes(domain)) throw usageError('TENANT_ALIAS_INVALID', `${domain} is the tenant's domain; an alias is another name.`, ['Leave it out of --alias.'])
  const graceDays = raw.graceDays ?? DEFAULT_GRACE_DAYS
  if (!Number.isInteger(graceDays) || graceDays < 0 || graceDays > MAX_GRACE_DAYS) {
    throw usageError('TENANT_GRACE_INVALID', `--grace-days ${raw.graceDays} is not a number of days from 0 to ${MAX_GRACE_DAYS}.`, ['e.g. --grace-days 30 (0: no redirect of the old names)'])
  }
  if (raw.tlsMode !== undefined && raw.tlsMode !== 'acme' && raw.tlsMode !== 'self-signed') {
    throw usageError('TENANT_TLS_INVALID', `"${raw.tlsMode}" is not a TLS mode.`, ['Use --tls acme or --tls self-signed.'])
  }
  return {slug: raw.slug, domain, ...(raw.aliases === undefined ? {} : {aliases}), graceDays, ...(raw.tlsMode ? {tlsMode: raw.tlsMode} : {}), ...(raw.dropOld ? {dropOld: true} : {})}
}

/** The next certbot lineage name of a tenant: `<slug>.<n>`, past every name it or its redirects use. */
export function nextCertName(tenant: Pick<TenantRecord, 'id' | 'acme' | 'redirects'>): string {
  const used = [tenant.acme?.certName, ...(tenant.redirects ?? []).map((r) => r.certName)].filter((n): n is string => Boolean(n))
  const generations = used.map((n) => (n === tenant.id ? 1 : n.startsWith(`${tenant.id}.`) ? Number(n.slice(tenant.id.length + 1)) : 0)).filter(Number.isFinite)
  return `${tenant.id}.${Math.max(1, ...generations) + 1}`
}

/**
 * What a change does, from the tenant and the input (no I/O): `undefined` when the tenant
 * already has exactly these names. The database of a shared tenant follows its domain.
 */
export function planDomainChange(tenant: TenantRecord, host: Pick<HostRecord, 'acme' | 'id'>, input: SetDomainInput, now = new Date()): TenantDomainChange | undefined {
  const from = {domain: tenant.domain, aliases: tenant.aliases ?? [], database: tenant.database}
  const aliases = input.aliases ?? []
  if (input.domain === from.domain && sameNames(aliases, from.aliases)) return undefined
  const tls = input.tlsMode ?? (host.acme ? 'acme' : 'self-signed')
  if (tls === 'acme' && !host.acme) {
    throw usageError('ACME_NOT_CONFIGURED', `--tls acme: ${host.id} has no ACME account.`, [`Set one up first: odoops host prepare ${host.id} --odoo ${tenant.series} --acme-email <address>`, 'Or use --tls self-signed.'])
  }
  const to = {domain: input.domain, aliases, database: tenant.mode === 'shared' ? databaseNameFor('shared', tenant.id, input.domain) : tenant.database}
  const redirectUntil = input.graceDays > 0 ? new Date(now.getTime() + input.graceDays * 86_400_000).toISOString() : undefined
  return {from, to, tls, ...(tls === 'acme' ? {certName: nextCertName(tenant)} : {}), ...(redirectUntil ? {redirectUntil} : {})}
}

export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(' ') === [...b].sort().join(' ')
}

/** Old names no longer the tenant's after the change: those the redirect answers. */
export function oldNames(change: TenantDomainChange): string[] {
  const kept = new Set([change.to.domain, ...change.to.aliases])
  return [change.from.domain, ...change.from.aliases].filter((n) => !kept.has(n))
}

interface SetDomainContext extends TenantStepContext {
  change: TenantDomainChange
  removed: string[]
  warnings: string[]
}

type SetDomainStep = Step<SetDomainContext>

const tls: SetDomainStep = {
  name: 'tls',
  title: 'self-signed certificate for the new domain (until the ACME certificate is issued)',
  async run(ctx) {
    const result = await ensureSelfSignedCertificate(ctx.conn, ctx.change.to.domain)
    return result.change
  },
}

/** Shared: the database takes its new domain's name (dbfilter ^%h$), with its filestore; db_name of the shared service follows. */
const database: SetDomainStep = {
  name: 'database',
  title: 'database renamed to the new domain (shared) and its filestore moved',
  async run(ctx) {
    const {conn, change} = ctx
    if (change.from.database === change.to.database) return {change: 'unchanged', detail: `${change.to.database} keeps its name`}
    const svc = serviceOf(ctx.tenant)
    const fromExists = await databaseExists(conn, change.from.database)
    const toExists = await databaseExists(conn, change.to.database)
    let result: StepChange = 'unchanged'
    if (fromExists && toExists) {
      throw new OdoopsError('DATABASE_EXISTS', `Both ${change.from.database} and ${change.to.database} exist on ${ctx.host.id}: odoops will not rename over a database.`, {
        suggestions: [`Look at ${change.to.database} on the host; drop it if it is not the tenant's, then run the same command again.`],
      })
    }
    if (!fromExists && !toExists) throw new OdoopsError('TENANT_DATABASE_MISSING', `Neither ${change.from.database} nor ${change.to.database} exists on ${ctx.host.id}.`, {suggestions: [`odoops tenant status ${ctx.tenant.id}`]})
    if (fromExists) {
      await renameDatabase(conn, change.from.database, change.to.database)
      result = 'changed'
    }
    // After a rename (or a resume after one): the filestore follows when it is still under the old name.
    const oldDir = filestoreDir(svc.dataDir, change.from.database)
    const newDir = filestoreDir(svc.dataDir, change.to.database)
    const dirs = await conn.run(shell`if [ -e ${oldDir} ]; then echo old; fi; if [ -e ${newDir} ]; then echo new; fi`, {root: true})
    if (dirs.includes('old') && !dirs.includes('new')) {
      await moveDirectory(conn, oldDir, newDir)
      result = 'changed'
    }
    const shared = ctx.shared
    if (shared) {
      const text = await readRemoteFile(conn, shared.config)
      if (text === undefined) throw new OdoopsError('SHARED_CONFIG_MISSING', `${shared.config} is missing on ${ctx.host.id}.`, {suggestions: [`odoops host prepare ${ctx.host.id} --odoo ${ctx.tenant.series}`]})
      const names = dbNamesOf(text)
      const renamed = [...new Set(names.map((n) => (n === change.from.database ? change.to.database : n)))]
      if (!renamed.includes(change.to.database)) renamed.push(change.to.database)
      if (renamed.join(',') !== names.join(',')) {
        await ensureRemoteFile(conn, shared.config, withDbNames(text, renamed), {mode: 0o640, owner: 'root', group: 'odoo'})
        result = 'changed'
      }
      await recordSharedDatabases(ctx, (list) => [...new Set(list.map((n) => (n === change.from.database ? change.to.database : n)))])
    }
    return {change: result, detail: `${change.from.database} → ${change.to.database}`}
  },
}

/** web.base.url in ir_config_parameter (links in mails), as the postgres superuser; the restart below drops Odoo's cached value. */
const baseUrl: SetDomainStep = {
  name: 'base-url',
  title: 'web.base.url set to the new domain',
  async run(ctx) {
    const url = `https://${ctx.change.to.domain}`
    const out = await psqlAsPostgres(
      ctx.conn,
      `WITH updated AS (UPDATE ir_config_parameter SET value = :'url', write_date = now() at time zone 'UTC' WHERE key = 'web.base.url' AND value IS DISTINCT FROM :'url' RETURNING 1),
inserted AS (INSERT INTO ir_config_parameter (key, value, create_date, write_date) SELECT 'web.base.url', :'url', now() at time zone 'UTC', now() at time zone 'UTC' WHERE NOT EXISTS (SELECT 1 FROM ir_config_parameter WHERE key = 'web.base.url') RETURNING 1)
SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted);`,
      {database: ctx.change.to.database, vars: {url}},
    )
    return {change: out.trim() === '0' ? 'unchanged' : 'changed', detail: url}
  },
}

/** The service serving the database restarted: Odoo caches registries per database name and ir.config_parameter values. */
const restart: SetDomainStep = {
  name: 'service',
  title: 'service restarted (a shared one pauses all its tenants a few seconds)',
  async run(ctx) {
    // A stopped dedicated tenant stays stopped; a shared service serves other tenants (and its db_name changed).
    if (ctx.tenant.state === 'stopped' && ctx.tenant.mode === 'dedicated') return {change: 'unchanged', detail: 'the tenant is stopped'}
    await ensureUnitActive(ctx.conn, serviceOf(ctx.tenant).unit, {restart: true})
    return 'changed'
  },
}

/** The switch in the record: new names, database, certificate; the old names become a redirect. */
const record: SetDomainStep = {
  name: 'record',
  title: 'tenant record switched to the new names',
  async run(ctx) {
    const {change, tenant} = ctx
    if (tenant.domain === change.to.domain && sameNames(tenant.aliases ?? [], change.to.aliases)) return 'unchanged'
    const selfSigned = certificatePaths(change.to.domain)
    const names = oldNames(change)
    const kept = new Set([change.to.domain, ...change.to.aliases])
    // Earlier redirects keep pointing at the tenant (now its new domain), minus names it takes back.
    const earlier = (tenant.redirects ?? []).map((r) => ({...r, names: r.names.filter((n) => !kept.has(n))})).filter((r) => r.names.length > 0)
    const redirect: TenantRedirectRecord | undefined =
      change.redirectUntil && names.length && tenant.tls
        ? {names, until: change.redirectUntil, certificate: tenant.tls.certificate, key: tenant.tls.key, ...(tenant.tls.acme && tenant.acme ? {certName: tenant.acme.certName} : {})}
        : undefined
    const next: TenantRecord = {
      ...tenant,
      domain: change.to.domain,
      aliases: change.to.aliases,
      database: change.to.database,
      tls: {certificate: selfSigned.certificate, key: selfSigned.key, selfSigned: true},
      redirects: [...earlier, ...(redirect ? [redirect] : [])],
    }
    if (!change.to.aliases.length) delete next.aliases
    // A certificate given with --tls-cert named the old domain only: the new one is ACME or self-signed.
    delete next.tlsSource
    delete next.acme
    if (change.tls === 'acme' && change.certName) next.acme = {certName: change.certName, domains: [change.to.domain, ...change.to.aliases], status: 'pending'}
    ctx.tenant = await ctx.env.store.tenants.update(tenant.id, () => next)
    // The old certificate when nothing redirects with it (--grace-days 0): retired now.
    if (!redirect && tenant.tls) ctx.removed.push(...(await retireCertificates(ctx, [{names, until: '', certificate: tenant.tls.certificate, key: tenant.tls.key, ...(tenant.tls.acme && tenant.acme ? {certName: tenant.acme.certName} : {})}])))
    return {change: 'changed', detail: `${change.from.domain} → ${change.to.domain}`}
  },
}

const vhost: SetDomainStep = {
  name: 'vhost',
  title: 'nginx virtual host for the new names',
  run: (ctx) => applyTenantVhost(ctx),
}

const redirects: SetDomainStep = {
  name: 'redirects',
  title: 'old names answered with a 301 to the new domain',
  async run(ctx) {
    const change = await applyRedirects(ctx, false)
    return {change, detail: (ctx.tenant.redirects ?? []).map((r) => `${r.names.join(', ')} until ${r.until}`).join('; ') || 'none'}
  },
}

const acme: SetDomainStep = {
  name: 'acme',
  title: 'ACME certificate for the new names (checks, certbot, vhost switched)',
  async run(ctx, signal) {
    const current = ctx.tenant.acme
    if (!current) return {change: 'unchanged', detail: 'not asked for'}
    if (current.status === 'issued' && ctx.tenant.tls?.acme) return {change: 'unchanged', detail: `issued ${ctx.tenant.tls.certificate}`}
    const attempt = await attemptAcme(ctx, applyTenantVhost, signal)
    if (attempt.status === 'failed') ctx.warnings.push(acmeWarning(ctx.tenant.id, ctx.tenant.acme!))
    return attempt.status === 'issued' ? {change: 'changed', detail: `issued ${attempt.certificate}`} : {change: 'unchanged', detail: `failed (${attempt.failedCheck}): still self-signed`}
  },
}

const health: SetDomainStep = {
  name: 'health',
  title: 'health through nginx on the new domain and login',
  async run(ctx) {
    if (ctx.tenant.state === 'stopped') return {change: 'unchanged', detail: 'the tenant is stopped'}
    const password = await readSecret(ctx.env.store, ctx.env.box, secretIds.tenantAdminPassword(ctx.tenant.id))
    if (!password) throw new Error('the admin password is not stored')
    const report = await checkTenantThroughNginx(ctx.conn, ctx.tenant, {password, waitMs: 60_000})
    if (!report.ok) {
      throw new OdoopsError('TENANT_UNHEALTHY', `${ctx.tenant.domain} is not healthy through nginx: ${report.detail}.`, {
        suggestions: [`Look at the service and nginx logs on ${ctx.host.id}, then run the same command again: odoops tenant set-domain ${ctx.tenant.id} ${ctx.tenant.domain}`],
      })
    }
    return {change: 'unchanged', detail: report.detail}
  },
}

export const SET_DOMAIN_STEPS: SetDomainStep[] = [tls, database, baseUrl, restart, record, vhost, redirects, acme, health]

/**
 * The redirect file rendered from the tenant's redirects still running (all of them go with
 * `dropAll`); expired ones are removed from the record, nginx and their certificates retired.
 */
async function applyRedirects(ctx: TenantStepContext & {removed: string[]}, dropAll: boolean, now = new Date()): Promise<StepChange> {
  const all = ctx.tenant.redirects ?? []
  const live = dropAll ? [] : all.filter((r) => new Date(r.until) > now)
  const gone = all.filter((r) => !live.includes(r))
  const file = redirectsFileName(ctx.tenant.id)
  let change = live.length ? await applyNginxSite(ctx.conn, file, renderRedirectVhost({slug: ctx.tenant.id, to: ctx.tenant.domain, redirects: live})) : await removeNginxSite(ctx.conn, file)
  if (gone.length) {
    await saveTenant(ctx, {redirects: live})
    ctx.removed.push(...(await retireCertificates(ctx, gone)))
    change = 'changed'
  }
  return change
}

/** certbot lineages and self-signed pairs of redirects that are gone, unless the tenant serves them. Returns their names. */
async function retireCertificates(ctx: TenantStepContext, gone: readonly TenantRedirectRecord[]): Promise<string[]> {
  const inUse = new Set([ctx.tenant.tls?.certificate, ctx.tenant.tls?.key, ...(ctx.tenant.redirects ?? []).flatMap((r) => [r.certificate, r.key])])
  for (const r of gone) {
    if (r.certName && r.certName !== ctx.tenant.acme?.certName) await deleteCertificate(ctx.conn, r.certName)
    // The pair it served (self-signed or given), and the self-signed pairs its names started on before ACME.
    const files = [r.certificate, r.key, ...r.names.flatMap((n) => Object.values(certificatePaths(n)))]
    for (const file of new Set(files)) if (file.startsWith(`${TLS_DIR}/`) && !inUse.has(file)) await removeRemotePath(ctx.conn, file)
  }
  return gone.flatMap((r) => r.names)
}

/** What `tenant remove` takes away besides the vhost: the redirects file and the old names' certificates. */
export async function removeRedirects(ctx: TenantStepContext): Promise<StepChange> {
  let change = await removeNginxSite(ctx.conn, redirectsFileName(ctx.tenant.id))
  const gone = ctx.tenant.redirects ?? []
  if (gone.length) {
    await retireCertificates({...ctx, tenant: {...ctx.tenant, redirects: []}}, gone)
    change = 'changed'
  }
  return change
}

/** Read-only checks on the host before anything changes: no other nginx site serves a new name; the new database name is free. */
async function hostPreflight(ctx: TenantStepContext, change: TenantDomainChange): Promise<void> {
  const dump = (await ctx.conn.exec(shell`nginx -T`, {root: true})).stdout.toString()
  for (const name of [change.to.domain, ...change.to.aliases]) {
    const clash = filesServing(dump, name, vhostFileName(ctx.tenant.id)).filter((f) => !f.endsWith(`/${redirectsFileName(ctx.tenant.id)}`))
    if (clash.length) {
      throw new OdoopsError('DOMAIN_SERVED_ON_HOST', `${name} is already served by nginx on ${ctx.host.id} (${clash.join(', ')}).`, {exit: ExitCode.USAGE, suggestions: ['Use another domain, or remove that site from the host first.']})
    }
  }
  if (change.to.database !== change.from.database && (await databaseExists(ctx.conn, change.to.database))) {
    throw new OdoopsError('DATABASE_EXISTS', `A database named "${change.to.database}" already exists on ${ctx.host.id}; a shared tenant's database takes its domain's name.`, {
      exit: ExitCode.USAGE,
      suggestions: ['Choose another domain, or drop or rename that database on the host first.'],
    })
  }
}

/**
 * `tenant set-domain`: under the tenant's lock; an unfinished change is continued (the same
 * domain, or `resume`), another domain is refused until it is finished.
 */
export async function setTenantDomain(env: TenantEnv, input: SetDomainInput | {slug: string; resume: true}): Promise<SetDomainResult> {
  return withTenantLock(env.store, input.slug, 'tenant set-domain', async () => {
    const tenant = await getTenant(env.store, input.slug)
    const host = await getHost(env.store, tenant.host)
    const pending = tenant.domainChange
    if ('resume' in input) {
      if (!pending) throw usageError('TENANT_NOT_RESUMABLE', `Tenant "${tenant.id}" has no unfinished domain change.`, [`odoops tenant show ${tenant.id}`])
      return runPlan(env, tenant, host, pending, true)
    }
    if (pending) {
      if (pending.to.domain !== input.domain || (input.aliases !== undefined && !sameNames(input.aliases, pending.to.aliases))) {
        throw usageError('TENANT_DOMAIN_CHANGE_UNFINISHED', `Tenant "${tenant.id}" has an unfinished change to ${pending.to.domain} (failed at ${tenant.operation?.failedStep ?? 'an interrupted step'}).`, [
          `Finish it first: odoops tenant set-domain ${tenant.id} --resume`,
        ])
      }
      return runPlan(env, tenant, host, pending, true)
    }
    if (tenant.move) throw usageError('MOVE_IN_PROGRESS', `A move of ${tenant.id} is unfinished.`, [`Continue it: odoops tenant move ${tenant.id}`, `Or undo it: odoops tenant move ${tenant.id} --abort`])
    if (tenant.state !== 'active' && tenant.state !== 'stopped') {
      throw usageError('TENANT_NOT_ACTIVE', `Tenant "${tenant.id}" is ${tenant.state}: only an active or stopped tenant changes its domain.`, [`odoops tenant show ${tenant.id}`])
    }
    const change = planDomainChange(tenant, host, input)
    const current = {domain: tenant.domain, aliases: tenant.aliases ?? [], database: tenant.database}
    if (change) await checkNamesFree(env.store, [change.to.domain, ...change.to.aliases], tenant.id)
    else if (!input.dropOld && !(tenant.redirects ?? []).some((r) => new Date(r.until) <= new Date())) {
      return {tenant, changed: false, resumed: false, from: current, to: current, steps: [], redirectsRemoved: [], warnings: []}
    }
    const conn = await connectFor(env)(host.id)
    const ctx = {env, conn, host, tenant, shared: tenant.mode === 'shared' ? host.services?.[tenant.series] : undefined, removed: [] as string[]}
    if (!change) {
      // The same names: nothing to change; redirects past their end (or all, --drop-old) go.
      await applyRedirects(ctx, input.dropOld === true)
      return {tenant: ctx.tenant, changed: false, resumed: false, from: current, to: current, steps: [], redirectsRemoved: ctx.removed, warnings: []}
    }
    await hostPreflight(ctx, change)
    const startedAt = new Date().toISOString()
    const reserved = await env.store.transaction(async (tx) => {
      await checkNamesFree(tx, [change.to.domain, ...change.to.aliases], tenant.id)
      return tx.tenants.update(tenant.id, {domainChange: change, operation: {kind: 'set-domain', steps: [], startedAt}})
    })
    const result = await runPlan(env, reserved, host, change, false)
    if (input.dropOld) {
      const dropCtx = {env, conn, host, tenant: result.tenant, removed: [] as string[]}
      await applyRedirects(dropCtx, true)
      return {...result, tenant: dropCtx.tenant, redirectsRemoved: [...result.redirectsRemoved, ...dropCtx.removed]}
    }
    return result
  })
}

async function runPlan(env: TenantEnv, tenant: TenantRecord, host: HostRecord, change: TenantDomainChange, resumed: boolean): Promise<SetDomainResult> {
  const {store} = env
  const conn = await connectFor(env)(host.id)
  const ctx: SetDomainContext = {env, conn, host, tenant, shared: tenant.mode === 'shared' ? host.services?.[tenant.series] : undefined, change, removed: [], warnings: []}
  const startedAt = tenant.operation?.kind === 'set-domain' ? tenant.operation.startedAt : new Date().toISOString()
  const previous = tenant.operation?.kind === 'set-domain' ? (tenant.operation.steps as StepRecord[]) : undefined
  let steps: StepRecord[]
  try {
    steps = await runSteps(SET_DOMAIN_STEPS, ctx, {
      previous,
      signal: env.signal,
      observer: env.observer,
      save: async (records) => {
        ctx.tenant = await store.tenants.update(tenant.id, (current) => ({...current, operation: {kind: 'set-domain', startedAt, steps: records}}))
      },
    })
  } catch (error) {
    if (error instanceof StepFailedError) {
      await store.tenants.update(tenant.id, (current) => ({...current, operation: {kind: 'set-domain', startedAt, steps: error.records, failedStep: error.step, error: error.message}}))
      const failure = error.failure instanceof OdoopsError ? error.failure : undefined
      throw new OdoopsError(failure?.code ?? 'TENANT_STEP_FAILED', `Tenant ${tenant.id}: ${error.message}`, {
        exit: ExitCode.FAILURE,
        suggestions: [...(failure?.suggestions ?? []), `Fix the cause, then continue: odoops tenant set-domain ${tenant.id} --resume`],
        data: {tenant: tenant.id, failedStep: error.step, steps: error.records},
        cause: error.failure,
      })
    }
    throw error
  }
  const finished = await store.tenants.update(tenant.id, (current) => {
    const next: TenantRecord = {...current, operation: {kind: 'set-domain', startedAt, steps, finishedAt: new Date().toISOString()}}
    delete next.domainChange
    return next
  })
  // A resumed run whose acme step had failed before: the warning stands.
  if (finished.acme?.status === 'failed' && ctx.warnings.length === 0) ctx.warnings.push(acmeWarning(finished.id, finished.acme))
  return {tenant: finished, changed: true, resumed, from: change.from, to: change.to, steps, redirectsRemoved: ctx.removed, warnings: ctx.warnings}
}

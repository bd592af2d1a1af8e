import {ExitCode, OdoopsError, messageOf, usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {StepFailedError, runSteps, type Step, type StepRecord} from '../steps/runner.js'
import {ensureUnitActive, stopUnit} from '../remote/systemd.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantOperation, TenantRecord, TenantServiceInfo} from '../state/records.js'
import type {TenantEnv} from './context.js'
import {connectFor} from './create.js'
import {inspectDatabase, missingModules} from './database.js'
import {checkTenantThroughNginx} from './health.js'
import {getTenant} from './listing.js'
import {withTenantLock} from './lock.js'
import {runOdooModules} from './odoo-cli.js'

/** How long the tenant may take to answer through nginx after its service (re)started. */
const HEALTH_WAIT_MS = 60_000
/** Technical module names (same rule as tenant create); `all` upgrades every installed module (`-u all`). */
const MODULE_NAME = /^[a-z0-9_]{1,64}$/

export function parseModules(raw: string): string[] {
  const modules = [
    ...new Set(
      raw
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    ),
  ]
  if (modules.length === 0) throw usageError('TENANT_MODULES_REQUIRED', 'Which modules? --modules is empty.', ['Pass --modules crm,sale_management (technical names), or --modules all to upgrade every installed module.'])
  const bad = modules.find((m) => !MODULE_NAME.test(m))
  if (bad) throw usageError('TENANT_MODULE_INVALID', `"${bad}" is not an Odoo module name.`, ['Module names are technical names such as sale_management, crm, account.'])
  if (modules.includes('all') && modules.length > 1) throw usageError('TENANT_MODULE_INVALID', '"all" upgrades every installed module: pass it alone.', ['--modules all'])
  return modules
}

/**
 * Which modules `odoo` must install (`-i`) and which it must upgrade (`-u`). Odoo's
 * `-u` only upgrades modules that are already installed (loading.py selects
 * `state = 'installed'` for the update list), so new ones go to `-i`.
 */
export function splitInstallUpdate(asked: readonly string[], states: Record<string, string>): {install: string[]; update: string[]} {
  if (asked.length === 1 && asked[0] === 'all') return {install: [], update: ['all']}
  return {install: asked.filter((m) => states[m] !== 'installed'), update: asked.filter((m) => states[m] === 'installed')}
}

export interface TenantUpdateResult {
  tenant: TenantRecord
  steps: StepRecord[]
  /** Modules that were not installed and now are (`-i`). */
  installed: string[]
  /** Modules that were installed and were upgraded (`-u`). */
  updated: string[]
  /** State in ir_module_module of each module asked for, after the run. */
  modules: Record<string, string>
  /** Shared tenants: the shared service restarted (every tenant on it paused a few seconds). */
  restarted?: string
}

interface UpdateContext {
  env: TenantEnv
  conn: SshConnection
  tenant: TenantRecord
  service: TenantServiceInfo
  asked: string[]
  /** The tenant is recorded active: its service must run (and answer) after the update. */
  serving: boolean
  installed: string[]
  updated: string[]
  modules: Record<string, string>
  restarted?: string
}

type TenantStep = Step<UpdateContext>

/** Dedicated: the service is stopped so `odoo -u` has the database (and the registry) to itself. */
const stop: TenantStep = {
  name: 'stop',
  title: 'dedicated service stopped for the update',
  run: (ctx) => stopUnit(ctx.conn, ctx.service.unit),
}

const modules: TenantStep = {
  name: 'modules',
  title: 'modules installed/upgraded (odoo --stop-after-init)',
  async run(ctx, signal) {
    const {tenant, conn} = ctx
    const named = ctx.asked.filter((m) => m !== 'all')
    const before = await inspectDatabase(conn, tenant.database, named)
    if (!before.exists || !before.initialized) {
      throw new OdoopsError('TENANT_DATABASE_MISSING', `Database ${tenant.database} of tenant ${tenant.id} ${before.exists ? 'is not initialised' : 'does not exist'} on ${tenant.host}.`, {
        suggestions: [`odoops tenant status ${tenant.id}`],
      })
    }
    const {install, update} = splitInstallUpdate(ctx.asked, before.modules)
    signal.throwIfAborted()
    const run = await runOdooModules(conn, {config: ctx.service.config, database: tenant.database, series: tenant.series, install, update})
    if (!run.ok) {
      throw new OdoopsError('ODOO_UPDATE_FAILED', run.message, {
        suggestions: [`Read the log on ${tenant.host}, fix the cause, then run the update again: odoops tenant update ${tenant.id} --modules ${ctx.asked.join(',')}`],
      })
    }
    // Odoo exits 0 when a module name is unknown (it only logs a warning): check the catalog.
    const after = await inspectDatabase(conn, tenant.database, named)
    const missing = missingModules(after, named)
    if (missing.length) {
      throw new OdoopsError('ODOO_MODULES_NOT_INSTALLED', `These modules are not installed after the update: ${missing.join(', ')}.`, {
        suggestions: [`Check the names (technical names, e.g. sale_management) and that they exist in Odoo ${tenant.series}.`],
        data: {modules: after.exists ? after.modules : {}},
      })
    }
    ctx.installed = install
    ctx.updated = update
    ctx.modules = Object.fromEntries(named.map((m) => [m, after.exists ? (after.modules[m] ?? 'unknown') : 'unknown']))
    const known = new Set([...(tenant.modules ?? []), ...install])
    ctx.tenant = await ctx.env.store.tenants.update(tenant.id, {modules: [...known]})
    return {change: 'changed', detail: [install.length ? `installed ${install.join(', ')}` : '', update.length ? `upgraded ${update.join(', ')}` : ''].filter(Boolean).join('; ')}
  },
}

const start: TenantStep = {
  name: 'start',
  title: 'dedicated service started again',
  async run(ctx) {
    if (!ctx.serving) return {change: 'unchanged', detail: 'the tenant is stopped: left stopped'}
    return ensureUnitActive(ctx.conn, ctx.service.unit)
  },
}

/**
 * Shared: `odoo -u` ran next to the running shared service, whose workers still hold the
 * old registry of this database; a restart makes every worker load the new one. The
 * other tenants of the service pause for the few seconds of the restart.
 */
const restart: TenantStep = {
  name: 'restart',
  title: 'shared service restarted (all its tenants pause a few seconds)',
  async run(ctx) {
    await ensureUnitActive(ctx.conn, ctx.service.unit, {restart: true})
    ctx.restarted = ctx.service.unit
    return {change: 'changed', detail: `restarted ${ctx.service.unit}`}
  },
}

const health: TenantStep = {
  name: 'health',
  title: 'health through nginx and login',
  async run(ctx) {
    if (!ctx.serving) return {change: 'unchanged', detail: 'the tenant is stopped: not checked'}
    const password = await readSecret(ctx.env.store, ctx.env.box, secretIds.tenantAdminPassword(ctx.tenant.id))
    const report = await checkTenantThroughNginx(ctx.conn, ctx.tenant, {password, waitMs: HEALTH_WAIT_MS})
    if (!report.ok) {
      throw new OdoopsError('TENANT_UNHEALTHY', `${ctx.tenant.domain} is not healthy through nginx after the update: ${report.detail}.`, {
        suggestions: [`Look at the service on ${ctx.tenant.host}: journalctl -u ${ctx.service.unit}`, `Then: odoops tenant status ${ctx.tenant.id}`],
      })
    }
    return {change: 'unchanged', detail: report.detail}
  },
}

export function updateSteps(mode: TenantRecord['mode']): TenantStep[] {
  return mode === 'dedicated' ? [stop, modules, start, health] : [modules, restart, health]
}

/**
 * `tenant update <slug> --modules a,b`: new modules installed (`-i`), installed ones
 * upgraded (`-u`), with `odoo … --stop-after-init` run as the odoo user; then the
 * service runs the new code and the tenant must pass its health check through nginx.
 * Dedicated: its unit is stopped during the run and started after (unless the tenant is
 * recorded stopped). Shared: the run happens while the shared service serves, which is
 * then restarted. Recorded as an operation of kind `update` in the tenant record.
 */
export async function updateTenant(env: TenantEnv, slug: string, asked: string[]): Promise<TenantUpdateResult> {
  const {store} = env
  await getTenant(store, slug)
  return withTenantLock(store, slug, 'tenant update', async () => {
    const tenant = await getTenant(store, slug)
    if (tenant.state !== 'active' && tenant.state !== 'stopped') {
      throw new OdoopsError('TENANT_NOT_SETTLED', `Tenant "${slug}" is ${tenant.state}: only an active or stopped tenant can be updated.`, {
        exit: ExitCode.USAGE,
        suggestions: tenant.state === 'failed' || tenant.state === 'creating' ? [`Finish its creation first: odoops tenant create --resume ${slug}`] : [`odoops tenant show ${slug}`],
      })
    }
    if (!tenant.service) throw new OdoopsError('TENANT_NO_SERVICE', `Tenant "${slug}" has no service recorded.`, {suggestions: [`odoops tenant show ${slug}`]})
    const host = await getHost(store, tenant.host)
    const ctx: UpdateContext = {
      env,
      conn: await connectFor(env)(host.id),
      tenant,
      service: tenant.service,
      asked,
      serving: tenant.state === 'active',
      installed: [],
      updated: [],
      modules: {},
    }
    const startedAt = new Date().toISOString()
    const record = (operation: TenantOperation) => store.tenants.update(slug, (current) => ({...current, operation}))
    let steps: StepRecord[]
    try {
      steps = await runSteps(updateSteps(tenant.mode), ctx, {
        signal: env.signal,
        observer: env.observer,
        save: async (records) => {
          ctx.tenant = await record({kind: 'update', startedAt, steps: records})
        },
      })
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error
      await record({kind: 'update', startedAt, steps: error.records, failedStep: error.step, error: error.message})
      const restored = await restoreService(ctx, error.step)
      const failure = error.failure instanceof OdoopsError ? error.failure : undefined
      throw new OdoopsError(failure?.code ?? 'TENANT_STEP_FAILED', `Updating tenant ${slug}: ${error.message}${restored ? `\n${restored}` : ''}`, {
        exit: ExitCode.FAILURE,
        suggestions: [...(failure?.suggestions ?? []), `odoops tenant status ${slug}`],
        data: {tenant: slug, failedStep: error.step, steps: error.records},
        cause: error.failure,
      })
    }
    const finished = await record({kind: 'update', startedAt, steps, finishedAt: new Date().toISOString()})
    return {tenant: finished, steps, installed: ctx.installed, updated: ctx.updated, modules: ctx.modules, ...(ctx.restarted ? {restarted: ctx.restarted} : {})}
  })
}

/**
 * A dedicated tenant whose update failed after its unit was stopped would stay down:
 * start it again (best effort) so the customer keeps the version that ran before, or
 * the partially upgraded one; `tenant status` tells whether it answers.
 */
async function restoreService(ctx: UpdateContext, failedStep: string): Promise<string | undefined> {
  if (ctx.tenant.mode !== 'dedicated' || !ctx.serving || failedStep === 'start' || failedStep === 'health') return undefined
  try {
    await ensureUnitActive(ctx.conn, ctx.service.unit)
    return `${ctx.service.unit} was started again.`
  } catch (error) {
    return `${ctx.service.unit} could not be started again: ${messageOf(error)}`
  }
}

import {assertSharedRuns, ensureReleasesOnHost} from '../addons/deploy/carry.js'
import {addonSetOf} from '../addons/deploy/layout.js'
import {ExitCode, OdoopsError, messageOf, usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {checkPasswordLogin, detectOdooMajor} from '../odoo/session.js'
import {hostTransport} from '../odoo/transport.js'
import {renderVhost, vhostFileName} from '../provision/vhost.js'
import {applyNginxSite} from '../remote/nginx.js'
import {pollUntil} from '../retry.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import {majorOfSeries} from '../series/odoo-series.js'
import type {SshConnection} from '../ssh/connection.js'
import {StepFailedError, runSteps, type Step, type StepRecord} from '../steps/runner.js'
import type {HostRecord, TenantRecord} from '../state/records.js'
import type {TenantStepContext} from '../tenants/context.js'
import {connectFor} from '../tenants/create.js'
import {restoreSteps} from '../tenants/create-steps.js'
import {checkTenantOnService, checkTenantThroughNginx} from '../tenants/health.js'
import {databaseNameFor, normalizeCreateInput} from '../tenants/input.js'
import {getTenant} from '../tenants/listing.js'
import {lockOwner, withTenantLock} from '../tenants/lock.js'
import {pickSeries, preflight} from '../tenants/preflight.js'
import {retireSteps} from '../tenants/remove.js'
import {serviceOf} from '../tenants/save-tenant.js'
import {databaseFacts} from './facts.js'
import type {RestoreEnv} from './restore.js'
import {backupSource} from './restore-source.js'
import {backupTenant} from './run.js'
import {verifyBackup} from './verify.js'

/** A move in progress, kept on the tenant record (`move`) so a re-run continues it and `--abort` undoes it. */
export interface MoveState {
  to: string
  mode: TenantRecord['mode']
  startedAt: string
  /** The backup the new copy is restored from (taken by this move). */
  backup?: string
  /** The new placement as the steps built it; becomes the tenant record at the switch. */
  draft: TenantRecord
  steps: StepRecord[]
  /** Same host: set while nginx is being pointed at the new copy (cleared when that is undone). */
  switchStartedAt?: string
}

export interface MoveInput {
  slug: string
  /** Default: the unfinished move's host, else (with `mode`) the tenant's own host. */
  toHost?: string
  mode?: string
  size?: string
}

/** What the record keeps of the last move (`lastMove`). */
export interface LastMove {
  from: string
  to: string
  backup: string
  at: string
  fromMode?: TenantRecord['mode']
  toMode?: TenantRecord['mode']
  /** Same host: how long the domain did not answer from the new service (see switchSite). */
  switchMs?: number
}

export interface MoveResult {
  tenant: TenantRecord
  from: string
  to: string
  backup: string
  steps: StepRecord[]
  /** Steps that removed the old copy from the old host. */
  retired: StepRecord[]
  /** False when the old copy could not be removed yet (the tenant is served from the new host). */
  retiredOk: boolean
  /** The hosting mode before the move. */
  fromMode: TenantRecord['mode']
  /** A move on the tenant's own host (shared ↔ dedicated): nginx was switched between two local services. */
  sameHost: boolean
  /** Same host: ms from the start of the nginx switch until the new service answered a login through nginx. */
  switchMs?: number
}

const WHAT = 'tenant move'

function moveError(slug: string, message: string, cause?: unknown, extra: string[] = []): OdoopsError {
  return new OdoopsError('TENANT_MOVE_FAILED', `Moving ${slug}: ${message} The tenant is still served by its current copy, untouched.`, {
    suggestions: [...extra, `Fix the cause and run the move again (it continues): odoops tenant move ${slug}`, `Or undo what the move built: odoops tenant move ${slug} --abort`],
    cause,
  })
}

/** The context the restore steps run in for the new placement: changes go to the move's draft, not the record. */
async function draftContext(env: RestoreEnv, slug: string, host: HostRecord, draft: TenantRecord): Promise<TenantStepContext> {
  const ctx: TenantStepContext = {
    env,
    conn: await connectFor(env)(host.id),
    host,
    tenant: draft,
    shared: draft.mode === 'shared' ? host.services?.[draft.series] : undefined,
    saveTenant: async (change) => {
      const updated = await env.store.tenants.update(slug, (current) => {
        const move = current.move as MoveState
        return {...current, move: {...move, draft: {...move.draft, ...change}}}
      })
      return (updated.move as MoveState).draft
    },
  }
  return ctx
}

/** Runs the removal steps (but secrets; with `keepSite` also but vhost and TLS files) for a placement that no longer serves the tenant. */
async function retire(env: RestoreEnv, placement: TenantRecord, options: {keepSite?: boolean} = {}): Promise<StepRecord[]> {
  const host = await getHost(env.store, placement.host)
  const ctx: TenantStepContext = {
    env,
    conn: await connectFor(env)(host.id),
    host,
    tenant: placement,
    shared: placement.mode === 'shared' ? host.services?.[placement.series] : undefined,
    saveTenant: async (change) => ({...placement, ...change}),
  }
  return runSteps(retireSteps(placement.mode, options), ctx, {signal: env.signal, observer: env.observer, save: async () => {}})
}

/** Whether the live database still holds what the backup holds (nobody wrote meanwhile). */
async function unchangedSince(env: RestoreEnv, tenant: TenantRecord, backupId: string): Promise<string | undefined> {
  const {entry} = await backupSource(env, backupId)
  const facts = await databaseFacts(await connectFor(env)(tenant.host), tenant.database)
  const diff = (Object.keys(entry.counts) as (keyof typeof entry.counts)[]).filter((k) => entry.counts[k] !== facts.counts[k])
  if (diff.length) return `row counts changed (${diff.join(', ')})`
  if ((facts.newestWriteDate ?? '') !== (entry.newestWriteDate ?? '')) return `records were written after the backup (newest write ${facts.newestWriteDate} vs ${entry.newestWriteDate})`
  return undefined
}

/**
 * `tenant move <slug> --to-host <h> [--mode]`: backup → verify on the new host → restore
 * there by the creation plan (service, nginx, TLS, health through the new host's nginx) →
 * switch the record → retire the old copy. Until the switch the tenant is served from its
 * old host and nothing there changes; a killed or failed move keeps its progress on the
 * record (`move`) and a re-run continues. The switch is refused when the old database was
 * written to after the backup (the copy would miss that data): move at a quiet time.
 * DNS is the partner's: point the domain at the new host after the move.
 *
 * On the tenant's own host (`--mode` changed, shared ↔ dedicated) the new copy gets the
 * database name and filestore of its new mode (dedicated: the slug, under its own data dir;
 * shared: the domain, under the shared service's), which never collide with the live ones,
 * and keeps the tenant's certificate. It is checked healthy on its own port; then, after the
 * written-after-backup guard, nginx is switched to it (switchSite) and the record follows.
 */
export async function moveTenant(env: RestoreEnv, input: MoveInput): Promise<MoveResult> {
  const found = await getTenant(env.store, input.slug)
  return withTenantLock(env.store, found.id, WHAT, () => moveUnderLock(env, input))
}

async function moveUnderLock(env: RestoreEnv, input: MoveInput): Promise<MoveResult> {
  let tenant = await getTenant(env.store, input.slug)
  const toHost = moveTarget(tenant, input)
  if (tenant.retiring) {
    // Moved already; the old copy's removal failed last time: finish it before anything else.
    const last = tenant.lastMove as LastMove
    const finished = await finishRetire(env, tenant)
    const nothingMore = toHost === tenant.host && (!input.mode || input.mode === tenant.mode)
    if (!finished.retiredOk || nothingMore) return {...finished, from: last.from, to: tenant.host, fromMode: last.fromMode ?? tenant.mode, sameHost: last.from === last.to, backup: last.backup, steps: []}
    tenant = finished.tenant
  }
  assertMovable(tenant, toHost, input.mode)
  let move = tenant.move as MoveState | undefined
  const host = await getHost(env.store, toHost)
  if (!move) ({tenant, move} = await startMove(env, tenant, host, input))

  // A fresh backup, taken under this move's tenant lock; a continued move keeps its own.
  let backupId = move.backup
  if (!backupId) ({tenant, move, backupId} = await takeVerifiedBackup(env, tenant, host, move))
  // A dedicated copy's config names its addon releases: they must be on the new host first.
  if (move.draft.mode === 'dedicated' && move.draft.addons?.length) await ensureReleasesOnHost(await connectFor(env)(host.id), move.draft.addons, env.dataDir)

  const {steps, draft} = await buildCopy(env, tenant, host, move, backupId)
  await refuseIfWrittenMeanwhile(env, tenant, draft, backupId)
  if (draft.host !== tenant.host) return switchToCopy(env, tenant, draft, backupId, steps)
  const switched = await switchSite(env, tenant, draft)
  return switchToCopy(env, tenant, draft, backupId, [...steps, switched.record], switched.ms)
}

/** Where a move goes: --to-host, else the unfinished move's host, else (a mode change, or a retirement to finish) the tenant's own host. */
export function moveTarget(tenant: TenantRecord, input: Pick<MoveInput, 'toHost' | 'mode'>): string {
  if (input.toHost) return input.toHost
  const move = tenant.move as MoveState | undefined
  if (move) return move.to
  if (tenant.retiring || input.mode) return tenant.host
  const other = tenant.mode === 'shared' ? 'dedicated' : 'shared'
  throw usageError('MISSING_VALUE', `Move ${tenant.id} where? tenant move needs --to-host, or --mode to change its hosting mode on ${tenant.host}.`, [
    'Pass --to-host <name> (odoops host list shows the prepared hosts), or --abort.',
    `Or make it ${other} on its own host: odoops tenant move ${tenant.id} --mode ${other}`,
  ])
}

export function assertMovable(tenant: TenantRecord, toHost: string, mode?: string): void {
  if (tenant.state !== 'active') throw new OdoopsError('TENANT_NOT_READY', `Tenant ${tenant.id} is ${tenant.state}; only an active tenant can move.`, {exit: ExitCode.USAGE, suggestions: [`odoops tenant status ${tenant.id}`]})
  const move = tenant.move as MoveState | undefined
  if (move && (move.to !== toHost || (mode !== undefined && mode !== move.mode))) {
    throw new OdoopsError('MOVE_IN_PROGRESS', `A move of ${tenant.id} to ${move.to} (${move.mode}) is unfinished.`, {exit: ExitCode.USAGE, suggestions: [`Continue it: odoops tenant move ${tenant.id}`, `Or undo it: odoops tenant move ${tenant.id} --abort`]})
  }
  if (tenant.domainChange) {
    throw new OdoopsError('TENANT_DOMAIN_CHANGE_UNFINISHED', `Tenant ${tenant.id} has an unfinished change of domain to ${tenant.domainChange.to.domain}.`, {exit: ExitCode.USAGE, suggestions: [`Finish it first: odoops tenant set-domain ${tenant.id} --resume`]})
  }
  // The redirects of old names (tenant set-domain) live in the old host's nginx and are not moved.
  if (!move && toHost !== tenant.host && tenant.redirects?.length) {
    throw new OdoopsError('TENANT_HAS_REDIRECTS', `Tenant ${tenant.id} still redirects its old names (${tenant.redirects.flatMap((r) => r.names).join(', ')}) on ${tenant.host}.`, {
      exit: ExitCode.USAGE,
      suggestions: [`Drop them first: odoops tenant set-domain ${tenant.id} ${tenant.domain} --drop-old`],
    })
  }
  if (!move && tenant.host === toHost && (mode ?? tenant.mode) === tenant.mode) {
    const other = tenant.mode === 'shared' ? 'dedicated' : 'shared'
    throw new OdoopsError('MOVE_SAME_HOST', `Tenant ${tenant.id} is already ${tenant.mode} on ${toHost}: nothing to move.`, {
      exit: ExitCode.USAGE,
      suggestions: [`Another host: odoops tenant move ${tenant.id} --to-host <other host>`, `Or the other hosting mode on this host: odoops tenant move ${tenant.id} --mode ${other}`],
    })
  }
}

/** Preflight on the new host, then the move (its draft placement, no steps yet) kept on the tenant record. */
async function startMove(env: RestoreEnv, tenant: TenantRecord, host: HostRecord, input: MoveInput): Promise<{tenant: TenantRecord; move: MoveState}> {
  const mode = (input.mode ?? tenant.mode) as TenantRecord['mode']
  const {shared} = pickSeries(host, tenant.series)
  const database = databaseNameFor(mode, tenant.id, tenant.domain)
  // Names follow the mode (dedicated: the slug, own data dir; shared: the domain, the shared data dir), so on one host they never collide.
  if (host.id === tenant.host && database === tenant.database) {
    throw new OdoopsError('MOVE_NAME_CLASH', `The new copy of ${tenant.id} would use the live database ${database}.`, {exit: ExitCode.USAGE})
  }
  const createInput = normalizeCreateInput({slug: tenant.id, host: host.id, mode, domain: tenant.domain, series: tenant.series, size: input.size ?? tenant.service?.size})
  // The addon releases its modules run on go with it (src/lib/addons/deploy/carry.ts).
  const addons = addonSetOf(tenant, await getHost(env.store, tenant.host))
  if (mode === 'shared') assertSharedRuns(tenant, addons, host, shared)
  const checked = await preflight(await connectFor(env)(host.id), env.store, host, createInput, shared, database)
  const draft: TenantRecord = {
    id: tenant.id,
    host: host.id,
    mode,
    domain: tenant.domain,
    ...(tenant.aliases?.length ? {aliases: tenant.aliases} : {}),
    series: tenant.series,
    database,
    state: 'creating',
    service: checked.service,
    restore: {asCopy: false, neutralize: false},
    restoredFrom: {kind: 'backup', id: ''},
    ...(tenant.customer ? {customer: tenant.customer} : {}),
    ...(tenant.modules ? {modules: tenant.modules} : {}),
    ...(mode === 'dedicated' && addons.length > 0 ? {addons} : {}),
    ...(tenant.tlsSource ? {tlsSource: tenant.tlsSource} : {}),
    // Same host, same domain: the certificate files nginx already serves stay as they are.
    ...(host.id === tenant.host && tenant.tls ? {tls: tenant.tls} : {}),
  }
  const move: MoveState = {to: host.id, mode, startedAt: new Date().toISOString(), draft, steps: []}
  return {move, tenant: await env.store.tenants.update(tenant.id, {move})}
}

/** A fresh backup of the tenant, verified on the new host, recorded on the move. */
async function takeVerifiedBackup(env: RestoreEnv, tenant: TenantRecord, host: HostRecord, move: MoveState): Promise<{tenant: TenantRecord; move: MoveState; backupId: string}> {
  const backupId = (await backupTenant(env, tenant.id, undefined, () => {}, {tenantLockOwner: lockOwner(WHAT)})).entry.id
  const verification = await verifyBackup(env, backupId, {host: host.id})
  if (verification.status !== 'verified') throw moveError(tenant.id, `the backup ${backupId} failed verification on ${host.id} (${verification.reason}).`)
  const backedUp: MoveState = {...move, backup: backupId, draft: {...move.draft, restoredFrom: {kind: 'backup', id: backupId}}}
  return {backupId, move: backedUp, tenant: await env.store.tenants.update(tenant.id, {move: backedUp})}
}

/** Restores the backup on the new host by the creation plan, continuing from the steps the move recorded. */
async function buildCopy(env: RestoreEnv, tenant: TenantRecord, host: HostRecord, move: MoveState, backupId: string): Promise<{steps: StepRecord[]; draft: TenantRecord}> {
  const source = await backupSource(env, backupId)
  const ctx = await draftContext({...env, restoreSource: source}, tenant.id, host, move.draft)
  let steps: StepRecord[]
  try {
    steps = await runSteps(host.id === tenant.host ? sameHostCopySteps(move.mode) : restoreSteps(move.mode), ctx, {
      previous: move.steps,
      signal: env.signal,
      observer: env.observer,
      save: async (records) => {
        const updated = await env.store.tenants.update(tenant.id, (current) => ({...current, move: {...(current.move as MoveState), steps: records}}))
        ctx.tenant = (updated.move as MoveState).draft
      },
    })
  } catch (error) {
    if (error instanceof StepFailedError) throw moveError(tenant.id, `step ${error.step} on ${host.id} failed: ${error.message}.`, error.failure)
    throw error
  }
  return {steps, draft: ctx.tenant}
}

/** The switch is refused when the old database was written after the backup: the copy would miss that data. */
async function refuseIfWrittenMeanwhile(env: RestoreEnv, tenant: TenantRecord, draft: TenantRecord, backupId: string): Promise<void> {
  const changed = await unchangedSince(env, tenant, backupId)
  if (!changed) return
  // The copy is discarded: a continued move must start from a new backup.
  await discardCopy(env, tenant, draft).catch(() => {})
  await env.store.tenants.update(tenant.id, (current) => ({...current, move: undefined}))
  throw moveError(tenant.id, `the tenant was written to during the move: ${changed}. The new copy was discarded.`, undefined, ['Move at a quiet time (or stop the tenant\'s users first), then run the move again.'])
}

/** The admin password the move's checks log in with (the tenant's own: a move never changes it). */
async function adminPasswordOf(env: Pick<RestoreEnv, 'store' | 'box'>, slug: string): Promise<string> {
  const password = await readSecret(env.store, env.box, secretIds.tenantAdminPassword(slug))
  if (!password) throw new OdoopsError('TENANT_SECRET_MISSING', `The admin password of ${slug} is not in the state store.`, {suggestions: ['Was the state store restored from an export without secrets? odoops state info']})
  return password
}

/** Same host: the copy answers on its own service (Host = the domain) before nginx is pointed at it. */
const copyHealth: Step<TenantStepContext> = {
  name: 'copy-health',
  title: 'new copy healthy on its own port, login with the admin password (nginx still serves the live copy)',
  async run(ctx) {
    const svc = serviceOf(ctx.tenant)
    const report = await checkTenantOnService(ctx.conn, ctx.tenant, svc.httpPort, {password: await adminPasswordOf(ctx.env, ctx.tenant.id), waitMs: 60_000})
    if (!report.ok) {
      throw new OdoopsError('TENANT_UNHEALTHY', `The new copy (${ctx.tenant.database} on port ${svc.httpPort}) is not healthy: ${report.detail}.`, {
        suggestions: [`Look at the service (journalctl -u ${svc.unit}) on ${ctx.host.id}.`],
      })
    }
    return {change: 'unchanged', detail: report.detail}
  },
}

/**
 * Same host: the creation plan up to a healthy copy on its own service. No `tls` step (same
 * domain: the certificate files nginx serves stay, recorded on the draft at the start), and no
 * `vhost`/`health`: nginx keeps serving the live copy until switchSite.
 */
export function sameHostCopySteps(mode: TenantRecord['mode']): Step<TenantStepContext>[] {
  return [...restoreSteps(mode).filter((step) => !['tls', 'vhost', 'health'].includes(step.name)), copyHealth]
}

/** The nginx server block of a placement (as the `vhost` step of the creation plan writes it). */
function siteOf(placement: TenantRecord): string {
  const svc = serviceOf(placement)
  if (!placement.tls) throw new Error(`no TLS certificate recorded for ${placement.id}`)
  return renderVhost({slug: placement.id, domain: placement.domain, ...(placement.aliases?.length ? {aliases: placement.aliases} : {}), series: placement.series, httpPort: svc.httpPort, geventPort: svc.geventPort, certificate: placement.tls.certificate, certificateKey: placement.tls.key})
}

/** Points the domain's vhost at a placement's service: write, `nginx -t` (rolled back when refused), reload. */
async function pointSiteAt(env: RestoreEnv, placement: TenantRecord, conn?: SshConnection) {
  return applyNginxSite(conn ?? (await connectFor(env)(placement.host)), vhostFileName(placement.id), siteOf(placement))
}

/** Removes a copy a move built. On the same host nginx is pointed back at the live copy first (a stopped run may have switched it). */
async function discardCopy(env: RestoreEnv, tenant: TenantRecord, draft: TenantRecord): Promise<StepRecord[]> {
  const sameHost = draft.host === tenant.host
  if (sameHost) await pointSiteAt(env, tenant)
  return retire(env, draft, {keepSite: sameHost})
}

async function recordMove(env: RestoreEnv, slug: string, change: Partial<MoveState>): Promise<void> {
  await env.store.tenants.update(slug, (current) => ({...current, move: {...(current.move as MoveState), ...change}}))
}

/** Polls a login on the placement's database through nginx until it succeeds (only the placement's own service can log into it). */
async function firstLoginThroughNginx(conn: SshConnection, placement: TenantRecord, password: string, signal?: AbortSignal): Promise<boolean> {
  const once = async () => {
    // A new connection each time: a kept-alive one could stay with an old nginx worker.
    const transport = hostTransport(conn, {port: 443, tls: true, hostHeader: placement.domain, timeoutMs: 30_000})
    try {
      const major = majorOfSeries(placement.series) ?? (await detectOdooMajor(transport))
      return await checkPasswordLogin(transport, major, placement.database, placement.adminLogin ?? 'admin', password)
    } catch {
      return false
    } finally {
      await transport.close().catch(() => {})
    }
  }
  return pollUntil(once, (ok) => ok, {timeoutMs: 60_000, intervalMs: 100, signal})
}

/**
 * Same host: the switch of nginx from the live copy to the new one. One vhost file replaced,
 * `nginx -t`, reload (applyNginxSite: a refused file is rolled back); then a login on the NEW
 * database is polled through nginx every 100 ms. Neither service can log into the other's
 * database (each one's role can read only the databases it owns, and the dbfilters differ:
 * `^<slug>$` dedicated, `^%h$` shared), so the first success means the new service answers. `ms` runs from
 * the start of the write to that first success: the time the domain does not answer from the
 * new service (the old one answers meanwhile). It is an upper bound (it includes the test, the
 * reload and one login round trip). Then the full check (health, login, admin/admin refused).
 * Any failure, or an interrupt, points nginx back at the live copy.
 */
async function switchSite(env: RestoreEnv, tenant: TenantRecord, draft: TenantRecord): Promise<{record: StepRecord; ms: number}> {
  const step = {name: 'switch', title: 'nginx switched to the new copy (write, nginx -t, reload) and answering'}
  const conn = await connectFor(env)(draft.host)
  const password = await adminPasswordOf(env, tenant.id)
  const startedAt = new Date().toISOString()
  await recordMove(env, tenant.id, {switchStartedAt: startedAt})
  env.observer?.started?.(step)
  const t0 = performance.now()
  try {
    const change = await pointSiteAt(env, draft, conn)
    const reloadMs = Math.round(performance.now() - t0)
    if (!(await firstLoginThroughNginx(conn, draft, password, env.signal))) throw new Error(`no login on ${draft.database} succeeded through nginx within 60 s`)
    const ms = Math.round(performance.now() - t0)
    const report = await checkTenantThroughNginx(conn, draft, {password, waitMs: 30_000})
    if (!report.ok) throw new Error(`${draft.domain} is not healthy through nginx: ${report.detail}`)
    const record: StepRecord = {name: step.name, state: 'done', change, startedAt, durationMs: Math.round(performance.now() - t0), detail: `the new service answered ${ms} ms after the switch began (nginx -t and reload: ${reloadMs} ms)`}
    env.observer?.finished?.(step, record)
    return {record, ms}
  } catch (error) {
    env.observer?.finished?.(step, {name: step.name, state: 'failed', startedAt, durationMs: Math.round(performance.now() - t0), error: messageOf(error)})
    try {
      await pointSiteAt(env, tenant, conn)
    } catch (backError) {
      throw new OdoopsError('MOVE_SWITCH_STUCK', `Moving ${tenant.id}: switching nginx to the new copy failed (${messageOf(error)}), and nginx could not be pointed back at the live copy: ${messageOf(backError)}`, {
        suggestions: [`Run the move again (it switches again): odoops tenant move ${tenant.id}`, `Check nginx on ${tenant.host}: odoops host exec ${tenant.host} -- nginx -t`],
        cause: backError,
      })
    }
    await recordMove(env, tenant.id, {switchStartedAt: undefined})
    throw moveError(tenant.id, `switching nginx to the new copy failed: ${messageOf(error)}; nginx points at the live copy again.`, error)
  }
}

/** Makes the new copy the tenant's record, then retires the old one. */
async function switchToCopy(env: RestoreEnv, tenant: TenantRecord, draft: TenantRecord, backupId: string, steps: StepRecord[], switchMs?: number): Promise<MoveResult> {
  // The switch: one record update. From here the tenant is the new placement.
  const old: TenantRecord = {...tenant, move: undefined}
  const lastMove: LastMove = {from: old.host, to: draft.host, backup: backupId, at: new Date().toISOString(), fromMode: old.mode, toMode: draft.mode, ...(switchMs === undefined ? {} : {switchMs})}
  const switched = await env.store.tenants.update(tenant.id, (current) => ({
    ...current,
    host: draft.host,
    mode: draft.mode,
    database: draft.database,
    service: draft.service,
    tls: draft.tls,
    // Another host: its ACME certificate stays behind (retired with the old copy); the new host's is asked for with tenant tls --retry.
    ...(current.acme && draft.host !== old.host ? {acme: {certName: current.acme.certName, domains: current.acme.domains, status: 'pending' as const}} : {}),
    ...(draft.adminLogin ? {adminLogin: draft.adminLogin} : {}),
    // A shared copy runs its service's addons; a dedicated one its own set, history starting anew there.
    addons: draft.mode === 'dedicated' ? draft.addons : undefined,
    addonsHistory: draft.mode === 'dedicated' && draft.addons ? [] : undefined,
    state: 'active',
    move: undefined,
    retiring: old,
    lastMove,
    operation: {kind: 'move', startedAt: (current.move as MoveState).startedAt, steps, finishedAt: new Date().toISOString()},
  }))
  return {...(await finishRetire(env, switched)), from: old.host, to: draft.host, fromMode: old.mode, sameHost: old.host === draft.host, ...(switchMs === undefined ? {} : {switchMs}), backup: backupId, steps}
}

/** Removes the old copy of a moved tenant; on failure the tenant keeps `retiring` for a re-run. */
async function finishRetire(env: RestoreEnv, tenant: TenantRecord): Promise<Pick<MoveResult, 'tenant' | 'retired' | 'retiredOk'>> {
  const old = tenant.retiring as TenantRecord
  let retired: StepRecord[] = []
  let retiredOk = true
  try {
    // Same host: the vhost and certificate now serve the new copy.
    retired = await retire(env, old, {keepSite: old.host === tenant.host})
    tenant = await env.store.tenants.update(tenant.id, (current) => ({...current, retiring: undefined}))
  } catch (error) {
    retiredOk = false
    if (error instanceof StepFailedError) retired = error.records
  }
  return {tenant, retired, retiredOk}
}

/** `tenant move <slug> --abort`: removes what an unfinished move built on the new host. */
export async function abortMove(env: RestoreEnv, slug: string): Promise<{tenant: TenantRecord; removed: StepRecord[]}> {
  return withTenantLock(env.store, slug, WHAT, async () => {
    const tenant = await getTenant(env.store, slug)
    const move = tenant.move as MoveState | undefined
    if (!move) throw new OdoopsError('MOVE_NOT_FOUND', `No unfinished move of ${slug}.`, {exit: ExitCode.USAGE, suggestions: [`odoops tenant show ${slug}`]})
    if (move.switchStartedAt) {
      // A run was killed while nginx pointed (or began to point) the domain at the new copy: users may have written there.
      throw new OdoopsError('MOVE_SWITCHING', `A run of the move of ${slug} stopped while nginx was being switched to the new copy, which may have served users since; it cannot be thrown away.`, {
        exit: ExitCode.USAGE,
        suggestions: [`Finish the move: odoops tenant move ${slug}`, `Then, to go back: odoops tenant move ${slug} --mode ${tenant.mode}`],
      })
    }
    const removed = await discardCopy(env, tenant, move.draft)
    return {tenant: await env.store.tenants.update(slug, (current) => ({...current, move: undefined})), removed}
  })
}

import pLimit from 'p-limit'
import {smokeSummary} from './smoke.js'
import {ExitCode, messageOf, OdoopsError} from '../errors.js'
import {sameSet} from '../addons/deploy/layout.js'
import {withHeldLock} from '../state/with-lock.js'
import {busyError, lockOwner} from '../tenants/lock.js'
import {sshReleaseOps, type ReleaseEnv, type ReleaseOps} from './ops.js'
import {windowLeftMs, type MaintenanceWindow} from './window.js'
import {getRelease, packageChanges, saveRelease, type Release, type ReleaseAddonsChange, type ReleaseHostPlan, type ReleaseHostProgress, type ReleaseTenantPlan, type ReleaseTenantProgress} from './record.js'

/**
 * `release apply`: host by host, in the plan's order (a canary run stops after the first n
 * hosts), each host entirely or not at all:
 *   1. a verified safety backup of every tenant, and both builds' .debs kept on the host,
 *      all before anything stops;
 *   2. the shared service stops; the new build is installed (when the release changes it); the
 *      shared service's new addon releases are written into its config (when it has an addons
 *      change); `odoo -u` runs on each shared database; the service starts and each shared
 *      tenant must pass health and login;
 *   3. each dedicated tenant in turn: its unit stops, its addons switched (when changed), `-u`,
 *      starts, health and login;
 *   4. any failure rolls the whole host back: the previous build reinstalled, the previous addon
 *      releases written back, every database the update touched restored from its safety
 *      backup, services started, checks run again; the rollout stops there.
 * Every transition is saved on the release before it is acted on; a run killed mid-host is
 * resumed with `--resume`, which rolls that host back to its recorded start and applies it again.
 */
export interface ApplyOptions {
  resume?: boolean
  /** Only the first n hosts this run; a later `apply --resume` goes on with the rest. */
  canary?: number
  /** Apply to hosts with a tenant that failed rehearsal. */
  includeFailed?: boolean
  progress?: (line: string) => void
  /** Start a host only inside this daily window, and only when its expected downtime fits. */
  window?: MaintenanceWindow
  /** The clock (tests). */
  now?: () => Date
  /** Called when a host is done (applied or rolled back), for notifications. */
  onHost?: (outcome: HostOutcome) => void
}

export interface HostOutcome {
  host: string
  outcome: 'applied' | 'rolled-back' | 'skipped'
  reason?: string
  tenants: {slug: string; downtimeMs?: number; upgradeMs?: number; check?: {ok: boolean; detail: string}}[]
}

export interface ApplyReport {
  release: Release
  hosts: HostOutcome[]
  /** Hosts left for a later run (canary, skipped, or the window closing). */
  remaining: string[]
  /** Why the run stopped before the last host, when it did. */
  stopped?: {reason: 'canary' | 'window'; detail: string}
}

const HOST_LOCK_TTL_MS = 5 * 60_000
export const releaseHostLockKey = (host: string) => `release-host:${host}`

export async function applyRelease(env: ReleaseEnv, id: string, options: ApplyOptions = {}): Promise<ApplyReport> {
  const ops = env.ops ?? sshReleaseOps(env)
  const progress = options.progress ?? (() => {})
  let release = await getRelease(env.store, id)
  assertApplicable(release, options)
  const skipped = rehearsalSkips(release, options)
  const startedAt = release.apply?.startedAt ?? new Date().toISOString()
  release = await saveRelease(env.store, id, (r) => ({
    ...r,
    state: 'applying',
    apply: {
      ...r.apply,
      startedAt,
      ...(options.includeFailed ? {includeFailed: true} : {}),
      hosts: Object.fromEntries(r.hosts.map((h) => [h.host, r.apply?.hosts[h.host] ?? {phase: 'pending', tenants: {}}])),
    },
  }))
  const outcomes: HostOutcome[] = []
  const todo = release.hosts.filter((h) => !['done'].includes(release.apply!.hosts[h.host].phase))
  const now = options.now ?? (() => new Date())
  let ran = 0
  let stopped: ApplyReport['stopped']
  for (const host of todo) {
    if (options.canary !== undefined && ran >= options.canary) {
      stopped = {reason: 'canary', detail: `--canary ${options.canary}: ${ran} host(s) updated`}
      break
    }
    if (options.window) {
      const left = windowLeftMs(options.window, now())
      const needs = hostDowntimeEstimateMs(host)
      if (left === 0 || (needs !== undefined && needs > left)) {
        const detail = left === 0 ? `outside the window ${options.window.text}` : `${host.host} needs about ${Math.ceil(needs! / 60_000)} min, ${Math.floor(left / 60_000)} min left in the window ${options.window.text}`
        if (ran === 0 && outcomes.length === 0 && left === 0) {
          throw new OdoopsError('RELEASE_OUTSIDE_WINDOW', `Not started: it is ${now().toTimeString().slice(0, 5)}, ${detail}.`, {exit: ExitCode.USAGE, suggestions: ['Run it inside the window (schedule a release job whose cron opens it), or leave out --window.']})
        }
        stopped = {reason: 'window', detail}
        progress(`Stopping before ${host.host}: ${detail}`)
        break
      }
    }
    const why = skipped.get(host.host)
    if (why) {
      const outcome: HostOutcome = {host: host.host, outcome: 'skipped', reason: why, tenants: []}
      outcomes.push(outcome)
      options.onHost?.(outcome)
      progress(`${host.host}: skipped (${why})`)
      continue
    }
    ran++
    const outcome = await withHeldLock(
      env.store,
      {key: releaseHostLockKey(host.host), owner: lockOwner(`release apply ${id}`), ttlMs: HOST_LOCK_TTL_MS, busy: (holder) => busyError('RELEASE_HOST_BUSY', `${host.host} is in a release run`, holder)},
      () => runHost(env, ops, id, host, progress),
    )
    outcomes.push(outcome)
    options.onHost?.(outcome)
    if (outcome.outcome === 'rolled-back') {
      release = await saveRelease(env.store, id, (r) => ({...r, state: 'failed', error: {code: 'RELEASE_HOST_ROLLED_BACK', message: `${host.host}: ${outcome.reason}`, host: host.host}, apply: {...r.apply!, finishedAt: new Date().toISOString()}}))
      const rest = release.hosts.slice(release.hosts.findIndex((h) => h.host === host.host) + 1).map((h) => h.host)
      throw new OdoopsError('RELEASE_HOST_ROLLED_BACK', `The release failed on ${host.host} and was rolled back there: ${outcome.reason}${rest.length ? `\nNot reached: ${rest.join(', ')}.` : ''}`, {
        exit: ExitCode.FAILURE,
        suggestions: [`odoops release show ${id}`, `Rehearse the fix first: odoops release plan … then odoops release rehearse <new release>`],
        data: {release: id, hosts: outcomes, notReached: rest},
      })
    }
  }
  release = await getRelease(env.store, id)
  // Hosts skipped after a failed rehearsal stay to do: `apply --include-failed` may take them later.
  const left = release.hosts.filter((h) => release.apply!.hosts[h.host].phase !== 'done').map((h) => h.host)
  if (left.length === 0) release = await saveRelease(env.store, id, (r) => ({...r, state: 'applied', apply: {...r.apply!, finishedAt: new Date().toISOString()}}))
  return {release, hosts: outcomes, remaining: left, ...(stopped ? {stopped} : {})}
}

/** A host's expected downtime: its shared tenants' window plus each dedicated tenant's, when all are measured. */
export function hostDowntimeEstimateMs(host: ReleaseHostPlan): number | undefined {
  const shared = host.tenants.filter((t) => t.mode === 'shared')
  const dedicated = host.tenants.filter((t) => t.mode === 'dedicated')
  const parts = [...(shared.length ? [shared[0].estimatedDowntimeMs] : []), ...dedicated.map((t) => t.estimatedDowntimeMs)]
  return parts.some((p) => p === undefined) ? undefined : parts.reduce<number>((sum, p) => sum + p!, 0)
}

function assertApplicable(release: Release, options: ApplyOptions): void {
  if (release.state === 'applied') throw new OdoopsError('RELEASE_APPLIED', `Release ${release.id} is applied already.`, {exit: ExitCode.USAGE, suggestions: ['odoops release plan --all   (for the next build)']})
  if (release.state === 'failed') {
    throw new OdoopsError('RELEASE_FAILED', `Release ${release.id} failed${release.error ? ` (${release.error.message})` : ''} and was rolled back; it is not applied again.`, {
      exit: ExitCode.USAGE,
      suggestions: [`odoops release show ${release.id}`, 'Plan again once the cause is fixed: odoops release plan …'],
    })
  }
  const started = release.state === 'applying' && Object.values(release.apply?.hosts ?? {}).some((h) => h.phase !== 'pending' && h.phase !== 'done')
  if (started && !options.resume) {
    throw new OdoopsError('RELEASE_INTERRUPTED', `Release ${release.id} was interrupted in the middle of a host.`, {
      exit: ExitCode.USAGE,
      suggestions: [`odoops release apply ${release.id} --resume   (rolls that host back to where it started, then applies it again)`],
    })
  }
}

/** Hosts left out: one of their tenants failed rehearsal (the package is per host: a tenant cannot be left out alone). */
function rehearsalSkips(release: Release, options: ApplyOptions): Map<string, string> {
  const skips = new Map<string, string>()
  if (options.includeFailed || !release.rehearsal) return skips
  for (const host of release.hosts) {
    const failed = host.tenants.filter((t) => release.rehearsal!.tenants[t.slug]?.ok === false).map((t) => t.slug)
    if (failed.length) skips.set(host.host, `rehearsal failed for ${failed.join(', ')}; --include-failed applies it anyway`)
  }
  return skips
}

/** One host: an interrupted earlier run rolled back first, then the update; a failure rolls back. */
async function runHost(env: ReleaseEnv, ops: ReleaseOps, id: string, plan: ReleaseHostPlan, progress: (line: string) => void): Promise<HostOutcome> {
  const current = (await getRelease(env.store, id)).apply!.hosts[plan.host]
  if (current.phase !== 'pending' && current.phase !== 'rolled-back') {
    progress(`${plan.host}: an earlier run stopped in phase "${current.phase}": rolling it back first`)
    await rollbackHost(env, ops, id, plan, current.error?.message ?? `resumed after an interrupted run (${current.phase})`, progress)
    // The host had failed (its rollback was cut short or left problems): it is not applied again.
    if (current.error) return {host: plan.host, outcome: 'rolled-back', reason: current.error.message, tenants: tenantOutcomes(plan, (await getRelease(env.store, id)).apply!.hosts[plan.host])}
  }
  // Start clean: the backups taken (and still valid: the data was put back to them) are kept, and
  // so are services whose switch back could not be done (the update accepts them on the new set).
  await saveHost(env, id, plan.host, (h) => ({phase: 'pending', ...(Object.values(h.addonsSwitched ?? {}).some(Boolean) ? {addonsSwitched: h.addonsSwitched} : {}), tenants: Object.fromEntries(Object.entries(h.tenants).map(([slug, t]) => [slug, {...(t.backup ? {backup: t.backup} : {}), upgrade: 'pending' as const}]))}))
  try {
    await updateHost(env, ops, id, plan, progress)
    const done = (await getRelease(env.store, id)).apply!.hosts[plan.host]
    return {host: plan.host, outcome: 'applied', tenants: tenantOutcomes(plan, done)}
  } catch (error) {
    const reason = messageOf(error)
    progress(`${plan.host}: ${reason}\n${plan.host}: rolling back`)
    await saveHost(env, id, plan.host, (h) => ({...h, error: {code: error instanceof OdoopsError ? error.code : 'RELEASE_STEP_FAILED', message: reason}}))
    await rollbackHost(env, ops, id, plan, reason, progress)
    const after = (await getRelease(env.store, id)).apply!.hosts[plan.host]
    return {host: plan.host, outcome: 'rolled-back', reason, tenants: tenantOutcomes(plan, after)}
  }
}

function tenantOutcomes(plan: ReleaseHostPlan, progress: ReleaseHostProgress): HostOutcome['tenants'] {
  return plan.tenants.map((t) => {
    const p = progress.tenants[t.slug] ?? {upgrade: 'pending'}
    return {slug: t.slug, ...(p.downtimeMs !== undefined ? {downtimeMs: p.downtimeMs} : {}), ...(p.upgradeMs !== undefined ? {upgradeMs: p.upgradeMs} : {}), ...(p.check ? {check: p.check} : {})}
  })
}

async function saveHost(env: ReleaseEnv, id: string, host: string, change: (h: ReleaseHostProgress) => ReleaseHostProgress): Promise<ReleaseHostProgress> {
  const saved = await saveRelease(env.store, id, (r) => ({...r, apply: {...r.apply!, hosts: {...r.apply!.hosts, [host]: change(r.apply!.hosts[host])}}}))
  return saved.apply!.hosts[host]
}

const saveTenant = (env: ReleaseEnv, id: string, host: string, slug: string, change: Partial<ReleaseTenantProgress>) =>
  saveHost(env, id, host, (h) => ({...h, tenants: {...h.tenants, [slug]: {...(h.tenants[slug] ?? {upgrade: 'pending'}), ...change}}}))

async function updateHost(env: ReleaseEnv, ops: ReleaseOps, id: string, plan: ReleaseHostPlan, progress: (line: string) => void): Promise<void> {
  const series = (await getRelease(env.store, id)).series
  let state = await saveHost(env, id, plan.host, (h) => ({...h, phase: 'backups', startedAt: new Date().toISOString()}))
  const installed = await ops.installedPackage(plan.host)
  if (installed !== plan.from) {
    throw new OdoopsError('RELEASE_HOST_CHANGED', `${plan.host} runs odoo ${installed ?? '(none)'}, not ${plan.from} as planned: nothing was changed.`, {suggestions: ['Plan again: odoops release plan --host ' + plan.host]})
  }
  const changes = plan.addons ?? []
  for (const change of changes) {
    const runs = await ops.addonSet(plan.host, series, change.service)
    // A resumed run whose rollback could not switch a service back finds it on the new set.
    if (sameSet(runs, change.from) || (state.addonsSwitched?.[change.service] && sameSet(runs, change.to))) continue
    throw new OdoopsError('RELEASE_HOST_CHANGED', `The ${serviceLabel(change)} service on ${plan.host} runs other addon releases than planned (${setText(runs)}, not ${setText(change.from)}): nothing was changed.`, {
      suggestions: [`Plan again: odoops release plan --host ${plan.host} --addons …`],
    })
  }
  for (const tenant of plan.tenants) {
    // Nothing to -u: its database is not touched, so there is nothing to restore.
    if (state.tenants[tenant.slug]?.backup || tenant.modules.length === 0) continue
    progress(`${tenant.slug}: safety backup, verified by a test restore`)
    const started = Date.now()
    const backup = await ops.safetyBackup(tenant.slug)
    state = await saveTenant(env, id, plan.host, tenant.slug, {backup, backupMs: Date.now() - started})
  }
  for (const change of changes) {
    progress(`${plan.host}: copying the addon releases of the ${serviceLabel(change)} service to the host`)
    await ops.ensureAddonReleases(plan.host, change.to)
  }
  const newBuild = packageChanges(plan)
  let packages: ReleaseHostProgress['packages']
  if (newBuild) {
    progress(`${plan.host}: keeping odoo ${plan.from} and ${plan.to} on the host`)
    packages = {previous: await ops.keepPackage(plan.host, plan.from), next: await ops.keepPackage(plan.host, plan.to)}
  }
  await saveHost(env, id, plan.host, (h) => ({...h, ...(packages ? {packages} : {}), phase: 'installing'}))

  const shared = plan.tenants.filter((t) => t.mode === 'shared')
  const dedicated = plan.tenants.filter((t) => t.mode === 'dedicated')
  if (plan.sharedUnit) {
    progress(`${plan.host}: stopping ${plan.sharedUnit} (${shared.length} shared tenant${shared.length === 1 ? '' : 's'})`)
    await saveHost(env, id, plan.host, (h) => ({...h, sharedStoppedAt: new Date().toISOString()}))
    await ops.stop(plan.host, plan.sharedUnit)
  }
  const sharedStopped = Date.now()
  if (packages) {
    progress(`${plan.host}: installing odoo ${plan.to}`)
    const installStarted = Date.now()
    await ops.installPackage(plan.host, packages.next, plan.to)
    await saveHost(env, id, plan.host, (h) => ({...h, phase: 'upgrading', installMs: Date.now() - installStarted}))
    await ops.recordPackage(plan.host, series, plan.to)
  } else {
    await saveHost(env, id, plan.host, (h) => ({...h, phase: 'upgrading'}))
  }
  // Odoo's registry loads the modules' code from addons_path: the new releases before their -u.
  const sharedChange = changes.find((c) => c.service === 'shared')
  if (sharedChange) await switchAddons(env, ops, id, plan, sharedChange, series, progress)

  // The shared databases' -u side by side, as many at once as the host has CPUs (each is one
  // Python process): the shared tenants' downtime window is the host's, and this is most of it.
  await allOrFirstError(shared, await upgradeLanes(env, plan, shared.length), (tenant) => upgradeTenant(env, ops, id, plan, tenant, series, progress))
  if (plan.sharedUnit) {
    await ops.start(plan.host, plan.sharedUnit)
    // Every shared tenant waits for the same start: their checks run side by side, their
    // verdicts are recorded one by one (the release record is rewritten at each).
    const serving = shared.filter((t) => t.serving)
    const checked = await Promise.all(serving.map(async (tenant) => ({tenant, check: await ops.check(tenant.slug), at: Date.now()})))
    for (const {tenant, check, at} of checked) await checkTenant(env, ops, id, plan, tenant, at - sharedStopped, progress, check)
  }
  for (const tenant of dedicated) {
    const stopped = Date.now()
    progress(`${tenant.slug}: stopping ${tenant.unit}`)
    await ops.stop(plan.host, tenant.unit)
    const change = changes.find((c) => c.service === tenant.slug)
    if (change) await switchAddons(env, ops, id, plan, change, series, progress)
    await upgradeTenant(env, ops, id, plan, tenant, series, progress)
    if (!tenant.serving) continue
    await ops.start(plan.host, tenant.unit)
    const check = await ops.check(tenant.slug)
    await checkTenant(env, ops, id, plan, tenant, Date.now() - stopped, progress, check)
  }
  await saveHost(env, id, plan.host, (h) => ({...h, phase: 'done', finishedAt: new Date().toISOString()}))
}

const serviceLabel = (change: Pick<ReleaseAddonsChange, 'service'>) => (change.service === 'shared' ? 'shared' : `${change.service} (dedicated)`)
const setText = (set: readonly {repo: string; sha256: string}[]) => (set.length ? set.map((e) => `${e.repo}@${e.sha256.slice(0, 12)}`).join(', ') : 'none')

/** The service's config names the new addon releases, recorded before it is done (a rollback writes the previous ones back). */
async function switchAddons(env: ReleaseEnv, ops: ReleaseOps, id: string, plan: ReleaseHostPlan, change: ReleaseAddonsChange, series: string, progress: (line: string) => void): Promise<void> {
  progress(`${plan.host}: the ${serviceLabel(change)} service switches to ${setText(change.to)}`)
  await saveHost(env, id, plan.host, (h) => ({...h, addonsSwitched: {...h.addonsSwitched, [change.service]: true}}))
  await ops.switchAddons(plan.host, series, change, change.to)
}

/** `-u` of one database (its service stopped), then the customer's row counts must be what they were. */
async function upgradeTenant(env: ReleaseEnv, ops: ReleaseOps, id: string, plan: ReleaseHostPlan, tenant: ReleaseTenantPlan, series: string, progress: (line: string) => void): Promise<void> {
  if (tenant.modules.length === 0) {
    progress(`${tenant.slug}: no installed module changes version: no -u`)
    return
  }
  const before = await ops.counts(plan.host, tenant)
  progress(`${tenant.slug}: odoo -u ${tenant.modules.join(',')}`)
  await saveTenant(env, id, plan.host, tenant.slug, {upgrade: 'started'})
  const outcome = await ops.upgrade(plan.host, tenant, series)
  if (!outcome.ok) {
    await saveTenant(env, id, plan.host, tenant.slug, {upgrade: 'failed', upgradeMs: outcome.durationMs, error: outcome.message})
    throw new OdoopsError('RELEASE_UPGRADE_FAILED', `${tenant.slug}: ${outcome.message}`)
  }
  const after = await ops.counts(plan.host, tenant)
  const changed = Object.keys(before).filter((table) => after[table] !== before[table])
  if (changed.length) {
    const message = `the update changed how many rows the customer's tables hold: ${changed.map((t) => `${t} ${before[t]} → ${after[t] ?? 'missing'}`).join(', ')}`
    await saveTenant(env, id, plan.host, tenant.slug, {upgrade: 'failed', upgradeMs: outcome.durationMs, error: message})
    throw new OdoopsError('RELEASE_COUNTS_CHANGED', `${tenant.slug}: ${message}`)
  }
  const done = await saveTenant(env, id, plan.host, tenant.slug, {upgrade: 'done', upgradeMs: outcome.durationMs, counts: after})
  const change = plan.addons?.find((c) => c.service === (tenant.mode === 'shared' ? 'shared' : tenant.slug))
  const backup = done.tenants[tenant.slug].backup
  if (change && backup && tenant.addonsUpgrade?.length) {
    const at = new Date().toISOString()
    await ops.recordAddonsUpgrade(
      tenant.slug,
      tenant.addonsUpgrade.map(({repo, modules}) => {
        const previous = change.from.find((e) => e.repo === repo)?.sha256
        return {repo, release: change.to.find((e) => e.repo === repo)?.sha256 ?? '', ...(previous ? {previous} : {}), modules, backup, at, outcome: 'upgraded' as const}
      }),
    )
  }
}

/** How many shared -u run at once on the host: its CPUs as planned, else as `host check` found them (1 when unknown), at most 4. */
async function upgradeLanes(env: ReleaseEnv, plan: ReleaseHostPlan, tenants: number): Promise<number> {
  const cpus = plan.cpus ?? Number((await env.store.hosts.get(plan.host))?.facts?.cpus)
  return Math.max(1, Math.min(Number.isInteger(cpus) ? cpus : 1, 4, tenants))
}

/**
 * Runs `fn` on the items, `lanes` at a time. After a failure nothing new starts, the running
 * ones finish (a rollback must not race a running -u), then the first failure is thrown.
 */
async function allOrFirstError<T>(items: readonly T[], lanes: number, fn: (item: T) => Promise<void>): Promise<void> {
  const limit = pLimit(lanes)
  const failures: unknown[] = []
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        if (failures.length > 0) return
        await fn(item).catch((error: unknown) => failures.push(error))
      }),
    ),
  )
  if (failures.length > 0) throw failures[0]
}

/** Records a tenant's health check (and its downtime: service stopped → healthy), then runs its template's smoke checks. */
async function checkTenant(env: ReleaseEnv, ops: ReleaseOps, id: string, plan: ReleaseHostPlan, tenant: ReleaseTenantPlan, downtimeMs: number, progress: (line: string) => void, check: {ok: boolean; detail: string}): Promise<void> {
  await saveTenant(env, id, plan.host, tenant.slug, {check, downtimeMs})
  if (!check.ok) throw new OdoopsError('RELEASE_CHECK_FAILED', `${tenant.slug} is not healthy on the new build: ${check.detail}`)
  // The template's smoke checks, once the tenant answers (a stopped tenant is not checked at all).
  if (tenant.checks?.some((c) => !('count' in c))) {
    const smoke = await ops.smoke(plan.host, tenant)
    await saveTenant(env, id, plan.host, tenant.slug, {smoke})
    if (smoke.some((r) => !r.ok)) throw new OdoopsError('RELEASE_SMOKE_FAILED', `${tenant.slug} fails its template's smoke checks on the new build: ${smokeSummary(smoke)}`)
    progress(`${tenant.slug}: ${smokeSummary(smoke)}`)
  }
  progress(`${tenant.slug}: healthy${packageChanges(plan) ? ` on ${plan.to}` : ''}${addonsText(plan, tenant)}; down ${(downtimeMs / 1000).toFixed(1)} s`)
}

const addonsText = (plan: ReleaseHostPlan, tenant: ReleaseTenantPlan) => {
  const change = plan.addons?.find((c) => c.service === (tenant.mode === 'shared' ? 'shared' : tenant.slug))
  return change ? ` with ${setText(change.to)}` : ''
}

/**
 * Puts a host back where the release found it: services of the touched tenants stopped, the
 * previous build installed, the previous addon releases written back into each switched
 * service's config (and recorded), every database whose `-u` started restored from its safety
 * backup, services started, every serving tenant checked. Each part runs even when an earlier one
 * failed; the host's record says what could not be done.
 */
async function rollbackHost(env: ReleaseEnv, ops: ReleaseOps, id: string, plan: ReleaseHostPlan, reason: string, progress: (line: string) => void): Promise<void> {
  const series = (await getRelease(env.store, id)).series
  const reached = (await getRelease(env.store, id)).apply!.hosts[plan.host].phase
  let state = await saveHost(env, id, plan.host, (h) => ({...h, phase: 'rolling-back'}))
  const problems: string[] = []
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn()
    } catch (error) {
      problems.push(`${what}: ${messageOf(error)}`)
    }
  }
  const touched = plan.tenants.filter((t) => state.tenants[t.slug] && state.tenants[t.slug].upgrade !== 'pending' && !state.tenants[t.slug].restored)
  const switched = (plan.addons ?? []).filter((c) => state.addonsSwitched?.[c.service])
  const installed = await ops.installedPackage(plan.host).catch(() => undefined)
  const packageChanged = installed !== plan.from
  if (touched.length === 0 && !packageChanged && switched.length === 0) {
    await saveHost(env, id, plan.host, (h) => ({...h, phase: 'rolled-back', rollback: {reason, at: new Date().toISOString(), checks: {}}}))
    if (plan.sharedUnit && state.sharedStoppedAt) await attempt(`start ${plan.sharedUnit}`, () => ops.start(plan.host, plan.sharedUnit!))
    // Without a new build a dedicated unit may have been stopped before anything of it was recorded.
    if (reached === 'upgrading' || reached === 'rolling-back') for (const t of plan.tenants.filter((t) => t.mode === 'dedicated' && t.serving)) await attempt(`start ${t.unit}`, () => ops.start(plan.host, t.unit))
    progress(`${plan.host}: nothing had changed`)
    return
  }
  // A killed run's `odoo -u` may still run on the host (sshd does not end it with the client).
  for (const t of touched) await attempt(`wait for ${t.slug}'s odoo -u to end`, () => ops.settle(plan.host, t))
  if (plan.sharedUnit) await attempt(`stop ${plan.sharedUnit}`, () => ops.stop(plan.host, plan.sharedUnit!))
  // A dedicated service switched to the new addons runs their code until it restarts on the old ones.
  for (const t of plan.tenants.filter((t) => t.mode === 'dedicated' && (touched.includes(t) || switched.some((c) => c.service === t.slug)))) await attempt(`stop ${t.unit}`, () => ops.stop(plan.host, t.unit))
  if (packageChanged) {
    progress(`${plan.host}: reinstalling odoo ${plan.from}`)
    await attempt(`reinstall odoo ${plan.from}`, async () => {
      await ops.installPackage(plan.host, state.packages?.previous ?? (await ops.keepPackage(plan.host, plan.from)), plan.from)
      await ops.recordPackage(plan.host, series, plan.from)
    })
  }
  // The code of the previous releases before the data they ran with is restored and the services start.
  for (const change of switched) {
    progress(`${plan.host}: the ${serviceLabel(change)} service switches back to ${setText(change.from)}`)
    await attempt(`switch the ${serviceLabel(change)} service back to ${setText(change.from)}`, async () => {
      await ops.switchAddons(plan.host, series, change, change.from)
      state = await saveHost(env, id, plan.host, (h) => ({...h, addonsSwitched: {...h.addonsSwitched, [change.service]: false}}))
    })
  }
  for (const t of touched) {
    const backup = state.tenants[t.slug].backup
    if (!backup) {
      problems.push(`${t.slug}: no safety backup recorded`)
      continue
    }
    progress(`${t.slug}: restoring ${backup}`)
    await attempt(`restore ${t.slug} from ${backup}`, async () => {
      await ops.restore(plan.host, t, series, backup)
      state = await saveTenant(env, id, plan.host, t.slug, {restored: true})
    })
  }
  const checks: Record<string, {ok: boolean; detail: string}> = {}
  if (plan.sharedUnit) await attempt(`start ${plan.sharedUnit}`, () => ops.start(plan.host, plan.sharedUnit!))
  for (const t of plan.tenants.filter((t) => t.mode === 'dedicated' && t.serving)) await attempt(`start ${t.unit}`, () => ops.start(plan.host, t.unit))
  for (const t of plan.tenants.filter((t) => t.serving)) {
    await attempt(`check ${t.slug}`, async () => {
      checks[t.slug] = await ops.check(t.slug)
      if (!checks[t.slug].ok) problems.push(`${t.slug} is not healthy after the rollback: ${checks[t.slug].detail}`)
    })
  }
  // With problems left the host stays `rolling-back`: `--resume` runs the rollback again.
  await saveHost(env, id, plan.host, (h) => ({...h, phase: problems.length ? 'rolling-back' : 'rolled-back', rollback: {reason, at: new Date().toISOString(), checks}}))
  if (problems.length) {
    throw new OdoopsError('RELEASE_ROLLBACK_INCOMPLETE', `Rolling ${plan.host} back after "${reason}" left problems:\n${problems.join('\n')}`, {
      suggestions: [`odoops release show ${id}`, ...plan.tenants.map((t) => `odoops tenant status ${t.slug}`)],
    })
  }
  progress(`${plan.host}: rolled back to odoo ${plan.from}${switched.length ? ` and the previous addon releases` : ''}; every tenant healthy`)
}

import {ExitCode, OdoopsError, messageOf, usageError} from '../../errors.js'
import {connectHost} from '../../hosts/connect.js'
import type {SecretBox} from '../../secrets/secret-box.js'
import type {SshConnection} from '../../ssh/connection.js'
import type {AddonSetEntry} from '../../state/records.js'
import type {StateStore} from '../../state/store.js'
import type {AddonProblem} from '../checks.js'
import {releaseIsLocal, releaseTarPath} from '../repos.js'
import {checkOnHost, pickReleases, pickSet, releaseNotLocal, type PickedRelease} from './pick.js'
import {sshDeployOps, type DeployHostOps} from './host-ops.js'
import {releaseDir} from './layout.js'
import {planDeploy} from './plan.js'
import type {HostAddonFacts} from './probe.js'
import {pruneSelection, releasesToKeep, serviceConfigs} from './prune.js'
import {recordAddonSet, resolveTarget, serviceLockOwner, targetLabel, withServiceLock, type DeployTarget} from './service.js'
import {appendUpgrades, markFailed, modulesOf, safetyBackupOver, takeSafetyBackups, upgradeRecords, type SafetyBackup, type TenantUpgrade, type UpgradeWork} from './upgrade.js'
import {versionDrift, type VersionDrift} from './versions.js'

/**
 * `addons deploy`: the current releases of addon repositories into one Odoo service's
 * addons_path (docs/addons.md, "Deploying"). Checked first against the host's own Odoo, with
 * nothing changed on any host when a check fails; then the releases are copied, the config
 * written and the service restarted only when its addons_path changed, and every tenant on it
 * must pass its health check, or the previous addons_path is put back.
 */
export interface AddonsDeployEnv {
  store: StateStore
  box: SecretBox
  /** Where the release tars are (`<data dir>/addons/releases`). */
  dataDir: string
  signal?: AbortSignal
  /** The SSH connection of a registered host (default: the pooled `connectHost`). */
  connect?: (host: string) => Promise<SshConnection>
  /** What the deploy does on the host (default: over SSH); tests give a host in memory. */
  hostOps?: (host: string) => Promise<DeployHostOps>
  /** What is happening, for people. */
  onProgress?: (message: string) => void
  /** `--upgrade`'s verified safety backup of a tenant (default: backup run + verify); tests give their own. */
  safetyBackup?: SafetyBackup
}

export interface AddonsDeployInput {
  host: string
  /** `shared` (the host's shared service) or a dedicated tenant's slug. */
  service: string
  /** Repository names, in addons_path order. */
  repos: string[]
  /**
   * Then `-u` the installed modules whose version changed, tenant by tenant, each after a
   * verified safety backup (upgrade.ts).
   */
  upgrade?: boolean
  /** Repositories the service runs that this deploy takes away (refused while a tenant has their modules installed). */
  remove?: string[]
}

export interface DeployedRelease {
  repo: string
  sha256: string
  commit?: string
  /** Where it is on the host. */
  dir: string
  /** `uploaded` now, or `unchanged`: it was on the host already. */
  change: 'uploaded' | 'unchanged'
  modules: string[]
}

export interface TenantHealth {
  tenant: string
  ok: boolean
  detail: string
  /**
   * It passed the same check before the restart. A tenant that was already unhealthy is
   * reported but does not make the deploy switch back: the new addons are not its cause.
   */
  wasHealthy: boolean
}

export interface TenantVersions {
  tenant: string
  database: string
  /** Installed modules of the releases whose version is not the release's: their data needs an upgrade (-u). */
  differs: VersionDrift[]
  /** Why the versions could not be read. */
  error?: string
}

export interface AddonsDeployResult {
  host: string
  service: {kind: 'shared' | 'dedicated'; series: string; unit: string; config: string; tenant?: string}
  releases: DeployedRelease[]
  /** The service's addons_path now: Odoo's own addons first, then the releases in the order given. */
  addonsPath: string[]
  /** `unchanged`: the service already ran exactly these releases (no config write, no restart). */
  change: 'changed' | 'unchanged'
  restarted: boolean
  /** Set when the service changed but was not restarted (a stopped dedicated tenant starts with it). */
  restartSkipped?: string
  /** The active tenants of the service, checked after the restart. */
  health: TenantHealth[]
  versions: TenantVersions[]
  /** Release directories removed from the host (no recorded set uses them). */
  pruned: string[]
  /** Why pruning failed (the deploy itself succeeded). */
  pruneError?: string
  /** Warnings of the checks (errors refuse the deploy). */
  problems: AddonProblem[]
  /** With `upgrade`: one entry per tenant that had modules to upgrade. */
  upgrades?: TenantUpgrade[]
}

/** How long each tenant may take to answer after the restart. */
const HEALTH_WAIT_MS = 60_000

export async function deployAddons(env: AddonsDeployEnv, input: AddonsDeployInput): Promise<AddonsDeployResult> {
  const picked = await pickReleases(env, input.repos)
  assertRemovable(input.repos, input.remove ?? [])
  const {result} = await deploySet(env, {host: input.host, service: input.service, what: 'addons deploy'}, picked, {upgrade: input.upgrade === true, remove: input.remove ?? []})
  return result
}

/**
 * Switches one service to the releases given (deploy, and rollback to a previous set), under
 * the service's lock; `replaced` is the set it ran before.
 */
export async function deploySet(
  env: AddonsDeployEnv,
  where: {host: string; service: string; what: string},
  picked: PickedRelease[],
  options: {upgrade?: boolean; remove?: readonly string[]} = {},
): Promise<{result: AddonsDeployResult; replaced: AddonSetEntry[]}> {
  const first = await resolveTarget(env.store, where.host, where.service)
  return withServiceLock(env.store, first, where.what, async () => {
    // Read again under the lock: another run may have changed the records meanwhile.
    const target = await resolveTarget(env.store, where.host, where.service)
    const ops = await hostOpsFor(env)(target.host.id)
    const replaced = target.addons ?? []
    // A dedicated service's lock is its tenant's: the safety backup runs under it.
    const lockOwner = target.kind === 'dedicated' ? serviceLockOwner(where.what) : undefined
    return {result: await deployLocked(env, ops, target, picked, {upgrade: options.upgrade === true, remove: options.remove ?? [], replaced, lockOwner}), replaced}
  })
}

/** What the deploy does on a host: the env's (tests) or over SSH. */
export function hostOpsFor(env: AddonsDeployEnv): (host: string) => Promise<DeployHostOps> {
  if (env.hostOps) return env.hostOps
  return async (host) => sshDeployOps(await (env.connect ?? ((name: string) => connectHost(env.store, name)))(host), env)
}

interface LockedOptions {
  upgrade: boolean
  remove: readonly string[]
  replaced: AddonSetEntry[]
  /** The tenant lock the deploy holds (a dedicated service), for its safety backup. */
  lockOwner?: string
}

async function deployLocked(env: AddonsDeployEnv, ops: DeployHostOps, target: DeployTarget, picked: PickedRelease[], options: LockedOptions): Promise<AddonsDeployResult> {
  const progress = env.onProgress ?? (() => {})
  const host = target.host.id
  const label = targetLabel(target)
  const requested: AddonSetEntry[] = picked.map(({repo, release}) => ({repo, sha256: release.sha256}))

  progress(`Reading Odoo on ${host}`)
  const facts = await ops.probe({
    python: picked.flatMap(({release}) => release.modules.flatMap((module) => module.externalPython)),
    configs: serviceConfigs(target.host, target.tenantsOnHost),
  })
  const problems = checkOnHost({host: target.host.id, series: target.series, label: targetLabel(target)}, picked, facts)

  await assertNothingDropped(env, ops, target, requested, options.remove)

  const configText = await ops.readConfig(target.config)
  if (configText === undefined) {
    throw new OdoopsError('ADDONS_SERVICE_CONFIG_MISSING', `${target.config} (the ${label} service's config) is missing on ${host}.`, {
      suggestions: [target.kind === 'shared' ? `odoops host prepare ${host} --odoo ${target.series}` : `odoops tenant status ${target.tenant?.id}`],
    })
  }
  const present = new Set(facts.entries.map((entry) => entry.name))
  const plan = planDeploy({requested, coreDirs: facts.odooAddons.map((dir) => dir.path), configText, recorded: target.addons, present})

  // With --upgrade: which tenants' modules the new releases change, read before anything changes.
  const work = options.upgrade ? upgradeWork(await readVersions(ops, target, picked, progress), target) : []
  // The tenants' check before the restart runs while the releases are copied: both only read the service.
  const restarts = (plan.restart || work.length > 0) && target.serving
  const healthBeforeRun = restarts ? checkBefore(ops, target, progress) : Promise.resolve(new Map<string, boolean>())
  healthBeforeRun.catch(() => {})
  const releases: DeployedRelease[] = []
  for (const {repo, release} of picked) {
    env.signal?.throwIfAborted()
    let change: DeployedRelease['change'] = 'unchanged'
    if (plan.uploads.includes(release.sha256) && !releases.some((done) => done.sha256 === release.sha256)) {
      if (!releaseIsLocal(env.dataDir, release.sha256)) throw releaseNotLocal(repo, release.sha256)
      progress(`Copying ${repo} (${release.sha256.slice(0, 12)}) to ${releaseDir(release.sha256)}`)
      change = (await ops.upload(release.sha256, releaseTarPath(env.dataDir, release.sha256))) === 'changed' ? 'uploaded' : 'unchanged'
    }
    releases.push({repo, sha256: release.sha256, ...(release.commit ? {commit: release.commit} : {}), dir: releaseDir(release.sha256), change, modules: release.modules.map((m) => m.name)})
  }

  env.signal?.throwIfAborted()
  const healthBefore = await healthBeforeRun
  // Every backup before the first change: a tenant without one refuses the whole deploy.
  const backups = work.length > 0 ? await takeSafetyBackups(env.safetyBackup ?? safetyBackupOver(env), work, options.lockOwner, progress) : new Map<string, string>()
  if (plan.configChanged) {
    progress(`Writing addons_path into ${target.config}`)
    await ops.writeConfig(target.config, plan.configText)
  }
  const upgrades = await upgradeBeforeRestart(env, ops, target, work, {backups, requested, replaced: options.replaced, previousConfig: configText, progress})
  let restarted = false
  let health: AddonsDeployResult['health'] = []
  let restartSkipped: string | undefined
  if ((plan.restart || work.length > 0) && !target.serving) restartSkipped = `tenant ${target.tenant?.id} is stopped: it runs these addons when started`
  if (restarts) {
    health = await restartAndCheck(ops, target, progress, configText, healthBefore).catch(async (error: unknown) => {
      throw options.upgrade ? withRestoreHints(error, upgrades) : await withUpgradeHint(error, await readVersions(ops, target, picked, () => {}), target)
    })
    restarted = true
  }
  if (plan.record) await recordAddonSet(env.store, target, requested)

  const versions = await readVersions(ops, target, picked, progress)
  const pruned = await prune(env, ops, target, facts, requested, progress)
  return {
    host,
    service: {kind: target.kind, series: target.series, unit: target.unit, config: target.config, ...(target.tenant ? {tenant: target.tenant.id} : {})},
    releases,
    addonsPath: plan.addonsPath,
    change: plan.configChanged || plan.restart || plan.record || work.length > 0 ? 'changed' : 'unchanged',
    restarted,
    ...(restartSkipped ? {restartSkipped} : {}),
    health,
    versions,
    pruned: pruned.removed,
    ...(pruned.error ? {pruneError: pruned.error} : {}),
    problems,
    ...(options.upgrade ? {upgrades: upgrades.map((u) => checkedUpgrade(u, versions))} : {}),
  }
}

/** `--remove` names repositories to take away, never ones deployed in the same run. */
export function assertRemovable(repos: readonly string[], remove: readonly string[]): void {
  const both = remove.filter((repo) => repos.includes(repo))
  if (both.length > 0) throw usageError('ADDONS_REMOVE_CONFLICT', `${both.join(', ')} is both deployed and removed.`, ['Name a repository either to deploy or in --remove, not both.'])
}

/**
 * A deploy names the service's whole set: a repository the service runs and the deploy leaves
 * out would vanish from addons_path, and the tenants' modules from it with their code. It is
 * taken away only when asked (`--remove`), and never while a tenant has one of its modules
 * installed. Nothing is changed when refused.
 */
async function assertNothingDropped(env: AddonsDeployEnv, ops: DeployHostOps, target: DeployTarget, requested: readonly AddonSetEntry[], remove: readonly string[]): Promise<void> {
  const service = target.kind === 'shared' ? '' : ` --service ${target.tenant?.id}`
  const dropped = (target.addons ?? []).filter((entry) => !requested.some((r) => r.repo === entry.repo))
  const notRunning = remove.filter((repo) => !(target.addons ?? []).some((entry) => entry.repo === repo))
  if (notRunning.length > 0) {
    throw usageError('ADDONS_REMOVE_NOT_DEPLOYED', `The ${targetLabel(target)} service on ${target.host.id} does not run ${notRunning.join(', ')}: nothing to remove.`, [`odoops host show ${target.host.id}   (lists the addons each service runs)`])
  }
  const unasked = dropped.filter((entry) => !remove.includes(entry.repo))
  if (unasked.length > 0) {
    const names = unasked.map((entry) => entry.repo)
    const whole = [...requested.map((r) => r.repo), ...names]
    throw usageError(
      'ADDONS_SET_INCOMPLETE',
      `The ${targetLabel(target)} service on ${target.host.id} also runs ${names.join(', ')}: a deploy names the service's whole set (in addons_path order), and leaving ${names.length === 1 ? 'it' : 'them'} out would take ${names.length === 1 ? 'its' : 'their'} modules' code away. Nothing was changed.`,
      [`odoops addons deploy ${whole.join(' ')} --host ${target.host.id}${service}`, `To take ${names.join(', ')} away: ${names.map((n) => `--remove ${n}`).join(' ')} (refused while a tenant has ${names.length === 1 ? 'its' : 'their'} modules installed)`],
      {dropped: names},
    )
  }
  if (dropped.length === 0) return
  const modules = (await pickSet(env, dropped)).flatMap(({repo, release}) => release.modules.map((m) => ({repo, module: m.name})))
  const blocked: {tenant: string; modules: string[]}[] = []
  for (const tenant of target.tenants.filter((t) => t.state === 'active' || t.state === 'stopped')) {
    const installed = Object.keys(await ops.installedVersions(tenant.database, modules.map((m) => m.module)))
    if (installed.length > 0) blocked.push({tenant: tenant.id, modules: installed.sort()})
  }
  if (blocked.length === 0) return
  throw usageError(
    'ADDONS_REMOVE_INSTALLED',
    `${dropped.map((e) => e.repo).join(', ')} cannot be taken away from the ${targetLabel(target)} service on ${target.host.id}: tenants have ${dropped.length === 1 ? 'its' : 'their'} modules installed (${blocked.map((b) => `${b.tenant}: ${b.modules.join(', ')}`).join('; ')}). Nothing was changed.`,
    ['Uninstall those modules in each tenant first (Apps › Uninstall), then remove the repository.'],
    {tenants: blocked},
  )
}

/** The tenants with modules to upgrade; a tenant whose versions could not be read refuses the deploy (nothing changed yet). */
function upgradeWork(versions: TenantVersions[], target: DeployTarget): UpgradeWork[] {
  const unreadable = versions.filter((v) => v.error)
  if (unreadable.length > 0) {
    throw new OdoopsError('ADDONS_VERSIONS_UNREADABLE', `The installed modules of ${unreadable.map((v) => `${v.tenant} (${v.error})`).join(', ')} could not be read: with --upgrade nothing was deployed.`, {
      suggestions: [...unreadable.map((v) => `odoops tenant status ${v.tenant}`), `Or deploy without --upgrade to ${targetLabel(target)}, then upgrade with odoops tenant update <tenant> --modules <modules>`],
      data: {tenants: unreadable.map((v) => ({tenant: v.tenant, error: v.error}))},
    })
  }
  return versions.filter((v) => v.differs.length > 0).map((v) => ({tenant: v.tenant, database: v.database, differs: v.differs}))
}

/**
 * `odoo -u` of each tenant's drifted modules with the new addons_path, the service not yet
 * restarted on it (a dedicated one stopped, so -u has its database to itself). A failed -u
 * puts the previous config back and starts the service on it: every tenant then runs the code
 * it ran before, and the error names the backups that give each upgraded tenant its data back.
 */
async function upgradeBeforeRestart(
  env: AddonsDeployEnv,
  ops: DeployHostOps,
  target: DeployTarget,
  work: UpgradeWork[],
  context: {backups: Map<string, string>; requested: AddonSetEntry[]; replaced: AddonSetEntry[]; previousConfig: string; progress: (message: string) => void},
): Promise<Omit<TenantUpgrade, 'upgraded'>[]> {
  if (work.length === 0) return []
  const {backups, progress} = context
  if (target.kind === 'dedicated' && target.serving) {
    progress(`Stopping ${target.unit} for the upgrade`)
    await ops.stop(target.unit)
  }
  const done: Omit<TenantUpgrade, 'upgraded'>[] = []
  for (const item of work) {
    env.signal?.throwIfAborted()
    const backup = backups.get(item.tenant)!
    const modules = modulesOf(item)
    const at = new Date().toISOString()
    await appendUpgrades(env.store, item.tenant, upgradeRecords(item, context.requested, context.replaced, backup, at))
    progress(`Upgrading ${modules.join(', ')} in ${item.tenant}`)
    const started = Date.now()
    const outcome = await ops.upgradeModules({config: target.config, database: item.database, series: target.series, modules}).catch((error: unknown) => ({ok: false, detail: messageOf(error)}))
    if (outcome.ok) {
      done.push({tenant: item.tenant, modules, backup, ok: true, durationMs: Date.now() - started})
      continue
    }
    await markFailed(env.store, item.tenant, at)
    throw await upgradeFailed(ops, target, context.previousConfig, {tenant: item.tenant, detail: outcome.detail, done, backup}, progress)
  }
  return done
}

async function upgradeFailed(
  ops: DeployHostOps,
  target: DeployTarget,
  previousConfig: string,
  failed: {tenant: string; detail: string; backup: string; done: Omit<TenantUpgrade, 'upgraded'>[]},
  progress: (message: string) => void,
): Promise<OdoopsError> {
  progress(`Switching ${target.unit} back to its previous addons_path`)
  let switchBack: string | undefined
  try {
    await ops.writeConfig(target.config, previousConfig)
    if (target.serving) await ops.restart(target.unit, target.httpPort)
  } catch (error) {
    switchBack = messageOf(error)
  }
  const touched = [...failed.done.map((u) => ({tenant: u.tenant, backup: u.backup})), {tenant: failed.tenant, backup: failed.backup}]
  return new OdoopsError(
    'ADDONS_UPGRADE_FAILED',
    `Upgrading ${failed.tenant} failed: ${failed.detail}\n${
      switchBack ? `Switching the ${targetLabel(target)} service back to its previous addons_path failed too: ${switchBack}` : `The ${targetLabel(target)} service runs its previous addons_path again.`
    } The data of ${touched.map((t) => t.tenant).join(', ')} may be newer than that code: each has a verified backup of just before.`,
    {
      exit: ExitCode.FAILURE,
      suggestions: [...touched.map((t) => `odoops backup restore ${t.backup} --tenant ${t.tenant} --force`), 'Fix the module, pin it again (odoops addons repo update <repo>) and deploy again with --upgrade.'],
      data: {tenant: failed.tenant, upgraded: failed.done.map((u) => u.tenant), backups: Object.fromEntries(touched.map((t) => [t.tenant, t.backup])), switchedBack: switchBack === undefined},
    },
  )
}

/**
 * New code whose stored fields -u has not created yet fails against the old tables on recent
 * series: when installed modules are behind the release, the fix is --upgrade.
 */
async function withUpgradeHint(error: unknown, versions: TenantVersions[], target: DeployTarget): Promise<unknown> {
  const behind = versions.filter((v) => v.differs.length > 0)
  if (!(error instanceof OdoopsError) || behind.length === 0) return error
  const service = target.kind === 'shared' ? '' : ` --service ${target.tenant?.id}`
  return new OdoopsError(error.code, `${error.message}\nInstalled modules are behind the new releases (${behind.map((v) => `${v.tenant}: ${v.differs.map((d) => `${d.module} ${d.installed} → ${d.release}`).join(', ')}`).join('; ')}): their tables lack what the new code expects until -u runs.`, {
    exit: error.exit,
    suggestions: [`odoops addons deploy <repo>… --host ${target.host.id}${service} --upgrade   (upgrades them before the restart, each after a verified backup)`, ...(error.suggestions ?? [])],
    data: {...error.data, behind: behind.map((v) => ({tenant: v.tenant, modules: v.differs}))},
    cause: error.cause,
  })
}

/** A switch back after tenants were upgraded leaves their data newer than the code: name the backups that give it back. */
function withRestoreHints(error: unknown, upgrades: Omit<TenantUpgrade, 'upgraded'>[]): unknown {
  if (!(error instanceof OdoopsError) || upgrades.length === 0) return error
  return new OdoopsError(error.code, `${error.message}\nThe data of ${upgrades.map((u) => u.tenant).join(', ')} was upgraded before the restart: each has a verified backup of just before.`, {
    exit: error.exit,
    suggestions: [...upgrades.map((u) => `odoops backup restore ${u.backup} --tenant ${u.tenant} --force`), ...(error.suggestions ?? [])],
    data: {...error.data, backups: Object.fromEntries(upgrades.map((u) => [u.tenant, u.backup]))},
    cause: error.cause,
  })
}

/**
 * An upgrade whose -u exited 0 is done only when the modules' versions are the releases' now
 * (Odoo exits 0 when it skipped a module it could not load, logging a warning).
 */
function checkedUpgrade(upgrade: Omit<TenantUpgrade, 'upgraded'>, versions: TenantVersions[]): TenantUpgrade {
  const after = versions.find((v) => v.tenant === upgrade.tenant)
  const behind = after?.error ? upgrade.modules : (after?.differs ?? []).map((d) => d.module)
  const upgraded = upgrade.modules.filter((module) => !behind.includes(module))
  if (upgraded.length === upgrade.modules.length) return {...upgrade, upgraded}
  const left = upgrade.modules.filter((module) => !upgraded.includes(module))
  return {
    ...upgrade,
    ok: false,
    upgraded,
    error: {
      code: 'ADDONS_UPGRADE_INCOMPLETE',
      message: after?.error ? `The versions of ${upgrade.tenant}'s modules could not be read after the upgrade (${after.error}).` : `odoo -u ran but ${left.join(', ')} of ${upgrade.tenant} are not at the release's version.`,
      suggestions: [`Read the service's log on the host, then: odoops tenant update ${upgrade.tenant} --modules ${left.join(',')}`, `Or put its data back: odoops backup restore ${upgrade.backup} --tenant ${upgrade.tenant} --force`],
    },
  }
}

/** Which active tenants of the service pass their health check now, before the restart. */
async function checkBefore(ops: DeployHostOps, target: DeployTarget, progress: (message: string) => void): Promise<Map<string, boolean>> {
  const healthy = new Map<string, boolean>()
  for (const tenant of activeTenants(target)) {
    progress(`Checking ${tenant.domain} before the restart`)
    healthy.set(tenant.id, (await ops.health(tenant, {waitMs: 0})).ok)
  }
  return healthy
}

function activeTenants(target: DeployTarget) {
  return target.tenants.filter((tenant) => tenant.state === 'active')
}

/**
 * Restart, then every active tenant of the service through nginx. When the service does not
 * start, or a tenant that was healthy before is not any more, the previous config is put back
 * and the service restarted again, and the deploy fails with the journal's last lines.
 */
async function restartAndCheck(ops: DeployHostOps, target: DeployTarget, progress: (message: string) => void, previousConfig: string, healthBefore: Map<string, boolean>): Promise<TenantHealth[]> {
  const health: TenantHealth[] = []
  let failure: string | undefined
  try {
    progress(`Restarting ${target.unit}`)
    await ops.restart(target.unit, target.httpPort)
    for (const tenant of activeTenants(target)) {
      progress(`Checking ${tenant.domain}`)
      const wasHealthy = healthBefore.get(tenant.id) ?? true
      // One that failed before gets one look: waiting for it would not change the outcome.
      const report = await ops.health(tenant, {waitMs: wasHealthy ? HEALTH_WAIT_MS : 0})
      health.push({tenant: tenant.id, ...report, wasHealthy})
    }
    const broken = health.filter((check) => check.wasHealthy && !check.ok)
    if (broken.length === 0) return health
    failure = broken.map((check) => `${check.tenant}: ${check.detail}`).join('; ')
  } catch (error) {
    failure = messageOf(error)
  }
  const journal = await ops.journal(target.unit).catch(() => '')
  progress(`Switching ${target.unit} back to its previous addons_path`)
  let rollbackError: string | undefined
  try {
    await ops.writeConfig(target.config, previousConfig)
    await ops.restart(target.unit, target.httpPort)
  } catch (error) {
    rollbackError = messageOf(error)
  }
  const host = target.host.id
  throw new OdoopsError(
    'ADDONS_DEPLOY_FAILED',
    `The ${targetLabel(target)} service on ${host} did not come back healthy with the new addons (${failure}). ${
      rollbackError ? `Switching its addons_path back failed too: ${rollbackError}` : 'Its previous addons_path was put back and it was restarted.'
    }${journal ? `\nLast journal lines of ${target.unit}:\n${journal}` : ''}`,
    {
      exit: ExitCode.FAILURE,
      suggestions: [
        `Read the service's log on the host: journalctl -u ${target.unit} (and its log file under /var/log/odoops/)`,
        ...(rollbackError ? [`Check the config by hand: ${target.config}`] : ['Fix the modules, pin them again (odoops addons repo update <repo>) and deploy again.']),
      ],
      data: {host, service: targetLabel(target), unit: target.unit, failure, health, rolledBack: rollbackError === undefined, ...(rollbackError ? {rollbackError} : {}), journal: journal ? journal.split('\n') : []},
    },
  )
}

/** Per tenant of the service, the installed modules of the releases whose version is not the release's. */
async function readVersions(ops: DeployHostOps, target: DeployTarget, picked: PickedRelease[], progress: (message: string) => void): Promise<TenantVersions[]> {
  const modules = picked.flatMap(({release}) => release.modules.map((m) => m.name))
  const releases = picked.map(({repo, release}) => ({repo, modules: release.modules}))
  const out: TenantVersions[] = []
  for (const tenant of target.tenants.filter((t) => t.state === 'active' || t.state === 'stopped')) {
    progress(`Reading the installed modules of ${tenant.id}`)
    try {
      out.push({tenant: tenant.id, database: tenant.database, differs: versionDrift(releases, target.series, await ops.installedVersions(tenant.database, modules))})
    } catch (error) {
      out.push({tenant: tenant.id, database: tenant.database, differs: [], error: messageOf(error)})
    }
  }
  return out
}

/**
 * Release directories no recorded set of any service on the host names, older than the grace
 * period. The records are read again: they are the truth once this deploy recorded its set.
 */
async function prune(env: AddonsDeployEnv, ops: DeployHostOps, target: DeployTarget, facts: HostAddonFacts, requested: AddonSetEntry[], progress: (message: string) => void): Promise<{removed: string[]; error?: string}> {
  try {
    const host = (await env.store.hosts.get(target.host.id)) ?? target.host
    const keep = releasesToKeep(host, await env.store.tenants.list({host: host.id}), facts.referenced)
    for (const entry of requested) keep.add(entry.sha256)
    const selection = pruneSelection(facts.entries, keep)
    const names = [...selection.releases, ...selection.leftovers]
    if (names.length === 0) return {removed: []}
    progress(`Removing ${selection.releases.length} unused release(s) from ${host.id}`)
    await ops.remove(names)
    return {removed: selection.releases}
  } catch (error) {
    return {removed: [], error: messageOf(error)}
  }
}

import {messageOf, OdoopsError, usageError} from '../../errors.js'
import {restoreInPlace} from '../../backup/restore-in-place.js'
import type {AddonModuleInfo, AddonUpgradeRecord, TenantRecord} from '../../state/records.js'
import {getRepo} from '../repos.js'
import {hostOpsFor, deploySet, type AddonsDeployEnv, type AddonsDeployResult} from './deploy.js'
import {pickSet, releaseOf} from './pick.js'
import {resolveTarget, targetLabel, type DeployTarget} from './service.js'
import {releaseVersion} from './versions.js'

/**
 * `addons rollback <repo>`: the service runs the repository's previous release again (the
 * newest set in its history with another release of it). Code can go back; data cannot: a
 * tenant whose modules the newer release already upgraded (`-u`) would run old code on newer
 * tables, so the rollback is refused for it, unless `restore` puts that tenant's data back
 * from the verified safety backup `addons deploy --upgrade` took before the `-u`. The service
 * switches back first; then each such tenant's data is restored.
 */
export interface AddonsRollbackInput {
  host: string
  service: string
  repo: string
  /** Restore the safety backup of every tenant whose modules were upgraded by the newer release. */
  restore: boolean
}

export interface UpgradedTenant {
  tenant: string
  /** Installed modules whose data is newer than the previous release (or that it does not have). */
  modules: {module: string; installed: string; previous?: string}[]
  /** The safety backup taken before the upgrade, when odoops did the upgrade. */
  backup?: string
}

export interface RestoredTenant {
  tenant: string
  backup: string
  /** The backup of the data as it was just before the restore (restore in place takes one). */
  safetyBackup: string
}

export interface AddonsRollbackResult {
  repo: string
  /** The release the service ran. */
  from: string
  /** The release it runs now. */
  to: string
  restored: RestoredTenant[]
  deploy: AddonsDeployResult
}

export async function rollbackAddons(env: AddonsDeployEnv, input: AddonsRollbackInput): Promise<AddonsRollbackResult> {
  const progress = env.onProgress ?? (() => {})
  const target = await resolveTarget(env.store, input.host, input.service)
  const {current, previous} = releasesToSwitch(target, input.repo)
  const repo = await getRepo(env, input.repo)
  const from = releaseOf(repo.releases, current, input.repo)
  const to = releaseOf(repo.releases, previous, input.repo)
  const picked = await pickSet(env, (target.addons ?? []).map((entry) => (entry.repo === input.repo ? {repo: entry.repo, sha256: previous} : entry)))

  const ops = await hostOpsFor(env)(target.host.id)
  const upgraded: UpgradedTenant[] = []
  for (const tenant of target.tenants.filter((t) => t.state === 'active' || t.state === 'stopped')) {
    progress(`Reading the installed modules of ${tenant.id}`)
    const names = [...new Set([...from.modules, ...to.modules].map((m) => m.name))]
    const installed = await ops.installedVersions(tenant.database, names)
    const record = safetyUpgrade(tenant, input.repo, current)
    let modules = upgradedModules(from.modules, to.modules, installed, target.series)
    // A -u that failed may have upgraded some tables and not the versions: its data is suspect.
    if (modules.length === 0 && record?.outcome === 'failed') modules = record.modules.map((module) => ({module, installed: installed[module] ?? 'not installed'}))
    if (modules.length > 0) upgraded.push({tenant: tenant.id, modules, ...backupField(record)})
  }
  assertRollbackAllowed(target, input, upgraded)

  // Code first, then data: the previous code runs the newer tables (Odoo's ORM ignores columns its
  // code does not declare) while the newer code cannot run the older ones (it selects columns
  // only -u creates: seen on 19.0). A switch that fails its health check switches back with no
  // data touched.
  const {result} = await deploySet(env, {host: input.host, service: input.service, what: 'addons rollback'}, picked)
  const restored: RestoredTenant[] = []
  for (const tenant of upgraded) {
    env.signal?.throwIfAborted()
    progress(`Restoring ${tenant.tenant} from its safety backup ${tenant.backup}`)
    try {
      const restore = await restoreInPlace({store: env.store, box: env.box, dataDir: env.dataDir, ...(env.signal ? {signal: env.signal} : {}), ...(env.connect ? {connect: env.connect} : {})}, {backup: tenant.backup!, tenant: tenant.tenant, force: true, asCopy: false, neutralize: false})
      restored.push({tenant: tenant.tenant, backup: tenant.backup!, safetyBackup: restore.safetyBackup})
      await forgetUpgrade(env, tenant.tenant, input.repo, current)
    } catch (error) {
      throw new OdoopsError('ADDONS_ROLLBACK_RESTORE_FAILED', `The service runs ${input.repo}'s previous release again, but restoring ${tenant.tenant} from ${tenant.backup} failed (${messageOf(error)}): its data is still the upgraded one.${restored.length ? ` Restored before the failure: ${restored.map((r) => r.tenant).join(', ')}.` : ''}`, {
        suggestions: upgraded.filter((t) => !restored.some((r) => r.tenant === t.tenant)).map((t) => `odoops backup restore ${t.backup} --tenant ${t.tenant} --force`),
        data: {restored, failed: tenant.tenant, deploy: result},
        cause: error,
      })
    }
  }
  return {repo: input.repo, from: current, to: previous, restored, deploy: result}
}

/** The repository's release in the service's set, and the newest other release of it in the set's history. */
export function releasesToSwitch(target: Pick<DeployTarget, 'addons' | 'addonsHistory' | 'kind' | 'series' | 'tenant' | 'host'>, repo: string): {current: string; previous: string} {
  const current = target.addons?.find((entry) => entry.repo === repo)?.sha256
  if (!current) {
    throw usageError('ADDONS_ROLLBACK_NOT_DEPLOYED', `The ${targetLabel(target)} service on ${target.host.id} does not run ${repo}.`, [
      `odoops host show ${target.host.id}   (lists the addons each service runs)`,
    ])
  }
  const history = target.addonsHistory ?? []
  for (let i = history.length - 1; i >= 0; i--) {
    const previous = history[i].find((entry) => entry.repo === repo)?.sha256
    if (previous && previous !== current) return {current, previous}
  }
  throw usageError('ADDONS_NO_PREVIOUS_RELEASE', `The ${targetLabel(target)} service on ${target.host.id} has run no other release of ${repo} (of the last three sets it ran).`, [
    `Deploy the release you want: odoops addons repo show ${repo}, then pin and deploy it`,
  ])
}

/**
 * Installed modules the previous release cannot run: their recorded version is the newer
 * release's and not the previous one's, or the previous release does not have them at all.
 */
export function upgradedModules(newer: readonly AddonModuleInfo[], previous: readonly AddonModuleInfo[], installed: Record<string, string>, series: string): UpgradedTenant['modules'] {
  const out: UpgradedTenant['modules'] = []
  for (const module of newer) {
    const version = installed[module.name]
    if (version === undefined) continue
    const before = previous.find((m) => m.name === module.name)
    if (!before) {
      out.push({module: module.name, installed: version})
      continue
    }
    const previousVersion = releaseVersion(before, series)
    if (version !== previousVersion && version === releaseVersion(module, series)) out.push({module: module.name, installed: version, previous: previousVersion})
  }
  return out.sort((a, b) => a.module.localeCompare(b.module))
}

/** The newest upgrade odoops recorded for this repository's release on the tenant. */
export function safetyUpgrade(tenant: TenantRecord, repo: string, release: string): AddonUpgradeRecord | undefined {
  return [...(tenant.addonsUpgrades ?? [])].reverse().find((record) => record.repo === repo && record.release === release)
}

function backupField(record: AddonUpgradeRecord | undefined): {backup?: string} {
  return record ? {backup: record.backup} : {}
}

function assertRollbackAllowed(target: DeployTarget, input: AddonsRollbackInput, upgraded: UpgradedTenant[]): void {
  if (upgraded.length === 0) return
  const lines = upgraded.map((t) => `  ${t.tenant}: ${t.modules.map((m) => `${m.module} ${m.installed}${m.previous ? ` (previous release: ${m.previous})` : ' (not in the previous release)'}`).join(', ')}`)
  const again = `odoops addons rollback ${input.repo} --host ${input.host}${input.service === 'shared' ? '' : ` --service ${input.service}`}`
  if (!input.restore) {
    throw usageError(
      'ADDONS_ROLLBACK_UPGRADED',
      `The newer release of ${input.repo} already upgraded the data of ${upgraded.length} tenant(s) of the ${targetLabel(target)} service on ${target.host.id}; the previous release cannot run it. Nothing was changed:\n${lines.join('\n')}`,
      [`${again} --restore   (restores each of them from the safety backup taken before its upgrade: changes made since are lost)`],
      {tenants: upgraded},
    )
  }
  const without = upgraded.filter((t) => !t.backup)
  if (without.length > 0) {
    throw usageError(
      'ADDONS_ROLLBACK_NO_SAFETY_BACKUP',
      `No safety backup is recorded for the upgrade of ${without.map((t) => t.tenant).join(', ')} (they were upgraded outside addons deploy --upgrade). Nothing was changed.`,
      [...without.map((t) => `Pick a backup from before the upgrade: odoops backup list --tenant ${t.tenant}, then odoops backup restore <id> --tenant ${t.tenant} --force`), `Then: ${again}`],
      {tenants: upgraded},
    )
  }
}

async function forgetUpgrade(env: AddonsDeployEnv, slug: string, repo: string, release: string): Promise<void> {
  await env.store.tenants.update(slug, (tenant) => ({...tenant, addonsUpgrades: (tenant.addonsUpgrades ?? []).filter((record) => !(record.repo === repo && record.release === release))}))
}

import {messageOf, OdoopsError} from '../../errors.js'
import {backupTenant} from '../../backup/run.js'
import {verifyBackup} from '../../backup/verify.js'
import type {SshConnection} from '../../ssh/connection.js'
import type {AddonSetEntry, AddonUpgradeRecord, TenantRecord} from '../../state/records.js'
import type {StateStore} from '../../state/store.js'
import type {VersionDrift} from './versions.js'

/**
 * `addons deploy --upgrade`: `-u` of exactly the installed modules whose version changed, run
 * with the new addons_path *before* the service restarts on it. Odoo's ORM selects every stored
 * field its code declares, so new code whose fields -u has not created yet cannot serve the old
 * tables (seen on 19.0: `column res_partner.<new field> does not exist` at login). Each tenant
 * gets a safety backup that must verify by a test restore first, recorded on the tenant before
 * the `-u` starts, so `addons rollback --restore` can put its data back whatever the `-u` did
 * (Odoo commits module by module: a failed `-u` can leave a database half-upgraded).
 */
export interface SafetyBackupEnv {
  store: StateStore
  dataDir: string
  signal?: AbortSignal
  connect?: (host: string) => Promise<SshConnection>
}

export interface TenantUpgrade {
  tenant: string
  modules: string[]
  /** The verified safety backup taken before the `-u`. */
  backup: string
  ok: boolean
  /** Modules at the release's version after the `-u`. */
  upgraded: string[]
  error?: {code: string; message: string; suggestions: string[]}
  durationMs: number
}

/** Upgrade records kept per tenant. */
export const UPGRADES_KEPT = 3

/** Modules of one tenant to upgrade: every drifted module, with the repositories they come from. */
export interface UpgradeWork {
  tenant: string
  database: string
  differs: readonly VersionDrift[]
}

/** Takes a backup of the tenant and verifies it by a test restore; returns its id. `lockOwner`: the tenant lock the caller holds. */
export type SafetyBackup = (tenant: string, lockOwner?: string) => Promise<string>

export function safetyBackupOver(env: SafetyBackupEnv): SafetyBackup {
  const targetEnv = {store: env.store, dataDir: env.dataDir, ...(env.signal ? {signal: env.signal} : {}), ...(env.connect ? {connect: env.connect} : {})}
  return async (tenant, lockOwner) => {
    const id = (await backupTenant(targetEnv, tenant, undefined, () => {}, lockOwner ? {tenantLockOwner: lockOwner} : {})).entry.id
    const verified = await verifyBackup(targetEnv, id)
    if (verified.status !== 'verified') throw new OdoopsError('ADDONS_SAFETY_BACKUP_FAILED', `The safety backup ${id} of ${tenant} did not verify (${verified.reason ?? 'failed'}).`, {suggestions: [`odoops backup verify ${id}`]})
    return id
  }
}

/**
 * One verified backup per tenant, all before anything changes: a tenant without one refuses
 * the whole deploy (`ADDONS_SAFETY_BACKUP_FAILED`), nothing switched and nothing upgraded.
 */
export async function takeSafetyBackups(backup: SafetyBackup, work: readonly UpgradeWork[], lockOwner: string | undefined, progress: (message: string) => void): Promise<Map<string, string>> {
  const taken = new Map<string, string>()
  for (const item of work) {
    progress(`Safety backup of ${item.tenant}, verified by a test restore`)
    try {
      taken.set(item.tenant, await backup(item.tenant, lockOwner))
    } catch (error) {
      throw new OdoopsError('ADDONS_SAFETY_BACKUP_FAILED', `No verified safety backup of ${item.tenant} (${messageOf(error)}): nothing was deployed or upgraded.`, {
        suggestions: [...(error instanceof OdoopsError ? (error.suggestions ?? []) : []), `odoops backup run --tenant ${item.tenant}   (then deploy again)`],
        data: {tenant: item.tenant, backups: Object.fromEntries(taken)},
        cause: error,
      })
    }
  }
  return taken
}

export const modulesOf = (item: UpgradeWork) => [...new Set(item.differs.map((d) => d.module))].sort()

/** One record per repository whose modules the `-u` upgrades. */
export function upgradeRecords(item: Pick<UpgradeWork, 'differs'>, deployed: readonly AddonSetEntry[], replaced: readonly AddonSetEntry[], backup: string, at: string): AddonUpgradeRecord[] {
  const repos = [...new Set(item.differs.map((d) => d.repo))]
  return repos.map((repo) => {
    const release = deployed.find((entry) => entry.repo === repo)?.sha256 ?? ''
    const previous = replaced.find((entry) => entry.repo === repo)?.sha256
    return {
      repo,
      release,
      ...(previous && previous !== release ? {previous} : {}),
      modules: item.differs.filter((d) => d.repo === repo).map((d) => d.module),
      backup,
      at,
      outcome: 'upgraded',
    }
  })
}

export async function appendUpgrades(store: StateStore, slug: string, records: AddonUpgradeRecord[]): Promise<void> {
  await store.tenants.update(slug, (tenant: TenantRecord) => ({...tenant, addonsUpgrades: [...(tenant.addonsUpgrades ?? []), ...records].slice(-UPGRADES_KEPT)}))
}

export async function markFailed(store: StateStore, slug: string, at: string): Promise<void> {
  await store.tenants
    .update(slug, (tenant: TenantRecord) => ({...tenant, addonsUpgrades: (tenant.addonsUpgrades ?? []).map((record) => (record.at === at ? {...record, outcome: 'failed' as const} : record))}))
    .catch(() => {})
}

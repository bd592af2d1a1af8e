import {messageOf, OdoopsError} from '../../errors.js'
import {backupTenant} from '../../backup/run.js'
import {verifyBackup} from '../../backup/verify.js'
import type {SecretBox} from '../../secrets/secret-box.js'
import type {SshConnection} from '../../ssh/connection.js'
import type {AddonSetEntry, AddonUpgradeRecord, TenantRecord} from '../../state/records.js'
import type {StateStore} from '../../state/store.js'
import {updateTenant} from '../../tenants/update.js'
import type {VersionDrift} from './versions.js'

/**
 * `addons deploy --upgrade`: after the new releases run, `-u` of exactly the installed modules
 * whose version changed, tenant by tenant, each after a safety backup that verified by a test
 * restore. The backup is recorded on the tenant before the `-u` starts, so `addons rollback
 * --restore` can put its data back whatever the `-u` did (Odoo commits module by module: a
 * failed `-u` can leave a database half-upgraded).
 */
export interface UpgradeEnv {
  store: StateStore
  box: SecretBox
  dataDir: string
  signal?: AbortSignal
  connect?: (host: string) => Promise<SshConnection>
  onProgress?: (message: string) => void
}

export interface TenantUpgrade {
  tenant: string
  modules: string[]
  /** The verified safety backup (absent when it could not be taken or did not verify). */
  backup?: string
  ok: boolean
  /** Modules that were installed before and were upgraded. */
  upgraded: string[]
  error?: {code: string; message: string; suggestions: string[]}
  durationMs: number
}

/** Upgrade records kept per tenant. */
export const UPGRADES_KEPT = 3

/** Modules of one tenant to upgrade: every drifted module, with the repositories they come from. */
export interface UpgradeWork {
  tenant: string
  differs: readonly VersionDrift[]
}

export async function upgradeDrifted(env: UpgradeEnv, work: readonly UpgradeWork[], deployed: readonly AddonSetEntry[], replaced: readonly AddonSetEntry[]): Promise<TenantUpgrade[]> {
  const results: TenantUpgrade[] = []
  for (const item of work) {
    if (item.differs.length === 0) continue
    env.signal?.throwIfAborted()
    results.push(await upgradeOne(env, item, deployed, replaced))
  }
  return results
}

async function upgradeOne(env: UpgradeEnv, item: UpgradeWork, deployed: readonly AddonSetEntry[], replaced: readonly AddonSetEntry[]): Promise<TenantUpgrade> {
  const progress = env.onProgress ?? (() => {})
  const started = Date.now()
  const modules = [...new Set(item.differs.map((d) => d.module))].sort()
  const outcome = (fields: Partial<TenantUpgrade> & {ok: boolean}): TenantUpgrade => ({tenant: item.tenant, modules, upgraded: [], durationMs: Date.now() - started, ...fields})
  const targetEnv = {store: env.store, dataDir: env.dataDir, ...(env.signal ? {signal: env.signal} : {}), ...(env.connect ? {connect: env.connect} : {})}

  let backup: string
  try {
    progress(`Safety backup of ${item.tenant}`)
    backup = (await backupTenant(targetEnv, item.tenant)).entry.id
    progress(`Verifying backup ${backup} by a test restore`)
    const verified = await verifyBackup(targetEnv, backup)
    if (verified.status !== 'verified') {
      return outcome({ok: false, backup: undefined, error: {code: 'ADDONS_SAFETY_BACKUP_FAILED', message: `The safety backup ${backup} of ${item.tenant} did not verify (${verified.reason ?? 'failed'}): its modules were not upgraded.`, suggestions: [`odoops backup verify ${backup}`]}})
    }
  } catch (error) {
    return outcome({ok: false, error: {...summary(error), message: `No safety backup of ${item.tenant} (${messageOf(error)}): its modules were not upgraded.`}})
  }

  const at = new Date().toISOString()
  const records = upgradeRecords(item, deployed, replaced, backup, at)
  await appendUpgrades(env.store, item.tenant, records)
  try {
    progress(`Upgrading ${modules.join(', ')} in ${item.tenant}`)
    const result = await updateTenant({store: env.store, box: env.box, ...(env.signal ? {signal: env.signal} : {}), ...(env.connect ? {connect: env.connect} : {})}, item.tenant, modules)
    return outcome({ok: true, backup, upgraded: result.updated})
  } catch (error) {
    await markFailed(env.store, item.tenant, at)
    const failure = summary(error)
    return outcome({
      ok: false,
      backup,
      error: {...failure, suggestions: [...failure.suggestions, `Put its data back as it was: odoops backup restore ${backup} --tenant ${item.tenant} --force (or odoops addons rollback <repo> … --restore)`]},
    })
  }
}

/** One record per repository whose modules the `-u` upgrades. */
export function upgradeRecords(item: UpgradeWork, deployed: readonly AddonSetEntry[], replaced: readonly AddonSetEntry[], backup: string, at: string): AddonUpgradeRecord[] {
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

async function appendUpgrades(store: StateStore, slug: string, records: AddonUpgradeRecord[]): Promise<void> {
  await store.tenants.update(slug, (tenant: TenantRecord) => ({...tenant, addonsUpgrades: [...(tenant.addonsUpgrades ?? []), ...records].slice(-UPGRADES_KEPT)}))
}

async function markFailed(store: StateStore, slug: string, at: string): Promise<void> {
  await store.tenants
    .update(slug, (tenant: TenantRecord) => ({...tenant, addonsUpgrades: (tenant.addonsUpgrades ?? []).map((record) => (record.at === at ? {...record, outcome: 'failed' as const} : record))}))
    .catch(() => {})
}

function summary(error: unknown): {code: string; message: string; suggestions: string[]} {
  return error instanceof OdoopsError ? {code: error.code, message: error.message, suggestions: error.suggestions ?? []} : {code: 'ADDONS_UPGRADE_FAILED', message: messageOf(error), suggestions: []}
}

import {ensureReleasesOnHost} from '../addons/deploy/carry.js'
import {appendUpgrades, safetyBackupOver} from '../addons/deploy/upgrade.js'
import {ensureUnitActive, stopUnit} from '../remote/systemd.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import type {AddonSetEntry, AddonUpgradeRecord, SharedServiceRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {TenantEnv} from '../tenants/context.js'
import {connectFor} from '../tenants/create.js'
import {checkTenantThroughNginx} from '../tenants/health.js'
import {getTenant} from '../tenants/listing.js'
import {installPackage, installedOdooPackage, keepPackage} from './package.js'
import {recordedAddonSet, switchServiceAddons} from './addons-ops.js'
import {countTables, runSmokeChecks, type SmokeResult} from './smoke.js'
import type {ReleaseAddonsChange, ReleaseTenantPlan} from './record.js'
import {keptCounts, restoreTenantData, upgradeDatabase, waitForDatabaseLock, type TenantData, type UpgradeOutcome} from './tenant-ops.js'

/**
 * What a rollout does on hosts, one call per action: the SSH implementation below, or an
 * in-memory host in unit tests (the order of actions, failures, rollbacks and resumes are
 * tested there; the real tier runs the same rollout on real Odoo).
 */
export interface ReleaseOps {
  installedPackage(host: string): Promise<string | undefined>
  /** Keeps the build's .deb on the host; its path. */
  keepPackage(host: string, version: string): Promise<string>
  installPackage(host: string, path: string, version: string): Promise<void>
  stop(host: string, unit: string): Promise<void>
  start(host: string, unit: string): Promise<void>
  /** A backup of the tenant verified by a test restore; its id. */
  safetyBackup(slug: string): Promise<string>
  upgrade(host: string, tenant: ReleaseTenantPlan, series: string): Promise<UpgradeOutcome>
  /** Rows of the customer's own tables (KEPT_COUNT_TABLES), read while the tenant's service is stopped. */
  counts(host: string, tenant: ReleaseTenantPlan): Promise<Record<string, number>>
  /** Returns once no `odoo -i/-u` holds the tenant's database lock (one left running by a killed run). */
  settle(host: string, tenant: ReleaseTenantPlan): Promise<void>
  /** The tenant's database and filestore replaced by the backup's (its service stopped). */
  restore(host: string, tenant: ReleaseTenantPlan, series: string, backup: string): Promise<void>
  /** The template's `read` and `report` checks on the tenant's database (its service running the new code). */
  smoke(host: string, tenant: ReleaseTenantPlan): Promise<SmokeResult[]>
  /** Health through nginx and a login with the stored password. */
  check(slug: string): Promise<{ok: boolean; detail: string}>
  /** The host's record says which build it runs. */
  recordPackage(host: string, series: string, version: string): Promise<void>
  /** The addon releases the service's record says it runs (`shared`: the host's shared service of the series; else a dedicated tenant's slug). */
  addonSet(host: string, series: string, service: string): Promise<AddonSetEntry[]>
  /** Copies the set's releases the host lacks, from this machine's release tars. */
  ensureAddonReleases(host: string, set: AddonSetEntry[]): Promise<void>
  /** Writes the set's addons_path into the service's config and records the set on the service (the replaced one to its history). */
  switchAddons(host: string, series: string, change: ReleaseAddonsChange, set: AddonSetEntry[]): Promise<void>
  /** Notes on the tenant which addon modules a `-u` upgraded and its safety backup, as `addons deploy --upgrade` does (`addons rollback --restore` reads it). */
  recordAddonsUpgrade(slug: string, records: AddonUpgradeRecord[]): Promise<void>
}

export interface ReleaseEnv extends TenantEnv {
  dataDir: string
  /** Replaces the SSH actions (tests). */
  ops?: ReleaseOps
}

/** How long a tenant may take to answer through nginx after its service started. */
const HEALTH_WAIT_MS = 90_000
/** Polled often: every second of the wait after a start is downtime. */
const HEALTH_POLL_MS = 250

export function tenantData(tenant: ReleaseTenantPlan, series: string): TenantData {
  return {database: tenant.database, config: tenant.config, role: tenant.role, dataDir: tenant.dataDir, series}
}

export function sshReleaseOps(env: ReleaseEnv): ReleaseOps {
  const connect = connectFor(env)
  const targetEnv = {store: env.store, dataDir: env.dataDir, ...(env.signal ? {signal: env.signal} : {}), ...(env.connect ? {connect: env.connect} : {})}
  const backup = safetyBackupOver(targetEnv)
  return {
    installedPackage: async (host) => installedOdooPackage(await connect(host)),
    keepPackage: async (host, version) => keepPackage(await connect(host), version),
    installPackage: async (host, path, version) => installPackage(await connect(host), path, version),
    stop: async (host, unit) => void (await stopUnit(await connect(host), unit)),
    start: async (host, unit) => void (await ensureUnitActive(await connect(host), unit)),
    safetyBackup: (slug) => backup(slug),
    upgrade: async (host, tenant, series) => upgradeDatabase(await connect(host), tenantData(tenant, series), tenant.modules),
    counts: async (host, tenant) => keptCounts(await connect(host), tenant.database, countTables(tenant.checks)),
    smoke: async (host, tenant) => runSmokeChecks(await connect(host), tenant.config, tenant.database, tenant.checks ?? []),
    settle: async (host, tenant) => waitForDatabaseLock(await connect(host), tenant.database),
    restore: async (host, tenant, series, id) => restoreTenantData(targetEnv, await connect(host), tenantData(tenant, series), id),
    async check(slug) {
      const tenant = await getTenant(env.store, slug)
      const password = await readSecret(env.store, env.box, secretIds.tenantAdminPassword(slug))
      const report = await checkTenantThroughNginx(await connect(tenant.host), tenant, {password, waitMs: HEALTH_WAIT_MS, intervalMs: HEALTH_POLL_MS, defaultPasswordCheck: false})
      return {ok: report.ok, detail: report.detail}
    },
    recordPackage: (host, series, version) => updateSharedService(env.store, host, series, {odooPackage: version}),
    addonSet: (host, series, service) => recordedAddonSet(env.store, host, series, service),
    ensureAddonReleases: async (host, set) => void (await ensureReleasesOnHost(await connect(host), set, env.dataDir)),
    switchAddons: async (host, _series, change, set) => switchServiceAddons(env, await connect(host), host, change, set),
    recordAddonsUpgrade: (slug, records) => appendUpgrades(env.store, slug, records),
  }
}

/** What the host's record says of its shared service of the series (the build it runs, the builds offered). */
export async function updateSharedService(store: StateStore, host: string, series: string, change: Pick<SharedServiceRecord, 'odooPackage' | 'odooAvailable'>): Promise<void> {
  await store.hosts.update(host, (current) => {
    const service = current.services?.[series]
    return service ? {...current, services: {...current.services, [series]: {...service, ...change}}} : current
  })
}

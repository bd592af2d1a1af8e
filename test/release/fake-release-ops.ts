import type {ReleaseOps} from '../../src/lib/release/ops.js'
import type {ReleaseAddonsChange, ReleaseTenantPlan} from '../../src/lib/release/record.js'
import type {AddonSetEntry, AddonUpgradeRecord} from '../../src/lib/state/records.js'

/**
 * Hosts in memory for the rollout's logic: each host has an installed build and active units;
 * each tenant's data is a string that `-u` rewrites to the build it ran with, so a test can
 * tell upgraded, restored and untouched data apart (with the addon releases its service's
 * config names, when it names any: `+<repo>@<sha>`). Failures are injected per tenant.
 */
export class FakeReleaseOps implements ReleaseOps {
  installed: Record<string, string> = {}
  active = new Set<string>()
  data: Record<string, string> = {}
  backups: Record<string, {slug: string; data: string}> = {}
  kept = new Set<string>()
  log: string[] = []
  failUpgrade = new Set<string>()
  failCheck = new Set<string>()
  /** -u of these tenants never returns (a process killed mid-rollout). */
  hangUpgrade = new Set<string>()
  failBackup = new Set<string>()
  tenantHost: Record<string, string> = {}
  recorded: Record<string, string> = {}
  private backupSeq = 0

  async installedPackage(host: string) {
    return this.installed[host]
  }

  async keepPackage(host: string, version: string) {
    this.kept.add(`${host}:${version}`)
    return `/var/lib/odoops/packages/odoo_${version}_all.deb`
  }

  async installPackage(host: string, path: string, version: string) {
    if (!this.kept.has(`${host}:${version}`) || !path.includes(version)) throw new Error(`${version} was not kept on ${host}`)
    this.log.push(`${host}: install ${version}`)
    this.installed[host] = version
  }

  async stop(host: string, unit: string) {
    this.log.push(`${host}: stop ${unit}`)
    this.active.delete(`${host}:${unit}`)
  }

  async start(host: string, unit: string) {
    this.log.push(`${host}: start ${unit}`)
    this.active.add(`${host}:${unit}`)
  }

  async safetyBackup(slug: string) {
    if (this.failBackup.has(slug)) throw new Error(`backup of ${slug} did not verify`)
    const id = `${slug}-b${++this.backupSeq}`
    this.backups[id] = {slug, data: this.data[slug]}
    this.log.push(`backup ${slug}`)
    return id
  }

  /** -u runs in flight now, and the most at once. */
  running = 0
  mostRunning = 0

  async upgrade(host: string, tenant: ReleaseTenantPlan) {
    this.log.push(`${host}: -u ${tenant.slug}`)
    if (this.active.has(`${host}:${tenant.unit}`)) throw new Error(`-u of ${tenant.slug} while ${tenant.unit} runs`)
    if (this.hangUpgrade.has(tenant.slug)) return new Promise<never>(() => {})
    this.mostRunning = Math.max(this.mostRunning, ++this.running)
    // A -u takes a moment: long enough for another lane to start beside it.
    await new Promise((resolve) => setTimeout(resolve, this.failUpgrade.has(tenant.slug) ? 5 : 20))
    this.running--
    const addons = this.addons[`${host}:${tenant.mode === 'shared' ? 'shared' : tenant.slug}`] ?? []
    this.data[tenant.slug] = `${this.data[tenant.slug]}+${this.installed[host]}${addons.map((e) => `+${e.repo}@${e.sha256.slice(0, 4)}`).join('')}`
    if (this.dropRows.has(tenant.slug)) this.rows[tenant.slug] = (this.rows[tenant.slug] ?? 3) - 1
    if (this.failUpgrade.has(tenant.slug)) return {ok: false as const, durationMs: 5, message: `odoo -u base failed on ${tenant.database}: KeyError`}
    return {ok: true as const, durationMs: 10}
  }

  /** Rows per tenant; `-u` of a tenant in `dropRows` loses one. */
  rows: Record<string, number> = {}
  dropRows = new Set<string>()

  async counts(_host: string, tenant: ReleaseTenantPlan) {
    return {res_partner: this.rows[tenant.slug] ?? 3}
  }

  async settle(host: string, tenant: ReleaseTenantPlan) {
    this.log.push(`${host}: settle ${tenant.slug}`)
  }

  async restore(host: string, tenant: ReleaseTenantPlan, _series: string, backup: string) {
    if (this.active.has(`${host}:${tenant.unit}`)) throw new Error(`restore of ${tenant.slug} while ${tenant.unit} runs`)
    this.log.push(`${host}: restore ${tenant.slug} from ${backup}`)
    this.data[tenant.slug] = this.backups[backup].data
  }

  /** The next check of these tenants fails, the ones after pass (unhealthy on the new code only). */
  failCheckOnce = new Set<string>()

  async check(slug: string) {
    const ok = !this.failCheck.has(slug) && !this.failCheckOnce.delete(slug)
    return {ok, detail: ok ? '200, login ok' : '502 Bad Gateway'}
  }

  /** Tenants whose template smoke checks fail (every read/report check). */
  failSmoke = new Set<string>()

  async smoke(host: string, tenant: ReleaseTenantPlan) {
    this.log.push(`${host}: smoke ${tenant.slug}`)
    const ok = !this.failSmoke.has(tenant.slug) && this.active.has(`${host}:${tenant.unit}`)
    return (tenant.checks ?? []).filter((c) => !('count' in c)).map((c) => ({check: Object.entries(c).map(([k, v]) => `${k} ${v}`)[0], ok, detail: ok ? 'rendered' : 'KeyError: sale.order'}))
  }

  async recordPackage(host: string, _series: string, version: string) {
    this.recorded[host] = version
  }

  /** The set each service's config names and its record says (`<host>:shared`, `<host>:<slug>`). */
  addons: Record<string, AddonSetEntry[]> = {}
  /** Release directories on the hosts (`<host>:<sha256>`). */
  releasesOnHost = new Set<string>()
  /** Switching these services (`<host>:<service>`) fails; `failSwitchBack`: only back to the planned `from` set. */
  failSwitch = new Set<string>()
  failSwitchBack = new Set<string>()
  /** Switching these services never returns (a process killed mid-switch). */
  hangSwitch = new Set<string>()

  /** What each tenant's record notes of addon upgrades. */
  upgradeRecords: Record<string, AddonUpgradeRecord[]> = {}

  async recordAddonsUpgrade(slug: string, records: AddonUpgradeRecord[]) {
    this.upgradeRecords[slug] = [...(this.upgradeRecords[slug] ?? []), ...records]
  }

  async addonSet(host: string, _series: string, service: string) {
    return [...(this.addons[`${host}:${service}`] ?? [])]
  }

  async ensureAddonReleases(host: string, set: AddonSetEntry[]) {
    for (const entry of set) {
      if (this.releasesOnHost.has(`${host}:${entry.sha256}`)) continue
      this.log.push(`${host}: copy ${entry.repo}@${entry.sha256.slice(0, 4)}`)
      this.releasesOnHost.add(`${host}:${entry.sha256}`)
    }
  }

  async switchAddons(host: string, _series: string, change: ReleaseAddonsChange, set: AddonSetEntry[]) {
    if (this.active.has(`${host}:${change.unit}`)) throw new Error(`addons of ${change.service} switched while ${change.unit} runs`)
    const missing = set.filter((e) => !this.releasesOnHost.has(`${host}:${e.sha256}`))
    if (missing.length) throw new Error(`${missing.map((e) => e.repo).join(', ')} not on ${host}`)
    const key = `${host}:${change.service}`
    if (this.failSwitch.has(key) || (this.failSwitchBack.has(key) && JSON.stringify(set) === JSON.stringify(change.from))) throw new Error(`cannot write ${change.config}`)
    if (this.hangSwitch.has(key)) return new Promise<never>(() => {})
    this.log.push(`${host}: addons ${change.service} ${set.map((e) => `${e.repo}@${e.sha256.slice(0, 4)}`).join(',')}`)
    this.addons[`${host}:${change.service}`] = set.map(({repo, sha256}) => ({repo, sha256}))
  }
}

/**
 * Hosts in memory running `build`, each with `sharedUnit` active, the given dedicated units
 * active (`host:unit`), and each tenant's data `<slug>-data` (what `-u` and restores rewrite).
 */
export function fakeFleet(build: string, hosts: readonly string[], tenants: readonly string[], options: {sharedUnit?: string; dedicatedUnits?: readonly string[]} = {}): FakeReleaseOps {
  const ops = new FakeReleaseOps()
  for (const host of hosts) {
    ops.installed[host] = build
    ops.active.add(`${host}:${options.sharedUnit ?? 'odoo-17.service'}`)
  }
  for (const unit of options.dedicatedUnits ?? []) ops.active.add(unit)
  for (const slug of tenants) ops.data[slug] = `${slug}-data`
  return ops
}

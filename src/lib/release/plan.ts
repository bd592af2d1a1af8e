import {ExitCode, OdoopsError, usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {listHosts} from '../hosts/inventory.js'
import {versionInSeries} from '../provision/prepare.js'
import type {HostRecord, TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {connectFor} from '../tenants/create.js'
import {assertDebianVersion, compareDebianVersions} from './debian-version.js'
import {updateSharedService, type ReleaseEnv} from './ops.js'
import {availableOdooPackages, installedOdooPackage, manifestVersions, stagePackage} from './package.js'
import {newReleaseId, type Release, type ReleaseHostPlan, type ReleaseTenantPlan} from './record.js'
import {installedModuleVersions} from './tenant-ops.js'

export interface PlanInput {
  /** Hosts by name; empty means every host running the series. */
  hosts: string[]
  series?: string
  /** The exact build to install; default: the newest the host's Odoo source offers. */
  odoo?: string
}

export interface PlanResult {
  /** The saved release, or undefined when no host has anything to do. */
  release?: Release
  /** Per host looked at: what it runs and what it could run. */
  hosts: {host: string; series: string; installed: string; available: string[]; behind: number; planned?: string; reason?: string}[]
}

/** The single series the selection runs (a release updates one series). */
function seriesOf(hosts: HostRecord[], input: PlanInput): string {
  if (input.series) return input.series
  if (input.odoo) {
    const found = [...new Set(hosts.flatMap((h) => Object.keys(h.services ?? {})))].find((s) => versionInSeries(input.odoo!, s))
    if (found) return found
  }
  const all = [...new Set(hosts.flatMap((h) => Object.keys(h.services ?? {})))].sort()
  if (all.length === 1) return all[0]
  if (all.length === 0) throw usageError('RELEASE_NO_SERIES', 'None of these hosts runs a prepared Odoo service.', ['odoops host prepare <host> --odoo <series>'])
  throw usageError('RELEASE_SERIES_AMBIGUOUS', `These hosts run several series (${all.join(', ')}); a release updates one.`, [`Add --series ${all.at(-1)}`])
}

function tenantPlan(tenant: TenantRecord, modules: string[], changed: Record<string, [string, string]>): ReleaseTenantPlan {
  const svc = tenant.service!
  return {slug: tenant.id, mode: tenant.mode, database: tenant.database, unit: svc.unit, config: svc.config, role: svc.role, dataDir: svc.dataDir, serving: tenant.state === 'active', modules, changed}
}

/** The last `-u` measured on the tenant by a rehearsal or rollout of an earlier release. */
async function lastUpgradeMs(store: Pick<StateStore, 'releases'>): Promise<Map<string, number>> {
  const measured = new Map<string, {at: string; ms: number}>()
  const note = (slug: string, at: string | undefined, ms: number | undefined) => {
    if (ms === undefined || !at) return
    const known = measured.get(slug)
    if (!known || known.at < at) measured.set(slug, {at, ms})
  }
  for (const release of (await store.releases.list()) as Release[]) {
    for (const [slug, t] of Object.entries(release.rehearsal?.tenants ?? {})) note(slug, release.rehearsal?.at, t.durationMs)
    for (const host of Object.values(release.apply?.hosts ?? {})) for (const [slug, t] of Object.entries(host.tenants)) note(slug, host.finishedAt, t.upgradeMs)
  }
  return new Map([...measured].map(([slug, m]) => [slug, m.ms]))
}

/**
 * `release plan`: for every selected host running the series, the installed build, the builds
 * its Odoo source offers (the index refreshed), the build the release installs, and per tenant
 * the modules whose version that build changes (read from the build's manifests, unpacked on the
 * host) and its expected downtime. Saved as a release when any host has something to do.
 */
export async function planRelease(env: ReleaseEnv, input: PlanInput): Promise<PlanResult> {
  if (input.odoo) assertDebianVersion(input.odoo)
  const selected = input.hosts.length ? await Promise.all(input.hosts.map((h) => getHost(env.store, h))) : await listHosts(env.store)
  const series = seriesOf(selected, input)
  const hosts = selected.filter((h) => h.services?.[series])
  if (input.hosts.length && hosts.length < selected.length) {
    const without = selected.filter((h) => !h.services?.[series]).map((h) => h.id)
    throw usageError('RELEASE_HOST_NOT_PREPARED', `${without.join(', ')} run${without.length === 1 ? 's' : ''} no Odoo ${series} service.`, [`odoops host prepare ${without[0]} --odoo ${series}`])
  }
  if (hosts.length === 0) throw usageError('RELEASE_NO_HOSTS', `No host runs Odoo ${series}.`, ['odoops host list'])
  const estimates = await lastUpgradeMs(env.store)
  const looked: PlanResult['hosts'] = []
  const planned: ReleaseHostPlan[] = []
  for (const host of hosts) {
    const conn = await connectFor(env)(host.id)
    const installed = await installedOdooPackage(conn)
    if (!installed) throw new OdoopsError('RELEASE_NO_PACKAGE', `No odoo package is installed on ${host.id}.`, {exit: ExitCode.USAGE, suggestions: [`odoops host prepare ${host.id} --odoo ${series}`]})
    const available = (await availableOdooPackages(conn)).filter((v) => versionInSeries(v, series))
    await updateSharedService(env.store, host.id, series, {odooPackage: installed, odooAvailable: {versions: available, checkedAt: new Date().toISOString()}})
    const behind = available.filter((v) => compareDebianVersions(v, installed) > 0).length
    const to = input.odoo ?? available.at(-1)
    const base = {host: host.id, series, installed, available, behind}
    if (input.odoo && !available.includes(input.odoo)) {
      throw new OdoopsError('RELEASE_PACKAGE_UNAVAILABLE', `${host.id}'s Odoo source does not offer odoo ${input.odoo} (it offers ${available.join(', ') || 'nothing'}).`, {
        exit: ExitCode.USAGE,
        suggestions: [`Leave out --odoo to take the newest (${available.at(-1) ?? 'none'})`],
      })
    }
    if (!to || to === installed) {
      looked.push({...base, reason: 'runs that build already'})
      continue
    }
    if (!input.odoo && compareDebianVersions(to, installed) < 0) {
      looked.push({...base, reason: `runs ${installed}, newer than anything its source offers`})
      continue
    }
    const tree = await stagePackage(conn, to)
    const tenants: ReleaseTenantPlan[] = []
    const records = (await env.store.tenants.list({host: host.id})).filter((t) => t.series === series && (t.state === 'active' || t.state === 'stopped') && t.service)
    for (const tenant of records) {
      const now = await installedModuleVersions(conn, tenant.database)
      const next = await manifestVersions(conn, tree, series, Object.keys(now))
      const changed = Object.fromEntries(Object.entries(next).filter(([module, version]) => now[module] !== version).map(([module, version]) => [module, [now[module], version] as [string, string]]))
      // Odoo's packages ask for `-u base` after an update: it reloads every installed module's data.
      tenants.push(tenantPlan(tenant, ['base', ...Object.keys(changed).filter((m) => m !== 'base')], changed))
    }
    // Shared tenants are down together while each one's -u runs; a dedicated tenant only for its own.
    const sharedSum = tenants.filter((t) => t.mode === 'shared').reduce<number | undefined>((sum, t) => (sum === undefined || !estimates.has(t.slug) ? undefined : sum + estimates.get(t.slug)!), 0)
    for (const t of tenants) {
      const own = estimates.get(t.slug)
      const estimate = t.mode === 'shared' ? sharedSum : own
      if (estimate !== undefined) t.estimatedDowntimeMs = estimate
    }
    planned.push({host: host.id, from: installed, to, ...(records.some((t) => t.mode === 'shared') ? {sharedUnit: host.services![series].unit} : {}), tenants})
    looked.push({...base, planned: to})
  }
  if (planned.length === 0) return {hosts: looked}
  const now = new Date()
  const release: Release = {id: newReleaseId(now), createdAt: now.toISOString(), series, state: 'planned', hosts: planned}
  await env.store.releases.insert(release)
  return {release, hosts: looked}
}

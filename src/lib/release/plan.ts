import {command} from '../ssh/quote.js'
import {templateChecksLookup} from './smoke.js'
import {ExitCode, OdoopsError, usageError} from '../errors.js'
import type {AddonProblem} from '../addons/checks.js'
import {checkOnHost, pickSet, releaseNotLocal} from '../addons/deploy/pick.js'
import {probeHostFacts} from '../addons/deploy/probe.js'
import {releaseIsLocal} from '../addons/repos.js'
import {getHost} from '../hosts/lookup.js'
import {listHosts} from '../hosts/inventory.js'
import {versionInSeries} from '../provision/prepare.js'
import type {AddonReleaseRecord, HostRecord, TenantRecord} from '../state/records.js'
import type {SshConnection} from '../ssh/connection.js'
import type {StateStore} from '../state/store.js'
import {connectFor} from '../tenants/create.js'
import {assertDebianVersion, compareDebianVersions} from './debian-version.js'
import {updateSharedService, type ReleaseEnv} from './ops.js'
import {availableOdooPackages, installedOdooPackage, keepPackage, manifestVersions, stagePackage} from './package.js'
import {addonModuleChanges, assertAddonsDeployed, parseAddonsSpec, resolveAddonsSpecs, serviceAddonsChanges, switchedRepos, type WantedRelease} from './addons.js'
import {newReleaseId, serviceOf, type Release, type ReleaseAddonsChange, type ReleaseHostPlan, type ReleaseTenantPlan} from './record.js'
import {installedModuleVersions} from './tenant-ops.js'

/** `--odoo latest`: the newest build the host's source offers (the default without --addons). */
export const LATEST = 'latest'

export interface PlanInput {
  /** Hosts by name; empty means every host running the series. */
  hosts: string[]
  series?: string
  /**
   * The exact build to install, or `latest`: the newest the host's Odoo source offers. Default:
   * the newest, unless `addons` is given (then the installed build stays).
   */
  odoo?: string
  /** Addon releases to switch to, `<repo>@<release>` (addons.ts releaseByLabel: SHA-256 or commit prefix, pinned ref, `current`). */
  addons?: string[]
}

export interface PlanResult {
  /** The saved release, or undefined when no host has anything to do. */
  release?: Release
  /** Per host looked at: what it runs and what it could run. */
  hosts: {host: string; series: string; installed: string; available: string[]; behind: number; planned?: string; reason?: string; addons?: ReleaseAddonsChange[]; problems?: AddonProblem[]}[]
}

/** The single series the selection runs (a release updates one series). */
function seriesOf(hosts: HostRecord[], input: PlanInput): string {
  if (input.series) return input.series
  if (input.odoo && input.odoo !== LATEST) {
    const found = [...new Set(hosts.flatMap((h) => Object.keys(h.services ?? {})))].find((s) => versionInSeries(input.odoo!, s))
    if (found) return found
  }
  const all = [...new Set(hosts.flatMap((h) => Object.keys(h.services ?? {})))].sort()
  if (all.length === 1) return all[0]
  if (all.length === 0) throw usageError('RELEASE_NO_SERIES', 'None of these hosts runs a prepared Odoo service.', ['odoops host prepare <host> --odoo <series>'])
  throw usageError('RELEASE_SERIES_AMBIGUOUS', `These hosts run several series (${all.join(', ')}); a release updates one.`, [`Add --series ${all.at(-1)}`])
}

function tenantPlan(tenant: TenantRecord, modules: string[], changed: Record<string, [string, string]>, addonsUpgrade: {repo: string; modules: string[]}[]): ReleaseTenantPlan {
  const svc = tenant.service!
  return {slug: tenant.id, mode: tenant.mode, database: tenant.database, unit: svc.unit, config: svc.config, role: svc.role, dataDir: svc.dataDir, serving: tenant.state === 'active', modules, changed, ...(addonsUpgrade.length ? {addonsUpgrade} : {})}
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
 * host) and its expected downtime. With `addons`, every service of those hosts that runs one of
 * the repositories at another release gets its new set (checked as `addons deploy` checks it),
 * and each of its tenants the installed modules of those repositories whose version the new
 * release changes; without `odoo` the build stays then, and a host whose build stays and whose
 * services run the releases already has nothing to do. Saved as a release when any host has
 * something to do.
 */
export async function planRelease(env: ReleaseEnv, input: PlanInput): Promise<PlanResult> {
  const exact = input.odoo && input.odoo !== LATEST ? assertDebianVersion(input.odoo) : undefined
  // Without --addons a release updates the build; with it, only when --odoo asks.
  const packageWanted = !input.addons?.length || input.odoo !== undefined
  const wanted = resolveAddonsSpecs(await env.store.addonRepos.list(), (input.addons ?? []).map(parseAddonsSpec))
  for (const w of wanted) if (!releaseIsLocal(env.dataDir, w.release.sha256)) throw releaseNotLocal(w.repo, w.release.sha256)
  const selected = input.hosts.length ? await Promise.all(input.hosts.map((h) => getHost(env.store, h))) : await listHosts(env.store)
  const series = seriesOf(selected, input)
  const hosts = selected.filter((h) => h.services?.[series])
  if (input.hosts.length && hosts.length < selected.length) {
    const without = selected.filter((h) => !h.services?.[series]).map((h) => h.id)
    throw usageError('RELEASE_HOST_NOT_PREPARED', `${without.join(', ')} run${without.length === 1 ? 's' : ''} no Odoo ${series} service.`, [`odoops host prepare ${without[0]} --odoo ${series}`])
  }
  if (hosts.length === 0) throw usageError('RELEASE_NO_HOSTS', `No host runs Odoo ${series}.`, ['odoops host list'])
  const allTenants = await env.store.tenants.list()
  if (wanted.length) assertAddonsDeployed({series, hosts, tenants: allTenants, wanted})
  const addonChanges = serviceAddonsChanges({series, hosts, tenants: allTenants, wanted})
  const estimates = await lastUpgradeMs(env.store)
  const templateChecks = await templateChecksLookup(env.store)
  const looked: PlanResult['hosts'] = []
  const planned: ReleaseHostPlan[] = []
  for (const host of hosts) {
    const conn = await connectFor(env)(host.id)
    const installed = await installedOdooPackage(conn)
    if (!installed) throw new OdoopsError('RELEASE_NO_PACKAGE', `No odoo package is installed on ${host.id}.`, {exit: ExitCode.USAGE, suggestions: [`odoops host prepare ${host.id} --odoo ${series}`]})
    const available = (await availableOdooPackages(conn)).filter((v) => versionInSeries(v, series))
    await updateSharedService(env.store, host.id, series, {odooPackage: installed, odooAvailable: {versions: available, checkedAt: new Date().toISOString()}})
    const behind = available.filter((v) => compareDebianVersions(v, installed) > 0).length
    const base = {host: host.id, series, installed, available, behind}
    if (exact && !available.includes(exact)) {
      throw new OdoopsError('RELEASE_PACKAGE_UNAVAILABLE', `${host.id}'s Odoo source does not offer odoo ${exact} (it offers ${available.join(', ') || 'nothing'}).`, {
        exit: ExitCode.USAGE,
        suggestions: [`Leave out --odoo to take the newest (${available.at(-1) ?? 'none'})`],
      })
    }
    const changes = addonChanges.get(host.id) ?? []
    const offered = packageWanted ? (exact ?? available.at(-1)) : undefined
    let to = installed
    let packageReason = packageWanted ? 'runs that build already' : 'build kept (--addons without --odoo)'
    if (offered && offered !== installed) {
      if (!exact && compareDebianVersions(offered, installed) < 0) packageReason = `runs ${installed}, newer than anything its source offers`
      else to = offered
    }
    if (to === installed && changes.length === 0) {
      looked.push({...base, reason: wanted.length ? `${packageReason}; no service runs other releases of ${wanted.map((w) => w.repo).join(', ')}` : packageReason})
      continue
    }
    const problems = changes.length ? await checkAddonsOnHost(env, conn, host.id, series, changes) : []
    const tree = to !== installed ? await stagePackage(conn, to) : undefined
    // The build a rollback reinstalls, kept now rather than in the maintenance window (and a
    // source that no longer offers it is found before anything is planned).
    if (tree) await keepPackage(conn, installed)
    const tenants: ReleaseTenantPlan[] = []
    const records = allTenants
      .filter((t) => t.host === host.id && t.series === series && (t.state === 'active' || t.state === 'stopped') && t.service)
      // An addons change alone touches only the services it switches.
      .filter((t) => tree || changes.some((c) => c.service === serviceOf({mode: t.mode, slug: t.id})))
    const releases = await releasesOf(env, changes)
    for (const tenant of records) {
      const now = await installedModuleVersions(conn, tenant.database)
      const changed: Record<string, [string, string]> = {}
      if (tree) {
        const next = await manifestVersions(conn, tree, series, Object.keys(now))
        for (const [module, version] of Object.entries(next)) if (now[module] !== version) changed[module] = [now[module], version]
      }
      const change = changes.find((c) => c.service === serviceOf({mode: tenant.mode, slug: tenant.id}))
      let addonsUpgrade: {repo: string; modules: string[]}[] = []
      if (change) {
        const switched = switchedRepos(change).map((s) => ({repo: s.repo, from: releases.get(s.from), to: releases.get(s.to)!}))
        const addons = addonModuleChanges(switched, series, now)
        if (addons.dropped.length) {
          throw usageError(
            'RELEASE_ADDONS_MODULE_DROPPED',
            `${tenant.id} has modules installed that the new release no longer has: ${addons.dropped.map((d) => `${d.repo}/${d.module}`).join(', ')}. Their code would vanish from addons_path. Nothing was planned.`,
            [`Uninstall them in ${tenant.id} first (Apps › Uninstall), or pick a release that still has them`],
            {tenant: tenant.id, dropped: addons.dropped},
          )
        }
        Object.assign(changed, addons.changed)
        addonsUpgrade = addons.repos
      }
      // Odoo's packages ask for `-u base` after an update: it reloads every installed module's data.
      const modules = tree ? ['base', ...Object.keys(changed).filter((m) => m !== 'base').sort()] : Object.keys(changed).sort()
      const smoke = templateChecks(tenant.id)
      tenants.push({...tenantPlan(tenant, modules, changed, addonsUpgrade), ...(smoke ? {checks: smoke.checks, template: smoke.template} : {})})
    }
    // Shared tenants are down together while each one's -u runs; a dedicated tenant only for its own.
    const sharedSum = tenants.filter((t) => t.mode === 'shared').reduce<number | undefined>((sum, t) => (sum === undefined || !estimates.has(t.slug) ? undefined : sum + estimates.get(t.slug)!), 0)
    for (const t of tenants) {
      const own = estimates.get(t.slug)
      const estimate = t.mode === 'shared' ? sharedSum : own
      if (estimate !== undefined) t.estimatedDowntimeMs = estimate
    }
    const touchesShared = tenants.some((t) => t.mode === 'shared') || changes.some((c) => c.service === 'shared')
    const cpus = Number.parseInt(await conn.run(command(['nproc'])), 10)
    planned.push({host: host.id, from: installed, to, ...(touchesShared ? {sharedUnit: host.services![series].unit} : {}), tenants, ...(changes.length ? {addons: changes} : {}), ...(cpus > 0 ? {cpus} : {})})
    looked.push({...base, planned: to, ...(changes.length ? {addons: changes} : {}), ...(problems.length ? {problems} : {})})
  }
  if (planned.length === 0) return {hosts: looked}
  const now = new Date()
  const release: Release = {id: newReleaseId(now), createdAt: now.toISOString(), series, state: 'planned', ...(wanted.length ? {addons: wanted.map(setEntry)} : {}), hosts: planned}
  await env.store.releases.insert(release)
  return {release, hosts: looked}
}

const setEntry = (w: WantedRelease) => ({repo: w.repo, sha256: w.release.sha256})

/** The release records of both sets of the changes, by SHA-256 (a set's release no longer recorded is left out). */
async function releasesOf(env: ReleaseEnv, changes: readonly ReleaseAddonsChange[]) {
  const out = new Map<string, AddonReleaseRecord>()
  for (const change of changes) {
    for (const entry of [...change.from, ...change.to]) {
      const repo = await env.store.addonRepos.get(entry.repo)
      const release = repo?.releases.find((r) => r.sha256 === entry.sha256)
      if (release) out.set(entry.sha256, release)
    }
  }
  return out
}

/**
 * The checks `addons deploy` runs before any change (manifests, depends, duplicates, external
 * Python dependencies), with the host's facts, for each service's new set: an error refuses
 * the plan (nothing saved); warnings are returned.
 */
async function checkAddonsOnHost(env: ReleaseEnv, conn: SshConnection, host: string, series: string, changes: readonly ReleaseAddonsChange[]): Promise<AddonProblem[]> {
  const sets = await Promise.all(changes.map(async (change) => ({change, picked: await pickSet(env, change.to)})))
  const facts = await probeHostFacts(conn, {python: sets.flatMap(({picked}) => picked.flatMap(({release}) => release.modules.flatMap((m) => m.externalPython))), configs: []})
  return sets.flatMap(({change, picked}) => checkOnHost({host, series, label: change.service === 'shared' ? `shared ${series}` : `tenant ${change.service}`}, picked, facts))
}

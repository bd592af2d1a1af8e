import {usageError} from '../errors.js'
import {REPO_NAME_PATTERN} from '../addons/repos.js'
import {sameSet} from '../addons/deploy/layout.js'
import {releaseVersion} from '../addons/deploy/versions.js'
import type {AddonReleaseRecord, AddonRepoRecord, AddonSetEntry, HostRecord, TenantRecord} from '../state/records.js'
import type {ReleaseAddonsChange} from './record.js'

/**
 * `release plan --addons <repo>@<release>`: addon releases rolled out in the release's window,
 * with or without a new `odoo` package. Pure parts (parsing, which services change, which
 * modules each tenant must `-u`), so they are tested without hosts.
 */
export interface AddonsSpec {
  repo: string
  /** A SHA-256 or git commit prefix (7+ characters), a ref the release was pinned from, or `current`; undefined: current. */
  release?: string
}

export interface WantedRelease {
  repo: string
  release: AddonReleaseRecord
}

/** `server-tools@3f2a9c1`, `server-tools@v17.0.2`, `server-tools@current`, `server-tools` (its current release). */
export function parseAddonsSpec(text: string): AddonsSpec {
  const at = text.indexOf('@')
  const repo = (at < 0 ? text : text.slice(0, at)).trim()
  const release = at < 0 ? undefined : text.slice(at + 1).trim()
  if (!REPO_NAME_PATTERN.test(repo) || release === '') {
    throw usageError('RELEASE_ADDONS_INVALID', `"${text}" is not <repo>@<release>.`, [
      'Name a repository and one of its releases: --addons server-tools@3f2a9c1 (a SHA-256 or commit prefix of 7+ characters, a ref it was pinned from, or current)',
      'odoops addons repo show <repo>   (lists its releases)',
    ])
  }
  return {repo, ...(release !== undefined && release !== 'current' ? {release} : {})}
}

/**
 * The release of `repo` a label names: a SHA-256 or git commit prefix of at least 7 characters
 * (as `addons repo show --release`), else the ref it was pinned from (`ref`) when exactly one
 * release was pinned from it; without a label, the repository's current release.
 */
export function releaseByLabel(repo: AddonRepoRecord, label: string | undefined): AddonReleaseRecord {
  const current = repo.releases.find((r) => r.sha256 === repo.current)
  if (label === undefined) {
    if (!current) throw usageError('RELEASE_ADDONS_RELEASE_UNKNOWN', `${repo.id} has no record of its current release.`, [`odoops addons repo update ${repo.id}`])
    return current
  }
  const wanted = label.toLowerCase()
  const byPrefix = label.length >= 7 ? repo.releases.filter((r) => r.sha256.startsWith(wanted) || r.commit?.startsWith(wanted)) : []
  const matches = byPrefix.length > 0 ? byPrefix : repo.releases.filter((r) => r.ref === label)
  if (matches.length === 1) return matches[0]
  const known = repo.releases.map((r) => `${r.sha256.slice(0, 12)}${r.commit ? ` (commit ${r.commit.slice(0, 10)})` : ''}${r.ref ? ` from ${r.ref}` : ''}`)
  throw usageError(
    'RELEASE_ADDONS_RELEASE_UNKNOWN',
    matches.length > 1
      ? `More than one release of ${repo.id} matches "${label}": ${matches.map((r) => r.sha256.slice(0, 12)).join(', ')}.`
      : `No release of ${repo.id} matches "${label}"${label.length < 7 && /^[0-9a-f]+$/i.test(label) ? ' (a SHA-256 or commit prefix needs 7 characters at least)' : ''}.`,
    [`Name one by its SHA-256 prefix: ${known.join('; ') || 'none pinned'}`, `odoops addons repo show ${repo.id}`],
    {repo: repo.id, release: label},
  )
}

/** The releases asked for, each repository once; unknown repositories and releases refused. */
export function resolveAddonsSpecs(repos: readonly AddonRepoRecord[], specs: readonly AddonsSpec[]): WantedRelease[] {
  const twice = specs.find((spec, i) => specs.findIndex((s) => s.repo === spec.repo) !== i)
  if (twice) throw usageError('RELEASE_ADDONS_INVALID', `${twice.repo} is named twice in --addons.`, ['Name each repository once: a service runs one release of it.'])
  return specs.map((spec) => {
    const repo = repos.find((r) => r.id === spec.repo)
    if (!repo) {
      throw usageError('RELEASE_ADDONS_REPO_UNKNOWN', `No addon repository named ${spec.repo}.`, [repos.length > 0 ? `Known: ${repos.map((r) => r.id).sort().join(', ')}` : 'odoops addons repo list'], {repo: spec.repo})
    }
    return {repo: spec.repo, release: releaseByLabel(repo, spec.release)}
  })
}

/** A set with each wanted repository's entry replaced by the wanted release (order kept; repositories it does not run left out). */
export function replacedSet(set: readonly AddonSetEntry[], wanted: readonly WantedRelease[]): AddonSetEntry[] {
  return set.map((entry) => {
    const found = wanted.find((w) => w.repo === entry.repo)
    return {repo: entry.repo, sha256: found ? found.release.sha256 : entry.sha256}
  })
}

/**
 * Per host, the services of the series running one of the wanted repositories at another
 * release: the host's shared service and each active or stopped dedicated tenant's own.
 * A service that runs the wanted releases already has nothing to change.
 */
export function serviceAddonsChanges(input: {series: string; hosts: readonly HostRecord[]; tenants: readonly TenantRecord[]; wanted: readonly WantedRelease[]}): Map<string, ReleaseAddonsChange[]> {
  const out = new Map<string, ReleaseAddonsChange[]>()
  if (input.wanted.length === 0) return out
  for (const host of input.hosts) {
    const changes: ReleaseAddonsChange[] = []
    const shared = host.services?.[input.series]
    const consider = (service: string, unit: string, config: string, set: readonly AddonSetEntry[] | undefined) => {
      const from = (set ?? []).map(({repo, sha256}) => ({repo, sha256}))
      const to = replacedSet(from, input.wanted)
      if (!sameSet(from, to)) changes.push({service, unit, config, from, to})
    }
    if (shared) consider('shared', shared.unit, shared.config, shared.addons)
    for (const tenant of dedicatedTenants(input.tenants, host.id, input.series)) consider(tenant.id, tenant.service!.unit, tenant.service!.config, tenant.addons)
    if (changes.length > 0) out.set(host.id, changes)
  }
  return out
}

function dedicatedTenants(tenants: readonly TenantRecord[], host: string, series: string): TenantRecord[] {
  return tenants.filter((t) => t.host === host && t.series === series && t.mode === 'dedicated' && (t.state === 'active' || t.state === 'stopped') && t.service)
}

/**
 * Every repository named must be run by a service of the selected hosts (at any release):
 * `--addons` switches releases, it does not add a repository to a service (`addons deploy` does).
 */
export function assertAddonsDeployed(input: {series: string; hosts: readonly HostRecord[]; tenants: readonly TenantRecord[]; wanted: readonly WantedRelease[]}): void {
  const runs = new Set<string>()
  for (const host of input.hosts) {
    for (const entry of host.services?.[input.series]?.addons ?? []) runs.add(entry.repo)
    for (const tenant of dedicatedTenants(input.tenants, host.id, input.series)) for (const entry of tenant.addons ?? []) runs.add(entry.repo)
  }
  const missing = input.wanted.filter((w) => !runs.has(w.repo)).map((w) => w.repo)
  if (missing.length === 0) return
  throw usageError(
    'RELEASE_ADDONS_NOT_DEPLOYED',
    `No ${input.series} service of ${input.hosts.map((h) => h.id).join(', ')} runs ${missing.join(', ')}: a release switches the releases services run, it does not add a repository to one. Nothing was planned.`,
    [`Deploy it to the services that need it first: odoops addons deploy <its whole set> --host <host> [--service <tenant>]`, 'odoops host show <host>   (lists the addons each service runs)'],
    {repos: missing},
  )
}

/**
 * What a tenant's `-u` needs for an addons change: its installed modules of the switched
 * repositories whose recorded version (`ir_module_module.latest_version`) is not the new
 * release's (`{module: [installed, new]}`, and the same by repository), and its installed
 * modules the new release no longer has (their code would vanish: refused by the plan).
 */
export function addonModuleChanges(
  switched: readonly {repo: string; from?: AddonReleaseRecord; to: AddonReleaseRecord}[],
  series: string,
  installed: Record<string, string>,
): {changed: Record<string, [string, string]>; repos: {repo: string; modules: string[]}[]; dropped: {repo: string; module: string}[]} {
  const changed: Record<string, [string, string]> = {}
  const repos: {repo: string; modules: string[]}[] = []
  const dropped: {repo: string; module: string}[] = []
  for (const {repo, from, to} of switched) {
    const modules: string[] = []
    for (const module of to.modules) {
      const version = installed[module.name]
      if (version === undefined) continue
      const next = releaseVersion(module, series)
      if (version === next) continue
      changed[module.name] = [version, next]
      modules.push(module.name)
    }
    if (modules.length) repos.push({repo, modules: modules.sort()})
    for (const module of from?.modules ?? []) {
      if (installed[module.name] !== undefined && !to.modules.some((m) => m.name === module.name)) dropped.push({repo, module: module.name})
    }
  }
  return {changed, repos, dropped}
}

/** The repositories whose release differs between a service's two sets. */
export function switchedRepos(change: Pick<ReleaseAddonsChange, 'from' | 'to'>): {repo: string; from: string; to: string}[] {
  return change.to.flatMap((entry) => {
    const before = change.from.find((e) => e.repo === entry.repo)
    return before && before.sha256 !== entry.sha256 ? [{repo: entry.repo, from: before.sha256, to: entry.sha256}] : []
  })
}

import {usageError} from '../errors.js'
import {currentRelease, releaseIsLocal, validateRepoName} from '../addons/repos.js'
import {releaseNotLocal} from '../addons/deploy/pick.js'
import type {AddonRepoRecord, AddonSetEntry} from '../state/records.js'
import type {StateStore} from '../state/store.js'

/**
 * The addon repositories a tenant asks for (`tenant create|onboard --addons`, a template's
 * `addons:`): names in addons_path order. A shared tenant gets them through its host's shared
 * service (whose set grows by the missing ones); a dedicated one runs exactly them.
 */

/** `--addons a,b`: each name checked against the repository-name rule, each kept once, in order. */
export function parseAddonRepos(raw: string | undefined): string[] {
  const names = (raw ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  for (const name of names) validateRepoName(name)
  return [...new Set(names)]
}

/** A template's repositories first, then the others the flag names (addons_path order). */
export function mergeAddonRepos(...lists: (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((list) => list ?? []))]
}

/**
 * Every repository registered, with its current release's content on this machine: checked
 * before anything is created. Returns the records, in the order asked.
 */
export async function checkAddonRepos(env: {store: Pick<StateStore, 'addonRepos'>; dataDir?: string}, repos: readonly string[]): Promise<AddonRepoRecord[]> {
  if (repos.length === 0) return []
  const records = await env.store.addonRepos.list()
  const byName = new Map(records.map((repo) => [repo.id, repo]))
  const unknown = repos.filter((name) => !byName.has(name))
  if (unknown.length > 0) {
    throw usageError(
      'ADDONS_REPO_NOT_FOUND',
      `${unknown.length === 1 ? 'No addon repository is' : 'No addon repositories are'} registered as ${unknown.join(', ')}; nothing was created.`,
      [
        'odoops addons repo list   (the registered repositories)',
        `odoops addons repo add ${unknown[0]} --git <url> [--ref <branch>] | --dir <folder> | --archive <file>`,
      ],
      {repos: unknown, known: records.map((repo) => repo.id).sort()},
    )
  }
  const picked = repos.map((name) => byName.get(name)!)
  if (env.dataDir !== undefined) {
    for (const repo of picked) {
      const release = currentRelease(repo)
      if (!releaseIsLocal(env.dataDir, release.sha256)) throw releaseNotLocal(repo.id, release.sha256)
    }
  }
  return picked
}

export interface SharedAddonsPlan {
  /** The repositories the tenant asks for that the service does not run. */
  missing: string[]
  /** The set to deploy: the recorded one as it is (same releases, same order), then the missing repositories at their current release; empty when nothing is missing. */
  set: AddonSetEntry[]
}

/**
 * What the shared service must deploy for a tenant asking for `wanted`: nothing when it runs
 * them all already (whatever their release: that is the service's choice), else its recorded
 * set unchanged with the missing repositories appended. The repositories it runs keep their
 * releases: a tenant's creation never upgrades code under the service's other tenants.
 */
export function sharedAddonsPlan(recorded: readonly AddonSetEntry[] | undefined, wanted: readonly string[], currentOf: (repo: string) => string | undefined): SharedAddonsPlan {
  const set = (recorded ?? []).map(({repo, sha256}) => ({repo, sha256}))
  const running = new Set(set.map((entry) => entry.repo))
  const missing = wanted.filter((repo) => !running.has(repo))
  if (missing.length === 0) return {missing, set: []}
  const added = missing.map((repo) => {
    const sha256 = currentOf(repo)
    if (!sha256) throw usageError('ADDONS_REPO_NOT_FOUND', `No addon repository named ${repo}.`, ['odoops addons repo list'])
    return {repo, sha256}
  })
  return {missing, set: [...set, ...added]}
}

/** The current release of each registered repository, by name. */
export async function currentReleases(store: Pick<StateStore, 'addonRepos'>): Promise<Map<string, string>> {
  return new Map((await store.addonRepos.list()).map((repo) => [repo.id, repo.current]))
}

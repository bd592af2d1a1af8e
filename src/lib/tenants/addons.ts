import {ExitCode, OdoopsError, usageError} from '../errors.js'
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

/** A recorded repository of the shared service whose current release is not the one it runs. */
export interface SharedAddonDrift {
  repo: string
  /** The release the service runs. */
  running: string
  /** Its repository's current release, or undefined when the repository is no longer registered. */
  current?: string
}

export interface SharedAddonsPlan {
  /** The repositories the tenant asks for that the service does not run. */
  missing: string[]
  /** The whole set to deploy (the recorded repositories in their order, then the missing ones); empty when nothing is missing. */
  deploy: string[]
  /** Recorded repositories a deploy would move to another release (it deploys current releases). */
  drift: SharedAddonDrift[]
}

/**
 * What the shared service must deploy for a tenant asking for `wanted`: nothing when it runs
 * them all already (whatever their release: that is the service's choice), else its recorded
 * set with the missing repositories appended.
 */
export function sharedAddonsPlan(recorded: readonly AddonSetEntry[] | undefined, wanted: readonly string[], currentOf: (repo: string) => string | undefined): SharedAddonsPlan {
  const set = recorded ?? []
  const running = new Set(set.map((entry) => entry.repo))
  const missing = wanted.filter((repo) => !running.has(repo))
  if (missing.length === 0) return {missing, deploy: [], drift: []}
  const drift = set
    .map((entry) => ({repo: entry.repo, running: entry.sha256, current: currentOf(entry.repo)}))
    .filter((entry) => entry.current !== entry.running)
    .map(({repo, running: sha, current}) => ({repo, running: sha, ...(current ? {current} : {})}))
  return {missing, deploy: [...set.map((entry) => entry.repo), ...missing], drift}
}

/**
 * Adding a repository to the shared service deploys the current release of every repository
 * in its set: when one of those has moved since, the tenant creation would upgrade the code
 * under every other tenant of the service. That is refused; the operator deploys on purpose.
 */
export function sharedDriftError(host: string, series: string, plan: SharedAddonsPlan): OdoopsError {
  const lines = plan.drift.map((d) =>
    d.current
      ? `${d.repo} runs release ${d.running.slice(0, 12)} but its current release is ${d.current.slice(0, 12)}`
      : `${d.repo} runs release ${d.running.slice(0, 12)} but is no longer registered`,
  )
  const gone = plan.drift.filter((d) => !d.current).map((d) => d.repo)
  const deploy = plan.deploy.filter((repo) => !gone.includes(repo))
  return new OdoopsError(
    'TENANT_ADDONS_SHARED_DRIFT',
    `Adding ${plan.missing.join(', ')} to the shared ${series} service of ${host} would also move the repositories it runs to other releases (${lines.join('; ')}); nothing was created.`,
    {
      exit: ExitCode.USAGE,
      suggestions: [
        `Deploy the set on purpose first (its tenants may then need an upgrade): odoops addons deploy ${deploy.join(' ')} --host ${host} --service shared`,
        'Then create the tenant again (or resume it).',
      ],
      data: {host, series, missing: plan.missing, drift: plan.drift},
    },
  )
}

/** The current release of each registered repository, by name. */
export async function currentReleases(store: Pick<StateStore, 'addonRepos'>): Promise<Map<string, string>> {
  return new Map((await store.addonRepos.list()).map((repo) => [repo.id, repo.current]))
}

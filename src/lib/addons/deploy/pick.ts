import {OdoopsError, usageError} from '../../errors.js'
import type {AddonReleaseRecord, AddonSetEntry} from '../../state/records.js'
import type {StateStore} from '../../state/store.js'
import {checkReleases, hasErrors, type AddonProblem} from '../checks.js'
import {currentRelease, getRepo, releaseIsLocal} from '../repos.js'
import {coreModulesOf, type HostAddonFacts} from './probe.js'

/**
 * The two halves of a deploy that come before any change on the host: which releases, and the
 * checks against the host's Odoo. Shared by `addons deploy` and the staging of a dedicated
 * tenant's addons while it is created (new-service.ts).
 */
export interface PickedRelease {
  repo: string
  release: AddonReleaseRecord
}

/** The current release of each repository, whose tar must be on this machine. */
export async function pickReleases(env: {store: Pick<StateStore, 'addonRepos'>; dataDir: string}, repos: readonly string[]): Promise<PickedRelease[]> {
  if (repos.length === 0) throw usageError('ADDONS_REPO_REQUIRED', 'Which repositories? Name at least one.', ['odoops addons deploy <repo>… --host <host>'])
  const twice = repos.find((repo, i) => repos.indexOf(repo) !== i)
  if (twice) throw usageError('ADDONS_REPO_DUPLICATE', `${twice} is named twice.`, ['Name each repository once, in the order addons_path lists them.'])
  const picked: PickedRelease[] = []
  for (const name of repos) {
    const release = currentRelease(await getRepo(env, name))
    if (!releaseIsLocal(env.dataDir, release.sha256)) throw releaseNotLocal(name, release.sha256)
    picked.push({repo: name, release})
  }
  return picked
}

export function releaseNotLocal(repo: string, sha256: string): OdoopsError {
  return new OdoopsError('ADDONS_RELEASE_NOT_LOCAL', `The content of ${repo}'s release ${sha256.slice(0, 12)} is not on this machine: it was pinned with another data directory.`, {
    suggestions: [`odoops addons repo update ${repo}   (pins the source again here)`],
    data: {repo, release: sha256},
  })
}

/** The checks with the host's facts; an error refuses before anything changed. `label` names the service (`tenant acme`). */
export function checkOnHost(target: {host: string; series: string; label: string}, picked: PickedRelease[], facts: HostAddonFacts): AddonProblem[] {
  const {host, series, label} = target
  if (facts.odooAddons.length === 0) {
    throw new OdoopsError('ADDONS_ODOO_NOT_FOUND', `The python3 of ${host} finds no odoo package with its addons: Odoo is not installed there as host prepare installs it.`, {
      suggestions: [`odoops host prepare ${host} --odoo ${series}`],
      data: {host},
    })
  }
  const problems = checkReleases(picked, {series, coreModules: coreModulesOf(facts), missingPython: new Set(facts.missingPython)})
  if (!hasErrors(problems)) return problems
  const errors = problems.filter((problem) => problem.severity === 'error')
  const lines = errors.map((p) => `  [${p.check}] ${p.repo}${p.module ? `/${p.module}` : ''}: ${p.message}`)
  throw new OdoopsError('ADDONS_CHECK_FAILED', `${errors.length === 1 ? 'A check' : `${errors.length} checks`} of the addons for the ${label} service on ${host} failed; nothing was changed on the host:\n${lines.join('\n')}`, {
    suggestions: [...new Set(errors.flatMap((p) => (p.fix ? [p.fix] : [])))],
    data: {host, service: label, problems},
  })
}

/** The releases of a recorded set (each repository at the release given, not its current one). */
export async function pickSet(env: {store: Pick<StateStore, 'addonRepos'>}, set: readonly AddonSetEntry[]): Promise<PickedRelease[]> {
  const picked: PickedRelease[] = []
  for (const entry of set) picked.push({repo: entry.repo, release: releaseOf((await getRepo(env, entry.repo)).releases, entry.sha256, entry.repo)})
  return picked
}

export function releaseOf(releases: readonly AddonReleaseRecord[], sha256: string, repo: string): AddonReleaseRecord {
  const release = releases.find((r) => r.sha256 === sha256)
  if (!release) {
    throw new OdoopsError('ADDONS_RELEASE_UNKNOWN', `${repo} has no record of release ${sha256.slice(0, 12)} any more (the repository was removed and added again?).`, {
      suggestions: [`odoops addons repo show ${repo}`],
      data: {repo, release: sha256},
    })
  }
  return release
}

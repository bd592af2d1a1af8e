import type {AddonSetEntry} from '../../state/records.js'
import type {StateStore} from '../../state/store.js'
import type {AddonProblem} from '../checks.js'
import {releaseTarPath} from '../repos.js'
import type {DeployHostOps} from './host-ops.js'
import {checkOnHost, pickReleases} from './pick.js'

/**
 * The addons of a dedicated service that does not run yet (`tenant create --mode dedicated
 * --addons …`): the same checks as `addons deploy` against the host's Odoo, nothing changed
 * when one fails, then each release copied once to its content-addressed directory. There is
 * nothing to restart or check for health: the caller records the set for the tenant and its
 * config step writes the addons_path, before the service first starts.
 */
export interface StagedAddons {
  set: AddonSetEntry[]
  /** Releases copied now (the others were on the host already). */
  uploaded: string[]
  /** Warnings of the checks. */
  problems: AddonProblem[]
}

export async function stageAddonsForNewService(
  env: {store: Pick<StateStore, 'addonRepos'>; dataDir: string; signal?: AbortSignal},
  ops: Pick<DeployHostOps, 'probe' | 'upload'>,
  target: {host: string; series: string; label: string},
  repos: readonly string[],
): Promise<StagedAddons> {
  const picked = await pickReleases(env, repos)
  // No configs to protect: a new service's releases are recorded before any prune could see them.
  const facts = await ops.probe({python: picked.flatMap(({release}) => release.modules.flatMap((module) => module.externalPython)), configs: []})
  const problems = checkOnHost(target, picked, facts)
  const present = new Set(facts.entries.map((entry) => entry.name))
  const uploaded: string[] = []
  for (const {release} of picked) {
    env.signal?.throwIfAborted()
    if (present.has(release.sha256) || uploaded.includes(release.sha256)) continue
    if ((await ops.upload(release.sha256, releaseTarPath(env.dataDir, release.sha256))) === 'changed') uploaded.push(release.sha256)
  }
  return {set: picked.map(({repo, release}) => ({repo, sha256: release.sha256})), uploaded, problems}
}

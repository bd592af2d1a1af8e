import type {Config} from '@oclif/core'
import {BUILTIN_ADDONS_REPO, builtinAddonRepo} from '../lib/addons/builtin.js'
import {packAddonRepos, syncPackRepos, type PackAddonRepo, type PackRepoSync} from '../lib/addons/packs.js'
import type {AddonsEnv} from '../lib/addons/repos.js'
import {releaseLabel, sourceLocation} from '../lib/addons/views.js'
import type {Ui} from '../lib/output/ui.js'
import {discoverPacks} from '../lib/plugins/discover.js'
import {pluginDescriptors} from '../lib/plugins/oclif.js'

/**
 * The addon repositories the installed packs ship, from oclif's plugin list (already in memory:
 * no pack code imported), and odoops' own (`odoops`: odoops_branding, src/lib/addons/builtin.ts).
 */
export function installedPackRepos(config: Pick<Config, 'plugins' | 'name' | 'root' | 'version'>): PackAddonRepo[] {
  const packs = discoverPacks(pluginDescriptors(config)).filter((pack) => pack.manifest)
  const repos = packAddonRepos(packs.map((pack) => ({name: pack.name, version: pack.version, root: pack.root, type: pack.type, namespace: pack.namespace, addons: pack.manifest?.addons}))).repos
  return [builtinAddonRepo(config.root, config.version, config.name), ...repos.filter((r) => r.repo !== BUILTIN_ADDONS_REPO)]
}

/**
 * Register or re-pin the packs' repositories a command is about to use (all of them, or
 * `only`), saying what was pinned; a pack's repository shadowed by the user's is a warning.
 */
export async function syncPackAddons(ui: Ui, env: AddonsEnv & {packs: readonly PackAddonRepo[]}, only?: readonly string[]): Promise<PackRepoSync[]> {
  // odoops' own repository is registered only when named (tenant brand, --addons odoops, repo show odoops), never by a listing.
  const results = only ? await syncPackRepos(env, {only}) : await syncPackRepos({...env, packs: env.packs.filter((r) => r.repo !== BUILTIN_ADDONS_REPO)})
  for (const result of results) {
    if (result.outcome === 'added' || result.outcome === 'pinned') {
      ui.note(`Addon repository ${result.repo} of pack ${result.pack} ${result.outcome === 'added' ? 'registered' : 'pinned again'}: release ${releaseLabel(result.release!)} (${result.release!.modules.length} modules).`)
    }
    if (result.outcome === 'shadowed') {
      ui.warn(`pack ${result.pack} ships addon repository ${result.repo}, but yours (${sourceLocation(result.shadowedBy!)}) has that name and is used instead: rename yours (addons repo remove, then add under another name) to use the pack's.`)
    }
  }
  return results
}

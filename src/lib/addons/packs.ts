import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {isAbsolute, join, relative, resolve} from 'node:path'
import type {AddonReleaseRecord, AddonRepoRecord} from '../state/records.js'
import {checkReleases, type AddonProblem} from './checks.js'
import {insertRepo, pinRelease, releaseIsLocal, REPO_NAME_PATTERN, updateRepo, type AddonsEnv} from './repos.js'

/**
 * Addon repositories shipped by vertical packs (docs/addons.md, "Packs"). A pack names folders
 * of Odoo modules inside its package (`"odoops": {"addons": {"wholesale": "addons"}}`); each
 * becomes an addon repository with source `pack`, pinned like a `--dir` the first time a
 * command needs it and again when the pack's version (or, for a linked pack, its content)
 * changes. Free of oclif: the CLI hands the installed packs in (src/cli/pack-addons.ts).
 */

/** An installed pack as far as its addons go: what oclif's plugin list and the pack's `odoops` section say. */
export interface InstalledPack {
  name: string
  version: string
  root: string
  /** oclif's plugin type: `user` and `core` come from npm (content changes with the version); `link` and `dev` are folders being worked on. */
  type: string
  namespace: string
  /** `odoops.addons` as written: a folder (one repository named after the namespace) or `{<repo>: <folder>}`. */
  addons?: unknown
}

/** One addon repository a pack declares, its folder resolved. */
export interface PackAddonRepo {
  repo: string
  pack: string
  version: string
  type: string
  /** The folder as written in package.json, relative to the pack's root. */
  folder: string
  /** The folder's absolute path. */
  dir: string
}

/**
 * The repositories a pack declares, or why its `odoops.addons` is unusable. Names follow the
 * repository-name rule and live under the pack's namespace (`wholesale`, `wholesale-extra`), so
 * two packs can never ship the same name; folders stay inside the package.
 */
export function readPackAddons(pack: InstalledPack): {repos: PackAddonRepo[]; problems: string[]} {
  if (pack.addons === undefined) return {repos: [], problems: []}
  const entries: [string, unknown][] =
    typeof pack.addons === 'string' ? [[pack.namespace, pack.addons]] : typeof pack.addons === 'object' && pack.addons !== null && !Array.isArray(pack.addons) ? Object.entries(pack.addons) : []
  if (entries.length === 0) return {repos: [], problems: ['"odoops.addons" must be a folder of modules ("addons") or an object of repository name to folder ({"<namespace>": "addons"})']}
  const repos: PackAddonRepo[] = []
  const problems: string[] = []
  for (const [repo, folder] of entries) {
    if (!REPO_NAME_PATTERN.test(repo)) problems.push(`addon repository name "${repo}" must be 1 to 63 lowercase letters, digits, dashes and underscores`)
    else if (repo !== pack.namespace && !repo.startsWith(`${pack.namespace}-`) && !repo.startsWith(`${pack.namespace}_`)) problems.push(`addon repository name "${repo}" must be the pack's namespace "${pack.namespace}" or start with "${pack.namespace}-"`)
    else if (typeof folder !== 'string' || folder === '') problems.push(`"odoops.addons.${repo}" must be a folder inside the package`)
    else {
      const dir = resolve(pack.root, folder)
      const rel = relative(pack.root, dir)
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) problems.push(`"odoops.addons.${repo}" (${folder}) must be a folder inside the package`)
      else repos.push({repo, pack: pack.name, version: pack.version, type: pack.type, folder, dir})
    }
  }
  return {repos, problems}
}

/** Every installed pack's repositories; a name two packs declare goes to the first (by package name), the other is a problem. */
export function packAddonRepos(packs: readonly InstalledPack[]): {repos: PackAddonRepo[]; problems: {pack: string; message: string}[]} {
  const repos: PackAddonRepo[] = []
  const problems: {pack: string; message: string}[] = []
  for (const pack of [...packs].sort((a, b) => a.name.localeCompare(b.name))) {
    const read = readPackAddons(pack)
    problems.push(...read.problems.map((message) => ({pack: pack.name, message})))
    for (const repo of read.repos) {
      const owner = repos.find((r) => r.repo === repo.repo)
      if (owner) problems.push({pack: pack.name, message: `addon repository "${repo.repo}" is already shipped by ${owner.pack}`})
      else repos.push(repo)
    }
  }
  return {repos, problems}
}

export interface PackRepoSync {
  repo: string
  pack: string
  /**
   * `added`: pinned for the first time; `pinned`: a new release (new version or content);
   * `unchanged`; `shadowed`: a repository of the same name registered by the user (`addons
   * repo add`) is kept and the pack's is not used.
   */
  outcome: 'added' | 'pinned' | 'unchanged' | 'shadowed'
  release?: AddonReleaseRecord
  /** The user's repository that shadows the pack's. */
  shadowedBy?: AddonRepoRecord['source']
  problems: AddonProblem[]
}

/**
 * Registers or re-pins the packs' repositories (`only`: just these names, e.g. those a command
 * was asked for). A pack installed from npm is pinned again when its version changes; a linked
 * one (development) whenever its folder's content does, so it is snapshotted each time.
 */
export async function syncPackRepos(env: AddonsEnv & {packs: readonly PackAddonRepo[]}, options: {only?: readonly string[]} = {}): Promise<PackRepoSync[]> {
  const results: PackRepoSync[] = []
  for (const declared of env.packs) {
    if (options.only && !options.only.includes(declared.repo)) continue
    const base = {repo: declared.repo, pack: declared.pack}
    let existing = await env.store.addonRepos.get(declared.repo)
    if (!existing) {
      const {release} = await pinRelease(env, declared.repo, {kind: 'dir', path: declared.dir})
      const repo: AddonRepoRecord = {id: declared.repo, source: packSource(declared), releases: [release], current: release.sha256}
      // Another odoops run may have registered it meanwhile: then it is that one's to pin.
      const inserted = await insertRepo(env, repo).then(
        () => true,
        async (error: unknown) => {
          if (!(await env.store.addonRepos.get(declared.repo))) throw error
          return false
        },
      )
      if (inserted) {
        results.push({...base, outcome: 'added', release, problems: checkReleases([{repo: declared.repo, release}])})
        continue
      }
      existing = (await env.store.addonRepos.get(declared.repo))!
    }
    if (existing.source.kind !== 'pack') {
      results.push({...base, outcome: 'shadowed', shadowedBy: existing.source, problems: []})
      continue
    }
    const source = existing.source
    const installed = declared.type === 'user' || declared.type === 'core'
    if (installed && source.pack === declared.pack && source.version === declared.version && source.folder === declared.folder && releaseIsLocal(env.dataDir, existing.current)) {
      results.push({...base, outcome: 'unchanged', problems: []})
      continue
    }
    const updated = await updateRepo(env, declared.repo)
    results.push({...base, outcome: updated.outcome, release: updated.release, problems: updated.problems})
  }
  return results
}

export function packSource(declared: PackAddonRepo): AddonRepoRecord['source'] {
  return {kind: 'pack', pack: declared.pack, version: declared.version, folder: declared.folder}
}

/**
 * A folder of modules checked as odoops checks a release before deploying it, without a host:
 * snapshotted into a canonical tar (in a temporary directory, removed after), each manifest
 * read by odoops' own parser, then the checks (for `series`: module versions must fit it).
 * For pack authors' tests (`checkAddonsFolder` in the pack API).
 */
export async function checkAddonsFolder(dir: string, options: {series?: string} = {}): Promise<{modules: AddonReleaseRecord['modules']; sha256: string; problems: AddonProblem[]}> {
  const scratch = await mkdtemp(join(tmpdir(), 'odoops-addons-check-'))
  try {
    const {release} = await pinRelease({dataDir: scratch, cacheDir: scratch}, 'check', {kind: 'dir', path: resolve(dir)})
    return {modules: release.modules, sha256: release.sha256, problems: checkReleases([{repo: 'check', release}], options)}
  } finally {
    await rm(scratch, {recursive: true, force: true})
  }
}

import {existsSync, rmSync} from 'node:fs'
import {isAbsolute, join, resolve} from 'node:path'
import {OdoopsError, usageError} from '../errors.js'
import {majorOfSeries} from '../series/odoo-series.js'
import type {StateStore} from '../state/store.js'
import type {AddonModuleInfo, AddonReleaseRecord, AddonRepoRecord, AddonSource} from '../state/records.js'
import {checkReleases, type AddonProblem} from './checks.js'
import {readManifest} from './manifest.js'
import {checkGitUrl} from './sources/git-url.js'
import type {PackAddonRepo} from './packs.js'
import {pinSource, readManifests, releaseFileIn, type PinnableSource, type PinnedRelease} from './sources/index.js'

/**
 * Addon repositories: a named source of Odoo modules, pinned into immutable releases
 * (docs/addons.md). The store keeps what each release holds; the release itself is a
 * canonical tar in `<data dir>/addons/releases/<sha256>.tar` on this machine.
 */
export interface AddonsEnv {
  store: Pick<StateStore, 'addonRepos'>
  dataDir: string
  cacheDir: string
  /** The installed packs' repositories (packs.ts): needed to pin a `pack` source, and for the name and removal rules. */
  packs?: readonly PackAddonRepo[]
}

/** OCA-style names: `server-tools`, `l10n-spain`, `partner_addons`. */
export const REPO_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/

export function releasesDir(dataDir: string): string {
  return join(dataDir, 'addons', 'releases')
}

export function releaseTarPath(dataDir: string, sha256: string): string {
  return releaseFileIn(releasesDir(dataDir), sha256)
}

export function validateRepoName(name: string): string {
  if (!REPO_NAME_PATTERN.test(name)) {
    throw usageError('ADDONS_REPO_NAME_INVALID', `"${name}" is not a valid addon repository name: use 1 to 63 lowercase letters, digits, dashes and underscores, starting with a letter or digit.`, [
      'For example: odoops addons repo add server-tools --git https://github.com/OCA/server-tools --ref 17.0',
    ])
  }
  return name
}

/** The one source flag given, checked; relative paths are made absolute from the working directory. */
export function sourceFromFlags(flags: {git?: string; ref?: string; dir?: string; archive?: string}, cwd = process.cwd()): AddonSource {
  const given = [flags.git !== undefined && '--git', flags.dir !== undefined && '--dir', flags.archive !== undefined && '--archive'].filter(Boolean)
  if (given.length !== 1) {
    throw usageError('ADDONS_SOURCE_MISSING', given.length === 0 ? 'Say where the modules come from.' : `Give one source, not ${given.join(' and ')}.`, [
      'odoops addons repo add <name> --git <url> [--ref <branch|tag|commit>]',
      'odoops addons repo add <name> --dir <folder of modules>',
      'odoops addons repo add <name> --archive <file.tar.gz|file.zip>',
    ])
  }
  if (flags.ref !== undefined && flags.git === undefined) throw usageError('ADDONS_SOURCE_INVALID', '--ref pins a git source; a directory or archive is pinned by its content.', ['Drop --ref, or use --git <url> --ref <ref>.'])
  if (flags.git !== undefined) return {kind: 'git', url: checkStoredGitUrl(flags.git), ...(flags.ref ? {ref: flags.ref} : {})}
  const path = (flags.dir ?? flags.archive) as string
  if (path.trim() === '') throw usageError('ADDONS_SOURCE_INVALID', `${flags.dir === undefined ? '--archive' : '--dir'} is empty.`, ['Give the path of the folder of modules or of the archive.'])
  const absolute = isAbsolute(path) ? path : resolve(cwd, path)
  return flags.dir === undefined ? {kind: 'archive', path: absolute} : {kind: 'dir', path: absolute}
}

/** odoops stores no git credentials: a password in the URL would end up in the store. */
function checkStoredGitUrl(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url)) {
    throw usageError('ADDONS_GIT_CREDENTIALS_IN_URL', 'The git URL carries a password; odoops never stores credentials.', [
      'Give the URL without user:password@ and let git authenticate: an ssh agent (git@host:path), or a git credential helper (git config credential.helper).',
    ])
  }
  return checkGitUrl(url)
}

export function validateSeries(series: string | undefined): string | undefined {
  if (series === undefined) return undefined
  if (majorOfSeries(series) === undefined || !/^(saas~)?\d+\.\d+$/.test(series)) throw usageError('ODOO_SERIES_INVALID', `"${series}" is not an Odoo series.`, ['Use a series such as 17.0, 18.0 or 19.0.'])
  return series
}

export interface PinResult {
  repo: AddonRepoRecord
  release: AddonReleaseRecord
  /** `unchanged`: the source holds exactly the current release. */
  outcome: 'added' | 'pinned' | 'unchanged'
  problems: AddonProblem[]
}

export async function addRepo(env: AddonsEnv, input: {name: string; source: AddonSource; series?: string}): Promise<PinResult> {
  validateRepoName(input.name)
  validateSeries(input.series)
  const shipped = env.packs?.find((r) => r.repo === input.name)
  if (shipped) {
    throw usageError('ADDONS_REPO_PACK_NAME', `${input.name} is the addon repository shipped by pack ${shipped.pack}; odoops registers it by itself.`, [
      `Give yours another name: odoops addons repo add ${input.name}-own …`,
      `odoops addons repo show ${input.name}   (the pack's modules)`,
    ])
  }
  if (await env.store.addonRepos.get(input.name)) {
    throw usageError('ADDONS_REPO_EXISTS', `An addon repository named ${input.name} exists.`, [`odoops addons repo update ${input.name}   (pin its source again)`, `odoops addons repo show ${input.name}`])
  }
  const {release} = await pinRelease(env, input.name, input.source)
  const repo: AddonRepoRecord = {id: input.name, source: input.source, ...(input.series ? {series: input.series} : {}), releases: [release], current: release.sha256}
  await insertRepo(env, repo)
  return {repo, release, outcome: 'added', problems: checkReleases([{repo: repo.id, release}], {series: input.series})}
}

/** Pin the repository's source again (a branch may have moved, a folder changed). */
export async function updateRepo(env: AddonsEnv, name: string): Promise<PinResult & {outcome: 'pinned' | 'unchanged'}> {
  const existing = await getRepo(env, name)
  // A pack's repository is pinned from the pack installed now, at its version.
  const source = existing.source.kind === 'pack' ? installedPackSource(env, name, existing.source.pack) : existing.source
  const {release} = await pinRelease(env, name, source)
  const problems = checkReleases([{repo: name, release}], {series: existing.series})
  if (release.sha256 === existing.current) {
    const same = JSON.stringify(source) === JSON.stringify(existing.source)
    const repo = same ? existing : await env.store.addonRepos.update(name, (current) => ({...current, source}))
    return {repo, release: currentRelease(repo), outcome: 'unchanged', problems}
  }
  const repo = await env.store.addonRepos.update(name, (current) => ({
    ...current,
    source,
    // A release pinned before (a branch moved back) is made current again, not recorded twice.
    releases: [...current.releases.filter((r) => r.sha256 !== release.sha256), release],
    current: release.sha256,
  }))
  return {repo, release, outcome: 'pinned', problems}
}

export async function getRepo(env: Pick<AddonsEnv, 'store'>, name: string): Promise<AddonRepoRecord> {
  const repo = await env.store.addonRepos.get(name)
  if (!repo) {
    const known = (await env.store.addonRepos.list()).map((r) => r.id)
    throw usageError('ADDONS_REPO_NOT_FOUND', `No addon repository named ${name}.`, [known.length > 0 ? `Known: ${known.join(', ')}` : 'Add one: odoops addons repo add <name> --git <url> | --dir <folder> | --archive <file>'], {repo: name})
  }
  return repo
}

export function currentRelease(repo: AddonRepoRecord): AddonReleaseRecord {
  const release = repo.releases.find((r) => r.sha256 === repo.current)
  if (!release) throw new OdoopsError('ADDONS_STATE_INVALID', `Addon repository ${repo.id} has no record of its current release ${repo.current}.`, {suggestions: [`odoops addons repo update ${repo.id}`]})
  return release
}

/** A release by a prefix of its SHA-256 or its git commit (at least 7 characters); the current one without. */
export function findRelease(repo: AddonRepoRecord, wanted?: string): AddonReleaseRecord {
  if (!wanted) return currentRelease(repo)
  const matches = wanted.length >= 7 ? repo.releases.filter((r) => r.sha256.startsWith(wanted) || r.commit?.startsWith(wanted)) : []
  if (matches.length !== 1) {
    throw usageError('ADDONS_RELEASE_NOT_FOUND', `${matches.length > 1 ? 'More than one release' : 'No release'} of ${repo.id} matches "${wanted}".`, [`odoops addons repo show ${repo.id}   (lists its releases)`])
  }
  return matches[0]
}

export async function listRepos(env: Pick<AddonsEnv, 'store'>): Promise<AddonRepoRecord[]> {
  return (await env.store.addonRepos.list()).sort((a, b) => a.id.localeCompare(b.id))
}

export async function removeRepo(env: AddonsEnv, name: string): Promise<AddonRepoRecord> {
  const repo = await getRepo(env, name)
  if (repo.source.kind === 'pack' && env.packs?.some((r) => r.repo === name)) {
    throw usageError('ADDONS_REPO_FROM_PACK', `${name} is shipped by the installed pack ${repo.source.pack}; it is registered again as soon as a command needs it.`, [
      `odoops plugins uninstall ${repo.source.pack}   (then odoops addons repo remove ${name})`,
    ])
  }
  await env.store.addonRepos.delete(name)
  const others = await env.store.addonRepos.list()
  for (const release of repo.releases) forgetTarUnlessUsed(env, release.sha256, others)
  return repo
}

/** Whether the release's content is on this machine (a store shared by a team may list releases pinned elsewhere). */
export function releaseIsLocal(dataDir: string, sha256: string): boolean {
  return existsSync(releaseTarPath(dataDir, sha256))
}

/** Record a new repository; its release tar is deleted again when the store refuses it. */
export async function insertRepo(env: AddonsEnv, repo: AddonRepoRecord): Promise<void> {
  try {
    await env.store.addonRepos.insert(repo)
  } catch (error) {
    forgetTarUnlessUsed(env, repo.current, await env.store.addonRepos.list())
    throw error
  }
}

/** The source of a pack's repository as the installed pack gives it now. */
function installedPackSource(env: AddonsEnv, name: string, pack: string): AddonSource {
  const declared = env.packs?.find((r) => r.repo === name)
  if (!declared) {
    throw usageError('ADDONS_PACK_NOT_INSTALLED', `${name} was shipped by pack ${pack}, which is not installed (or no longer ships it): it cannot be pinned again.`, [
      `odoops plugins install ${pack}`,
      `odoops addons repo remove ${name}   (its releases stay on the hosts that run them)`,
    ])
  }
  return {kind: 'pack', pack: declared.pack, version: declared.version, folder: declared.folder}
}

/** Pin a source into a release (a pack's as the folder it names); the tar is kept in the releases directory. */
export async function pinRelease(env: Pick<AddonsEnv, 'dataDir' | 'cacheDir' | 'packs'>, name: string, source: AddonSource): Promise<{release: AddonReleaseRecord; pinned: string}> {
  const pinnable: PinnableSource = source.kind === 'pack' ? {kind: 'dir', path: packDir(env, name)} : source
  const pinned: PinnedRelease = await pinSource(pinnable, {cacheDir: env.cacheDir, releasesDir: releasesDir(env.dataDir)})
  let manifests: Awaited<ReturnType<typeof readManifests>>
  try {
    manifests = await readManifests(pinned.tarPath)
  } catch (error) {
    if (!pinned.reused) rmSync(pinned.tarPath, {force: true})
    throw error
  }
  const modules = manifests.map(({module, text}) => moduleInfo(module, text)).sort((a, b) => a.name.localeCompare(b.name))
  const release: AddonReleaseRecord = {
    sha256: pinned.sha256,
    pinnedAt: new Date().toISOString(),
    ...(pinned.commit ? {commit: pinned.commit} : {}),
    ...(source.kind === 'git' && source.ref ? {ref: source.ref} : {}),
    sizeBytes: pinned.sizeBytes,
    fileCount: pinned.fileCount,
    modules,
  }
  return {release, pinned: pinned.sha256}
}

function packDir(env: Pick<AddonsEnv, 'packs'>, name: string): string {
  const declared = env.packs?.find((r) => r.repo === name)
  if (!declared) throw new OdoopsError('ADDONS_PACK_NOT_INSTALLED', `No installed pack ships ${name}.`, {suggestions: ['odoops plugins doctor']})
  return declared.dir
}

function moduleInfo(name: string, text: string): AddonModuleInfo {
  try {
    const manifest = readManifest(text)
    return {
      name,
      title: manifest.name,
      ...(manifest.version === undefined ? {} : {version: manifest.version}),
      license: manifest.license ?? 'LGPL-3',
      depends: manifest.depends,
      installable: manifest.installable,
      externalPython: manifest.externalPython,
      externalBin: manifest.externalBin,
    }
  } catch (error) {
    return {name, title: '', license: '', depends: [], installable: false, externalPython: [], externalBin: [], problem: (error as Error).message}
  }
}

/** Delete a release tar no repository lists any more (content-addressed: another may share it). */
function forgetTarUnlessUsed(env: Pick<AddonsEnv, 'dataDir'>, sha256: string, repos: AddonRepoRecord[]): void {
  if (repos.some((repo) => repo.releases.some((release) => release.sha256 === sha256))) return
  rmSync(releaseTarPath(env.dataDir, sha256), {force: true})
}

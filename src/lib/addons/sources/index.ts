import type {AddonSource} from '../../state/records.js'
import {snapshotArchive} from './archive.js'
import {snapshotDirectory} from './directory.js'
import {pinGit} from './git.js'
import type {SourceLimits} from './limits.js'
import type {Release} from './release-tar.js'

/**
 * Addon sources pinned as releases: one call for the three kinds of source. A release is an
 * immutable, content-addressed tar in the releases directory (see release-tar.ts); the same
 * files give the same release, whichever kind of source they came from.
 */
export type {AddonSource} from '../../state/records.js'

export interface SourceDirs {
  /** odoops's cache: git mirrors go under `<cacheDir>/addons/git/`. */
  cacheDir: string
  /** Where releases are kept, as `<sha256>.tar`. */
  releasesDir: string
}

export interface PinOptions {
  limits?: SourceLimits
}

export interface PinnedRelease extends Release {
  /** Git sources: the full SHA of the pinned commit. */
  commit?: string
  /** Git sources: the ref as given, or the remote's default branch. */
  ref?: string
}

/** A pack's source is pinned as the folder it names (repos.ts resolves it to a `dir`). */
export type PinnableSource = Exclude<AddonSource, {kind: 'pack'}>

export async function pinSource(source: PinnableSource, dirs: SourceDirs, options: PinOptions = {}): Promise<PinnedRelease> {
  switch (source.kind) {
    case 'git': {
      const {releaseSha256: _alias, ...release} = await pinGit(source.url, source.ref, {...dirs, limits: options.limits})
      return release
    }
    case 'dir':
      return snapshotDirectory(source.path, dirs.releasesDir, options)
    case 'archive':
      return snapshotArchive(source.path, dirs.releasesDir, options)
  }
}

export {snapshotArchive, type ArchiveOptions} from './archive.js'
export {snapshotDirectory, type DirectoryOptions} from './directory.js'
export {pinGit, type GitPinOptions, type GitRelease} from './git.js'
export {redactGitUrls} from './git-url.js'
export {DEFAULT_LIMITS, type SourceLimits} from './limits.js'
export {listModules, readManifests, readReleaseEntries, readReleaseFile, releaseFileIn, scanRelease, type Release, type ReleaseEntry} from './release-tar.js'

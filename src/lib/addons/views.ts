import type {AddonReleaseRecord, AddonRepoRecord, AddonSource} from '../state/records.js'

/** An addon repository as commands show it (`--json` shape of `addons repo list|add|update|remove`). */
export interface AddonRepoView {
  name: string
  source: AddonSource
  /** The source in one line: `git https://… @ 17.0`, `dir /srv/addons`, `archive /tmp/x.zip`, `pack @odoops/wholesale@0.1.0 addons`. */
  location: string
  series?: string
  current: AddonReleaseSummary
  releases: number
}

export interface AddonReleaseSummary {
  sha256: string
  commit?: string
  ref?: string
  pinnedAt: string
  modules: number
  sizeBytes: number
}

export function sourceLocation(source: AddonSource): string {
  if (source.kind === 'git') return `git ${source.url}${source.ref ? ` @ ${source.ref}` : ''}`
  if (source.kind === 'pack') return `pack ${source.pack}@${source.version} ${source.folder}`
  return `${source.kind} ${source.path}`
}

export function releaseSummary(release: AddonReleaseRecord): AddonReleaseSummary {
  return {
    sha256: release.sha256,
    ...(release.commit ? {commit: release.commit} : {}),
    ...(release.ref ? {ref: release.ref} : {}),
    pinnedAt: release.pinnedAt,
    modules: release.modules.length,
    sizeBytes: release.sizeBytes,
  }
}

export function repoView(repo: AddonRepoRecord): AddonRepoView {
  const current = repo.releases.find((r) => r.sha256 === repo.current) ?? repo.releases.at(-1)
  return {
    name: repo.id,
    source: repo.source,
    location: sourceLocation(repo.source),
    ...(repo.series ? {series: repo.series} : {}),
    current: current ? releaseSummary(current) : {sha256: repo.current, pinnedAt: '', modules: 0, sizeBytes: 0},
    releases: repo.releases.length,
  }
}

/** Short form of a release for people: the commit for git, else the content hash. */
export function releaseLabel(release: Pick<AddonReleaseRecord, 'sha256' | 'commit'>): string {
  return release.commit ? release.commit.slice(0, 12) : `sha256:${release.sha256.slice(0, 12)}`
}

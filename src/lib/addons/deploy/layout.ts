import type {AddonSetEntry, HostRecord, TenantRecord} from '../../state/records.js'

/**
 * Where addon releases live on a host: one directory per release, named by the SHA-256 of its
 * canonical tar, shared by every service that uses it. A release directory never changes once
 * it is there, so a service's addons_path names exactly what it runs.
 */
export const HOST_ADDONS_ROOT = '/var/lib/odoops/addons'

const SHA256 = /^[0-9a-f]{64}$/

export function isReleaseName(name: string): boolean {
  return SHA256.test(name)
}

/** `/var/lib/odoops/addons/<sha256>` (the release's module folders are directly inside). */
export function releaseDir(sha256: string, root = HOST_ADDONS_ROOT): string {
  if (!isReleaseName(sha256)) throw new Error(`"${sha256}" is not a release SHA-256`)
  return `${root}/${sha256}`
}

/** The SHA-256 of a release directory, or undefined for any other path. */
export function releaseOfDir(dir: string, root = HOST_ADDONS_ROOT): string | undefined {
  const name = dir.startsWith(`${root}/`) ? dir.slice(root.length + 1) : ''
  return isReleaseName(name) ? name : undefined
}

/** addons_path for a set: Odoo's own addons directories first, then the releases in the order given. */
export function addonsPathFor(coreDirs: readonly string[], set: readonly AddonSetEntry[]): string[] {
  return [...coreDirs, ...set.map((entry) => releaseDir(entry.sha256))]
}

export function sameSet(a: readonly AddonSetEntry[] | undefined, b: readonly AddonSetEntry[] | undefined): boolean {
  const left = a ?? []
  const right = b ?? []
  return left.length === right.length && left.every((entry, i) => entry.repo === right[i].repo && entry.sha256 === right[i].sha256)
}

/** Previous sets kept for rollback. */
export const ADDONS_HISTORY_KEPT = 3

/**
 * The record after deploying `next`: the set it replaces goes to the end of the history
 * (newest last, the last three kept). Deploying the set already recorded changes nothing.
 */
export function nextAddonsRecord(
  current: {addons?: AddonSetEntry[]; addonsHistory?: AddonSetEntry[][]},
  next: readonly AddonSetEntry[],
): {addons: AddonSetEntry[]; addonsHistory: AddonSetEntry[][]} {
  const history = current.addonsHistory ?? []
  if (sameSet(current.addons, next)) return {addons: [...next], addonsHistory: history}
  const replaced = current.addons && current.addons.length > 0 ? [current.addons] : []
  return {addons: next.map(({repo, sha256}) => ({repo, sha256})), addonsHistory: [...history, ...replaced].slice(-ADDONS_HISTORY_KEPT)}
}

/** Every release a recorded set (current or history) names. */
export function releasesInRecords(records: readonly {addons?: AddonSetEntry[]; addonsHistory?: AddonSetEntry[][]}[]): Set<string> {
  const used = new Set<string>()
  for (const record of records) {
    for (const set of [record.addons ?? [], ...(record.addonsHistory ?? [])]) for (const entry of set) used.add(entry.sha256)
  }
  return used
}

/** The releases a tenant runs: its shared service's recorded set when shared, its own when dedicated. */
export function addonSetOf(tenant: Pick<TenantRecord, 'mode' | 'series' | 'addons'>, host: Pick<HostRecord, 'services'> | undefined): AddonSetEntry[] {
  const set = tenant.mode === 'shared' ? host?.services?.[tenant.series]?.addons : tenant.addons
  return (set ?? []).map(({repo, sha256}) => ({repo, sha256}))
}

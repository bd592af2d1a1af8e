import {OdoopsError} from '../../errors.js'
import type {StateStore} from '../../state/store.js'
import type {BackupTarget} from '../targets/target.js'
import {liveClaims, withPoolLock} from './claims.js'
import {POOL_DIR, sha1OfKey} from './layout.js'
import {blobBackupsOn, pooledSha1sOf, readManifestOf} from './refs.js'

/** How long a sweep waits for the pool's mutex (a run writing its claim holds it for a moment). */
const SWEEP_LOCK_WAIT_MS = 60_000

export interface SweepResult {
  target: string
  /** Blobs in the pool that a kept backup or a run in progress needs. */
  kept: number
  /** Blobs (and partial blobs of dead runs) removed, and their bytes. */
  removed: number
  freedBytes: number
}

/**
 * Mark and sweep of a target's blob pool, holding the pool's mutex throughout (claims.ts):
 * mark every SHA-1 claimed by a run in progress (read FIRST), then every SHA-1 listed by a
 * catalogued backup on this target (any tenant); then list the pool and delete what is not
 * marked. A catalogued backup whose manifest cannot be read stops the sweep before any delete
 * (its blobs cannot be told apart), unless its entry left the catalog meanwhile (pruned).
 */
export async function sweepBlobs(store: StateStore, target: BackupTarget, targetId: string, options: {signal?: AbortSignal} = {}): Promise<SweepResult> {
  return withPoolLock(store, targetId, `blob sweep of target ${targetId}`, () => sweepPool(store, target, targetId, new Set(), true, options.signal), {
    waitMs: SWEEP_LOCK_WAIT_MS,
    ...(options.signal ? {signal: options.signal} : {}),
  })
}

/**
 * What a sweep would remove once the backups in `deleting` are gone (`backup prune --dry-run`):
 * the same marking, read-only, without the pool's mutex and without deleting anything. Runs
 * in progress may claim or send blobs meanwhile, so the real sweep can only remove fewer.
 */
export async function previewSweep(store: StateStore, target: BackupTarget, targetId: string, deleting: ReadonlySet<string>, options: {signal?: AbortSignal} = {}): Promise<SweepResult> {
  return sweepPool(store, target, targetId, deleting, false, options.signal)
}

async function sweepPool(store: StateStore, target: BackupTarget, targetId: string, excluding: ReadonlySet<string>, remove: boolean, signal?: AbortSignal): Promise<SweepResult> {
  const marked = await markedBlobs(store, target, targetId, excluding, signal)
  const result: SweepResult = {target: targetId, kept: 0, removed: 0, freedBytes: 0}
  for (const item of await target.list(`${POOL_DIR}/`)) {
    const sha1 = sha1OfKey(item.key)
    if (!sha1) continue
    if (marked.has(sha1)) {
      if (!item.partial) result.kept++
      continue
    }
    signal?.throwIfAborted()
    if (!remove || (await target.delete(item.partial ? `${item.key}.partial` : item.key))) {
      result.removed++
      result.freedBytes += item.size
    }
  }
  return result
}

/**
 * Every SHA-1 claimed by a run in progress (read FIRST), then every SHA-1 listed by a
 * catalogued backup on this target (any tenant) other than those in `excluding`.
 */
async function markedBlobs(store: StateStore, target: BackupTarget, targetId: string, excluding: ReadonlySet<string>, signal?: AbortSignal): Promise<Set<string>> {
  // The real clock, never a prune's --now: the locks that keep claims alive expire in real
  // time, and a later --now would take every running backup's claim for a dead one.
  const marked = await liveClaims(store, target, new Date())
  for (const entry of await blobBackupsOn(store, targetId)) {
    if (excluding.has(entry.id)) continue
    signal?.throwIfAborted()
    let needs
    try {
      needs = pooledSha1sOf(await readManifestOf(target, entry), entry.id)
    } catch (error) {
      if (!(await store.backups.get(entry.id))) continue
      throw new OdoopsError('BACKUP_SWEEP_UNSAFE', `The manifest of ${entry.id} on target "${target.name}" could not be read, so the blobs it needs are unknown; no blob was removed.`, {
        suggestions: [`odoops backup verify ${entry.id}`],
        cause: error,
      })
    }
    for (const sha1 of needs) marked.add(sha1)
  }
  return marked
}

import {createHash} from 'node:crypto'
import {OdoopsError} from '../../errors.js'
import {pollUntil} from '../../retry.js'
import type {LockInfo} from '../../state/records.js'
import type {StateStore} from '../../state/store.js'
import {whileHeld} from '../../state/with-lock.js'
import {backupLockKey, busyError, lockOwner} from '../../tenants/lock.js'
import type {BackupTarget} from '../targets/target.js'
import {CLAIMS_DIR, claimKey, isSha1} from './layout.js'

/**
 * Claims: how a backup run and a blob sweep never race.
 *
 * - The pool of a target has one mutex in the state store, `blobpool:<target>`. A sweep holds
 *   it from its first read to its last delete. A run holds it only while it writes its claim
 *   (`odoops_claims/<tenant>/<backup id>.json`: every SHA-1 its backup will list), BEFORE it
 *   asks the target which blobs it has; it deletes the claim after its catalog entry exists.
 * - So a claim is either on the target before a sweep starts (the sweep reads it and keeps
 *   those blobs, present or still to come), or written after the sweep ended (the run then asks
 *   the target after the deletes, and sends what is gone). A sweep reads the claims before the
 *   catalog: a run that finished meanwhile deleted its claim only after its catalog entry was
 *   in, so the sweep sees one or the other.
 * - A claim whose tenant's backup lock is not held belongs to a run that died (runs hold that
 *   lock throughout); it is ignored by sweeps and removed by the tenant's next run.
 */
export const POOL_LOCK_TTL_MS = 5 * 60_000
/** How long a run waits for a sweep in progress before giving up (BACKUP_BUSY). */
const CLAIM_WAIT_MS = 30 * 60_000

export const poolLockKey = (target: string) => `blobpool:${target}`

function poolBusy(target: string, holder: LockInfo): OdoopsError {
  return busyError('BACKUP_BUSY', `The blob pool of target "${target}" is being swept`, holder)
}

/** Runs `fn` holding the pool's mutex, waiting (polling) while another holder has it. */
export async function withPoolLock<R>(store: StateStore, target: string, what: string, fn: () => Promise<R>, options: {waitMs?: number; signal?: AbortSignal} = {}): Promise<R> {
  const key = poolLockKey(target)
  const owner = lockOwner(what)
  let heldBy: LockInfo | undefined
  const got = await pollUntil(
    async () => {
      const result = await store.locks.acquire(key, {owner, ttlMs: POOL_LOCK_TTL_MS})
      if (!result.acquired) heldBy = result.heldBy
      return result.acquired
    },
    (acquired) => acquired,
    {timeoutMs: options.waitMs ?? CLAIM_WAIT_MS, intervalMs: (n) => Math.min(2000, 100 * n), signal: options.signal},
  )
  if (!got) throw poolBusy(target, heldBy!)
  return whileHeld(store, key, owner, POOL_LOCK_TTL_MS, fn)
}

export async function writeClaim(store: StateStore, target: BackupTarget, targetId: string, claim: {tenant: string; backupId: string; sha1s: Iterable<string>}, signal?: AbortSignal): Promise<string> {
  const key = claimKey(claim.tenant, claim.backupId)
  const body = Buffer.from(JSON.stringify({tenant: claim.tenant, backupId: claim.backupId, at: new Date().toISOString(), blobs: [...new Set(claim.sha1s)].sort()}) + '\n')
  await withPoolLock(store, targetId, `backup of ${claim.tenant} (claiming blobs)`, async () => {
    const write = await target.openWrite(key)
    try {
      write.stream.end(body)
      await write.commit({size: body.length, sha256: createHash('sha256').update(body).digest('hex')})
    } catch (error) {
      await write.abort()
      throw error
    }
  }, {signal})
  return key
}

/** The SHA-1s claimed by runs still in progress (their tenant's backup lock is held). */
export async function liveClaims(store: StateStore, target: BackupTarget, now: Date): Promise<Set<string>> {
  const held = new Set((await store.locks.list()).filter((l) => Date.parse(l.expiresAt) > now.getTime()).map((l) => l.key))
  const claimed = new Set<string>()
  for (const entry of await target.list(`${CLAIMS_DIR}/`)) {
    if (entry.partial) continue
    const tenant = entry.key.split('/')[1] ?? ''
    if (!held.has(backupLockKey(tenant))) continue
    const chunks: Buffer[] = []
    for await (const chunk of await target.read(entry.key)) chunks.push(chunk as Buffer)
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {blobs?: unknown}
    if (!Array.isArray(body.blobs)) throw new OdoopsError('BACKUP_CLAIM_INVALID', `${entry.key} on target "${target.name}" is not a valid claim; no blob was swept.`)
    for (const sha1 of body.blobs) if (typeof sha1 === 'string' && isSha1(sha1)) claimed.add(sha1)
  }
  return claimed
}

/** Claims left by the tenant's earlier runs that died (called under its backup lock, so none is live). */
export async function removeStaleClaims(target: BackupTarget, tenant: string): Promise<number> {
  let removed = 0
  for (const entry of await target.list(`${CLAIMS_DIR}/${tenant}/`)) {
    await target.delete(entry.partial ? `${entry.key}.partial` : entry.key)
    removed++
  }
  return removed
}

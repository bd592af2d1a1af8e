import type {OdoopsError} from '../errors.js'
import type {LockInfo} from './records.js'
import type {StateStore} from './store.js'

export interface HeldLockOptions {
  key: string
  owner: string
  /** Lease length; renewed at a third of it while `fn` runs, so a crashed holder frees it soon. */
  ttlMs: number
  /** The error to throw when another run holds the lock (exit 4 by convention). */
  busy: (holder: LockInfo) => OdoopsError
}

/** Run `fn` holding a job lock of the state store, renewing its lease, releasing it whatever happens. */
export async function withHeldLock<R>(store: Pick<StateStore, 'locks'>, options: HeldLockOptions, fn: () => Promise<R>): Promise<R> {
  const {key, owner, ttlMs} = options
  const got = await store.locks.acquire(key, {owner, ttlMs})
  if (!got.acquired) throw options.busy(got.heldBy)
  return whileHeld(store, key, owner, ttlMs, fn)
}

/** Run `fn` with a lock already acquired: its lease renewed every third of its TTL, released whatever happens. */
export async function whileHeld<R>(store: Pick<StateStore, 'locks'>, key: string, owner: string, ttlMs: number, fn: () => Promise<R>): Promise<R> {
  const renewal = setInterval(() => {
    store.locks.renew(key, owner, ttlMs).catch(() => {})
  }, ttlMs / 3)
  renewal.unref()
  try {
    return await fn()
  } finally {
    clearInterval(renewal)
    await store.locks.release(key, owner).catch(() => {})
  }
}

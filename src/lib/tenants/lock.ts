import {withHeldLock} from '../state/with-lock.js'
import {hostname, userInfo} from 'node:os'
import {ExitCode, OdoopsError} from '../errors.js'
import type {StateStore} from '../state/store.js'
import type {LockInfo} from '../state/records.js'

/** Lease of a tenant lock; renewed at a third of it while the work runs. */
const TENANT_LOCK_TTL_MS = 5 * 60_000

export const tenantLockKey = (slug: string) => `tenant:${slug}`
/** Taken by backups (the backups issue); `tenant remove` refuses while it is held. */
export const backupLockKey = (slug: string) => `backup:${slug}`

export function lockOwner(what: string): string {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `${what} by ${user}@${hostname()} pid ${process.pid}`
}

export function busyError(code: string, what: string, holder: LockInfo): OdoopsError {
  return new OdoopsError(code, `${what}: held by ${holder.owner} since ${holder.acquiredAt} (lease until ${holder.expiresAt}).`, {
    exit: ExitCode.BUSY,
    suggestions: ['Wait for that run to finish and try again. A crashed holder is released when its process is gone or its lease runs out.'],
    data: {heldBy: holder},
  })
}

/** Run `fn` holding the tenant's lock (exit 4 when another run holds it). */
export function withTenantLock<R>(store: StateStore, slug: string, what: string, fn: () => Promise<R>): Promise<R> {
  return withHeldLock(
    store,
    {key: tenantLockKey(slug), owner: lockOwner(what), ttlMs: TENANT_LOCK_TTL_MS, busy: (holder) => busyError('TENANT_BUSY', `Tenant "${slug}" is busy`, holder)},
    fn,
  )
}

import {closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync} from 'node:fs'
import {hostname} from 'node:os'
import {randomBytes} from 'node:crypto'
import {isProcessAlive} from '../process-alive.js'
import {pollUntil} from '../retry.js'

/**
 * An exclusive lock file (`open(O_CREAT|O_EXCL)`), holding the owner's PID, machine and
 * time. A lock whose owner process is gone (same machine, PID not alive), or that is older
 * than `maxAgeMs`, or empty for more than 2 s (owner died between create and write), is
 * stale and broken safely: renamed aside first, and only deleted when the renamed file
 * is the very one judged stale; otherwise it is linked back.
 */
export interface LockFileContent {
  pid: number
  machine: string
  owner: string
  acquiredAt: string
  expiresAt: string
}

export const MACHINE = hostname()

export function readLockFile(path: string): LockFileContent | undefined {
  try {
    const text = readFileSync(path, 'utf8')
    return text ? (JSON.parse(text) as LockFileContent) : undefined
  } catch {
    return undefined
  }
}

/** Try once to create the lock file. Returns false when it exists. */
export function tryCreateLock(path: string, content: LockFileContent): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o644)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, JSON.stringify(content))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return true
}

export function isStale(path: string, content: LockFileContent | undefined, now = Date.now()): boolean {
  if (!content) {
    try {
      return now - statSync(path).mtimeMs > 2000
    } catch {
      return true
    }
  }
  if (Date.parse(content.expiresAt) < now) return true
  return content.machine === MACHINE && !isProcessAlive(content.pid)
}

/** Break a lock judged stale, unless it changed in between. Returns true when the path is free now. */
export function breakStaleLock(path: string, judged: LockFileContent | undefined): boolean {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    renameSync(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw error
  }
  const moved = readLockFile(aside)
  const same = JSON.stringify(moved) === JSON.stringify(judged)
  if (!same && moved && !isStale(aside, moved)) {
    // We moved a fresh lock someone just took: put it back if the path is still free.
    try {
      linkSync(aside, path)
    } catch {
      // The path was taken again meanwhile; the fresh owner keeps running on its own file.
    }
  }
  try {
    unlinkSync(aside)
  } catch {
    // already gone
  }
  return same || !moved
}

export function removeLockIfOwned(path: string, owner: string, pid = process.pid): void {
  const content = readLockFile(path)
  if (content && content.owner === owner && content.pid === pid) {
    try {
      unlinkSync(path)
    } catch {
      // already gone
    }
  }
}

export function lockContent(owner: string, ttlMs: number): LockFileContent {
  const now = Date.now()
  return {pid: process.pid, machine: MACHINE, owner, acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + ttlMs).toISOString()}
}

/**
 * Acquire with retries until `timeoutMs`; returns the holder on timeout. A stale lock is broken
 * and the lock tried again at once; a live holder is waited for 2, 4, 8… up to 50 ms, each wait
 * stretched by a random 0–100 % so that waiters do not retry in step.
 */
export async function acquireLockFile(
  path: string,
  owner: string,
  options: {ttlMs: number; timeoutMs: number},
): Promise<{ok: true} | {ok: false; holder?: LockFileContent}> {
  let holder: LockFileContent | undefined
  const tryOnce = (): boolean => {
    for (;;) {
      if (tryCreateLock(path, lockContent(owner, options.ttlMs))) return true
      holder = readLockFile(path)
      if (!isStale(path, holder)) return false
      breakStaleLock(path, holder)
    }
  }
  const backoff = (waits: number) => {
    const delay = Math.min(2 ** waits, 50)
    return delay + Math.random() * delay
  }
  return (await pollUntil(tryOnce, (got) => got, {timeoutMs: options.timeoutMs, intervalMs: backoff})) ? {ok: true} : {ok: false, holder}
}

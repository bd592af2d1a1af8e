import {closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync} from 'node:fs'
import {hostname} from 'node:os'
import {randomBytes} from 'node:crypto'

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

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

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

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Acquire with retries (jittered) until `timeoutMs`; returns the holder on timeout. */
export async function acquireLockFile(
  path: string,
  owner: string,
  options: {ttlMs: number; timeoutMs: number},
): Promise<{ok: true} | {ok: false; holder?: LockFileContent}> {
  const deadline = Date.now() + options.timeoutMs
  let delay = 2
  for (;;) {
    if (tryCreateLock(path, lockContent(owner, options.ttlMs))) return {ok: true}
    const holder = readLockFile(path)
    if (isStale(path, holder)) {
      breakStaleLock(path, holder)
      continue
    }
    if (Date.now() >= deadline) return {ok: false, holder}
    await sleep(delay + Math.random() * delay)
    delay = Math.min(delay * 2, 50)
  }
}

import {randomBytes} from 'node:crypto'
import {closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {open, rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

/**
 * Writing a whole file so that a reader only ever sees the old content or the new one, and a
 * crash leaves one of the two: the content goes to a new temporary file beside the target
 * (same directory, so same file system), is flushed to disk (fsync), then renamed over the
 * target (rename(2) replaces atomically) and the directory is flushed too, so the rename itself
 * survives a crash (fsync(2): syncing a file does not sync its directory entry).
 *
 * The temporary file is created exclusively (O_CREAT|O_EXCL, flag 'wx'): a symlink or file
 * planted at its name fails the write instead of being followed. A symlink at the target is
 * replaced, not followed (rename works on names). On failure the temporary file is removed
 * and the target is untouched. The directory must exist.
 */
export interface AtomicWriteOptions {
  /**
   * Permission bits of the written file, set on the temporary file before the rename: they
   * hold whatever the umask and whatever the mode of a file the write replaces (credentials
   * files: 0o600). Without it the file is created as writeFile does (0o666 less the umask).
   */
  mode?: number
  /**
   * Flush the directory after the rename (default true). A writer renaming several files
   * into one directory can flush it once, with its last write.
   */
  syncDir?: boolean
}

/** A name beside `path` that no other writer picks: hidden, with our PID and random bits. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
}

/** Some file systems cannot sync a directory (EINVAL, ENOTSUP); the rename is done there all the same. */
function cannotSyncDir(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'EINVAL' || code === 'ENOTSUP'
}

/** Writes `content` to `path` atomically and durably (see AtomicWriteOptions); returns the bytes written. */
export async function writeFileAtomic(path: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<number> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  const temp = tempPath(path)
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o666)
    try {
      if (options.mode !== undefined) await handle.chmod(options.mode)
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true}).catch(() => {})
    throw error
  }
  if (options.syncDir ?? true) {
    const dir = await open(dirname(path), 'r')
    try {
      await dir.sync()
    } catch (error) {
      if (!cannotSyncDir(error)) throw error
    } finally {
      await dir.close()
    }
  }
  return data.byteLength
}

/** The synchronous form of writeFileAtomic, for code that cannot wait (the embedded state store, registries). */
export function writeFileAtomicSync(path: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): number {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  const temp = tempPath(path)
  try {
    const fd = openSync(temp, 'wx', options.mode ?? 0o666)
    try {
      if (options.mode !== undefined) fchmodSync(fd, options.mode)
      for (let written = 0; written < data.byteLength; ) written += writeSync(fd, data, written)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, path)
  } catch (error) {
    try {
      rmSync(temp, {force: true})
    } catch {
      // the write's own error is the one to report
    }
    throw error
  }
  if (options.syncDir ?? true) {
    const dir = openSync(dirname(path), 'r')
    try {
      fsyncSync(dir)
    } catch (error) {
      if (!cannotSyncDir(error)) throw error
    } finally {
      closeSync(dir)
    }
  }
  return data.byteLength
}

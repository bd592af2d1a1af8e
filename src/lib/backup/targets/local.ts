import {createHash, type Hash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {mkdir, open, type FileHandle, readdir, rename, rm, rmdir, stat, statfs} from 'node:fs/promises'
import {dirname, join, relative, sep} from 'node:path'
import {Writable, type Readable} from 'node:stream'
import pLimit from 'p-limit'
import {finished} from 'node:stream/promises'
import {OdoopsError} from '../../errors.js'
import {assertKey, assertPrefix, digestOf, matches, mismatchError, PARTIAL_SUFFIX, type BackupTarget, type ContentDigest, type TargetEntry, type TargetWrite} from './target.js'

/** stat calls in flight at once for `has`. */
const HAS_CONCURRENCY = 32

/** Bytes gathered before one write (one `writev` call instead of one per 32 KiB SSH packet). */
const WRITE_BATCH = 1 << 20
/** Read size of the read-back. */
const READ_BACK_CHUNK = 1 << 20
const READ_BACK_CONCURRENCY = 4

/**
 * Reads an open file from `from` through `buffer` (one of the target's few, reused) into `hash`,
 * up to `to` or to the file's end; returns the offset it reached.
 */
async function hashFile(handle: FileHandle, buffer: Buffer, hash: Hash, from: number, to = Number.POSITIVE_INFINITY): Promise<number> {
  let at = from
  while (at < to) {
    const {bytesRead} = await handle.read(buffer, 0, Math.min(buffer.length, to - at), at)
    if (bytesRead === 0) break
    hash.update(buffer.subarray(0, bytesRead))
    at += bytesRead
  }
  return at
}

/** Size and digest of a whole open file, read back from the disk. */
async function digestHandle(handle: FileHandle, buffer: Buffer, algorithm: ContentDigest): Promise<{size: number; hex: string}> {
  const hash = createHash(algorithm)
  const size = await hashFile(handle, buffer, hash, 0)
  return {size, hex: hash.digest('hex')}
}

/** fsync a file or directory: a rename is only durable once the directory entry is flushed (rename(2), fsync(2)). */
async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Read buffers of READ_BACK_CHUNK bytes, reused: one per blob was megabytes of garbage a second. */
class BufferPool {
  private readonly free: Buffer[] = []

  async use<T>(body: (buffer: Buffer) => Promise<T>): Promise<T> {
    const buffer = this.free.pop() ?? Buffer.allocUnsafe(READ_BACK_CHUNK)
    try {
      return await body(buffer)
    } finally {
      this.free.push(buffer)
    }
  }
}

/**
 * Writes to an open file in batches of about WRITE_BATCH bytes (`writev`, no copy); the
 * caller closes the handle. SSH delivers 32 KiB packets: one write each cost a thread-pool
 * round trip per packet.
 *
 * A file longer than one batch is read back behind the writer: each batch is re-read from the
 * file right after its write and hashed, so a large file's check is done when its last byte is
 * written instead of in a second pass after the flush (the same bytes either way: both reads
 * are served by the page cache, which is what the flush writes out). A file of one batch (most
 * blobs) is read back at commit, a few at a time.
 */
class FileSink extends Writable {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private position = 0
  /** The digest of bytes [0, readBehind.size) as re-read from the file, once a full batch was written. */
  private readBehind?: {hash: Hash; size: number}

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly algorithm: ContentDigest,
    private readonly buffers: BufferPool,
  ) {
    super({highWaterMark: WRITE_BATCH})
  }

  /** Size and digest of the whole file as read back while writing, if it was (and in `algorithm`). */
  readBack(algorithm: ContentDigest): {size: number; hex: string} | undefined {
    if (!this.readBehind || algorithm !== this.algorithm || this.readBehind.size !== this.position) return undefined
    return {size: this.readBehind.size, hex: this.readBehind.hash.digest('hex')}
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes < WRITE_BATCH) return callback()
    this.flush()
      .then(() => this.readWritten())
      .then(() => callback(), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush()
      .then(() => (this.readBehind ? this.readWritten() : undefined))
      .then(() => callback(), callback)
  }

  /** Reads back and hashes what was written since the last read-back. */
  private async readWritten(): Promise<void> {
    const state = (this.readBehind ??= {hash: createHash(this.algorithm), size: 0})
    state.size = await this.buffers.use((buffer) => hashFile(this.handle, buffer, state.hash, state.size, this.position))
    if (state.size < this.position) throw new OdoopsError('BACKUP_TARGET_MISMATCH', `${this.path} ends at ${state.size} bytes while ${this.position} were written to it: something else changed it; the partial backup was removed.`)
  }

  private async flush(): Promise<void> {
    let buffers = this.pending
    this.pending = []
    this.pendingBytes = 0
    while (buffers.length > 0) {
      const {bytesWritten} = await this.handle.writev(buffers, this.position)
      this.position += bytesWritten
      buffers = remainderAfter(buffers, bytesWritten)
    }
  }
}

/** What a short `writev` left unwritten. */
function remainderAfter(buffers: Buffer[], written: number): Buffer[] {
  let left = written
  const rest: Buffer[] = []
  for (const buffer of buffers) {
    if (left >= buffer.length) left -= buffer.length
    else {
      rest.push(left > 0 ? buffer.subarray(left) : buffer)
      left = 0
    }
  }
  return rest
}

/**
 * One fsync of a directory serves every rename made in it before that fsync started: blobs
 * committed side by side in one shard directory share a flush instead of queueing one each.
 */
class DirectoryFlusher {
  private readonly state = new Map<string, {running?: Promise<void>; next?: Promise<void>}>()

  flush(dir: string): Promise<void> {
    const entry = this.state.get(dir) ?? {}
    this.state.set(dir, entry)
    if (entry.next) return entry.next
    const start = (): Promise<void> => {
      const run = fsyncPath(dir).finally(() => {
        if (entry.running === run) entry.running = undefined
        if (!entry.running && !entry.next) this.state.delete(dir)
      })
      entry.running = run
      return run
    }
    if (!entry.running) return start()
    // A flush is running, but it may have started before this caller's rename: wait, then one more for all who came meanwhile.
    const next = entry.running.catch(() => {}).then(() => {
      entry.next = undefined
      return start()
    })
    entry.next = next
    return next
  }
}

export function targetFullError(target: string, location: string, cause?: unknown): OdoopsError {
  return new OdoopsError('BACKUP_TARGET_FULL', `Target "${target}" (${location}) ran out of space while writing; the partial backup was removed.`, {
    suggestions: ['Free space there (odoops backup list shows what is stored), or back up to another target: --target <name>.'],
    cause,
  })
}

/** `path` opened for writing and the read-back (truncated), its directory created when missing (a prune may remove an empty one at any time). */
async function openForWrite(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'w+', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    await mkdir(dirname(path), {recursive: true, mode: 0o700})
    return open(path, 'w+', 0o600)
  }
}

/** A directory on this machine. */
export class LocalTarget implements BackupTarget {
  readonly type = 'local'
  private readonly directories = new DirectoryFlusher()
  /** Flushes and read-backs at once (the disk serves a few well). */
  private readonly readBacks = pLimit(READ_BACK_CONCURRENCY)
  private readonly buffers = new BufferPool()

  constructor(
    readonly name: string,
    readonly root: string,
  ) {}

  get location(): string {
    return this.root
  }

  private pathOf(key: string): string {
    return join(this.root, ...assertKey(key).split('/'))
  }

  async openWrite(key: string, digest: ContentDigest = 'sha256'): Promise<TargetWrite> {
    const final = this.pathOf(key)
    const partial = final + PARTIAL_SUFFIX
    const handle = await openForWrite(partial)
    const stream = new FileSink(handle, partial, digest, this.buffers)
    let ended = false
    let closed = false
    const close = async () => {
      if (closed) return
      closed = true
      await handle.close().catch(() => {})
    }
    const abort = async () => {
      ended = true
      if (!stream.destroyed) stream.destroy()
      await finished(stream).catch(() => {})
      await close()
      await rm(partial, {force: true})
      await this.removeEmptyParents(dirname(final))
    }
    return {
      key,
      stream,
      abort,
      commit: async (expected, as) => {
        if (ended) throw new OdoopsError('BACKUP_WRITE_ENDED', `The write of ${key} was already committed or aborted.`)
        try {
          const destination = as === undefined ? final : this.pathOf(as)
          await finished(stream)
          const {algorithm} = digestOf(expected)
          const actual = await this.readBacks(async () => {
            await handle.sync()
            return stream.readBack(algorithm) ?? (await this.buffers.use((buffer) => digestHandle(handle, buffer, algorithm)))
          })
          await close()
          if (!matches(expected, actual)) throw mismatchError(this.name, key, expected, actual)
          if (destination !== final) await mkdir(dirname(destination), {recursive: true, mode: 0o700})
          await rename(partial, destination)
          ended = true
          await this.directories.flush(dirname(destination))
        } catch (error) {
          await abort()
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw targetFullError(this.name, this.root, error)
          throw error
        }
      },
    }
  }

  async read(key: string): Promise<Readable> {
    const path = this.pathOf(key)
    const info = await stat(path).catch((error: unknown) => {
      throw new OdoopsError('BACKUP_FILE_MISSING', `${key} is not on target "${this.name}" (${path}).`, {cause: error})
    })
    // Reads of up to 1 MiB (a blob in one or two): 64 KiB reads cost a thread-pool round trip each.
    return createReadStream(path, {highWaterMark: Math.max(64 * 1024, Math.min(READ_BACK_CHUNK, info.size + 1))})
  }

  async list(prefix: string): Promise<TargetEntry[]> {
    const base = join(this.root, ...assertPrefix(prefix).split('/').filter(Boolean))
    const entries: TargetEntry[] = []
    const walk = async (dir: string): Promise<void> => {
      let names: import('node:fs').Dirent[]
      try {
        names = await readdir(dir, {withFileTypes: true})
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
        throw error
      }
      for (const entry of names) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) await walk(path)
        else if (entry.isFile()) {
          const rel = relative(this.root, path).split(sep).join('/')
          const partial = rel.endsWith(PARTIAL_SUFFIX)
          entries.push({key: partial ? rel.slice(0, -PARTIAL_SUFFIX.length) : rel, size: (await stat(path)).size, partial})
        }
      }
    }
    await walk(base)
    return entries.sort((a, b) => a.key.localeCompare(b.key))
  }

  async has(keys: readonly string[]): Promise<Set<string>> {
    const limit = pLimit(HAS_CONCURRENCY)
    const found = await Promise.all(keys.map((key) => limit(async () => ((await stat(this.pathOf(key)).catch(() => undefined))?.isFile() ? key : undefined))))
    return new Set(found.filter((k): k is string => k !== undefined))
  }

  async delete(key: string): Promise<boolean> {
    const path = key.endsWith(PARTIAL_SUFFIX) ? this.pathOf(key.slice(0, -PARTIAL_SUFFIX.length)) + PARTIAL_SUFFIX : this.pathOf(key)
    const existed = await stat(path).then(
      () => true,
      () => false,
    )
    await rm(path, {force: true})
    await this.removeEmptyParents(dirname(path))
    return existed
  }

  /** Backup directories left empty by a delete go too (never the root). */
  private async removeEmptyParents(dir: string): Promise<void> {
    let current = dir
    while (current.startsWith(this.root + sep) && current !== this.root) {
      const left = await readdir(current).catch(() => ['?'])
      if (left.length > 0) return
      await rmdir(current).catch(() => {})
      current = dirname(current)
    }
  }

  async freeBytes(): Promise<number | undefined> {
    let dir = this.root
    for (;;) {
      try {
        const fs = await statfs(dir)
        return fs.bavail * fs.bsize
      } catch {
        const parent = dirname(dir)
        if (parent === dir) return undefined
        dir = parent
      }
    }
  }
}

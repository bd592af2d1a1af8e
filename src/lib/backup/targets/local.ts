import {createHash} from 'node:crypto'
import {createReadStream, createWriteStream} from 'node:fs'
import {mkdir, open, readdir, rename, rm, rmdir, stat, statfs} from 'node:fs/promises'
import {dirname, join, relative, sep} from 'node:path'
import type {Readable} from 'node:stream'
import pLimit from 'p-limit'
import {finished} from 'node:stream/promises'
import {OdoopsError} from '../../errors.js'
import {assertKey, assertPrefix, mismatchError, PARTIAL_SUFFIX, type BackupTarget, type ExpectedContent, type TargetEntry, type TargetWrite} from './target.js'

/** stat calls in flight at once for `has`. */
const HAS_CONCURRENCY = 32

/** SHA-256 and size of a file, read back from the disk. */
async function digestFile(path: string): Promise<ExpectedContent> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.length
  }
  return {size, sha256: hash.digest('hex')}
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

export function targetFullError(target: string, location: string, cause?: unknown): OdoopsError {
  return new OdoopsError('BACKUP_TARGET_FULL', `Target "${target}" (${location}) ran out of space while writing; the partial backup was removed.`, {
    suggestions: ['Free space there (odoops backup list shows what is stored), or back up to another target: --target <name>.'],
    cause,
  })
}

/** A directory on this machine. */
export class LocalTarget implements BackupTarget {
  readonly type = 'local'

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

  async openWrite(key: string): Promise<TargetWrite> {
    const final = this.pathOf(key)
    const partial = final + PARTIAL_SUFFIX
    await mkdir(dirname(final), {recursive: true, mode: 0o700})
    const stream = createWriteStream(partial, {mode: 0o600, flags: 'w'})
    let ended = false
    const abort = async () => {
      ended = true
      if (!stream.destroyed) stream.destroy()
      await finished(stream).catch(() => {})
      await rm(partial, {force: true})
      await this.removeEmptyParents(dirname(final))
    }
    return {
      key,
      stream,
      abort,
      commit: async (expected) => {
        if (ended) throw new OdoopsError('BACKUP_WRITE_ENDED', `The write of ${key} was already committed or aborted.`)
        try {
          await finished(stream)
          await fsyncPath(partial)
          const actual = await digestFile(partial)
          if (actual.size !== expected.size || actual.sha256 !== expected.sha256) throw mismatchError(this.name, key, expected, actual)
          await rename(partial, final)
          ended = true
          await fsyncPath(dirname(final))
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
    await stat(path).catch((error: unknown) => {
      throw new OdoopsError('BACKUP_FILE_MISSING', `${key} is not on target "${this.name}" (${path}).`, {cause: error})
    })
    return createReadStream(path)
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

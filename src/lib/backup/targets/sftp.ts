import {PassThrough, type Readable} from 'node:stream'
import {finished} from 'node:stream/promises'
import {OdoopsError} from '../../errors.js'
import {freeBytes} from '../../remote/disk.js'
import type {ExecStream, SshConnection} from '../../ssh/connection.js'
import {script, shell} from '../../ssh/quote.js'
import {targetFullError} from './local.js'
import {assertKey, assertPrefix, digestOf, matches, mismatchError, PARTIAL_SUFFIX, type BackupTarget, type ExpectedContent, type TargetEntry, type TargetWrite} from './target.js'

/** A backup file can take hours to write; the SSH layer's default command limit would cut it. */
const WRITE_TIMEOUT_MS = 24 * 3_600_000

/** Keys asked per round trip by `has`. */
const HAS_BATCH = 2000

function tail(stderr: Buffer): string {
  return stderr.toString('utf8').trim().split('\n').slice(-3).join(' ')
}

interface CommitRequest {
  key: string
  partial: string
  final: string
  dir: string
  expected: ExpectedContent
}

interface PendingCommit extends CommitRequest {
  resolve: () => void
  reject: (error: unknown) => void
}

/** Commits per batch, and how long the first of a batch waits for others. */
const COMMIT_BATCH = 64
const COMMIT_WAIT_MS = 15

/**
 * Gathers commits made close together into one batch: at most COMMIT_BATCH, sent when full or
 * COMMIT_WAIT_MS after the first. A lone commit (a dump, a manifest) waits those few ms only.
 */
class CommitBatcher {
  private queue: PendingCommit[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly run: (batch: PendingCommit[]) => Promise<void>) {}

  add(request: CommitRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({...request, resolve, reject})
      if (this.queue.length >= COMMIT_BATCH) this.flush()
      else this.timer ??= setTimeout(() => this.flush(), COMMIT_WAIT_MS)
    })
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.queue
    this.queue = []
    // Settles every commit of the batch: those the batch did not settle get its error.
    this.run(batch).then(
      () => {
        for (const c of batch) c.reject(new Error('internal: commit left unsettled'))
      },
      (error: unknown) => {
        for (const c of batch) c.reject(error)
      },
    )
  }
}

/**
 * A directory on a registered host, reached over that host's SSH connection (type `sftp`).
 * Bytes are written by `cat > <key>.partial` on an exec channel fed from our stream (flow
 * control end to end), and checked there by `stat` and `sha256sum` before `mv` renames them:
 * so the check reads what the host's disk holds, not what we sent. Commits made close together
 * (a filestore's blobs) are checked and renamed in batches: two round trips for up to 64 files. Runs as root (sudo -n for
 * another login), so the directory may be root-owned.
 */
export class SftpTarget implements BackupTarget {
  readonly type = 'sftp'
  /** Commits made close together (a filestore's blobs) share two round trips. */
  private readonly commits = new CommitBatcher((batch) => this.commitBatch(batch))

  constructor(
    readonly name: string,
    readonly host: string,
    readonly root: string,
    private readonly connect: () => Promise<SshConnection>,
  ) {}

  get location(): string {
    return `${this.host}:${this.root}`
  }

  private pathOf(key: string): string {
    return `${this.root.replace(/\/+$/, '')}/${assertKey(key)}`
  }

  async openWrite(key: string): Promise<TargetWrite> {
    const final = this.pathOf(key)
    const partial = final + PARTIAL_SUFFIX
    const dir = final.slice(0, final.lastIndexOf('/'))
    const conn = await this.connect()
    const stream = new PassThrough()
    let handle: ExecStream | undefined
    let ended = false
    handle = await conn.execStream(script([shell`umask 077`, shell`mkdir -p -- ${dir}`, shell`cat > ${partial}`]), {root: true, stdin: stream, timeoutMs: WRITE_TIMEOUT_MS})
    const remote = handle
    remote.stdout.resume()
    // If cat stops early (disk full, I/O error), fail the writer at once instead of letting it block on a closed channel.
    const outcome = remote.done.then(
      (result) => {
        if (result.code !== 0 && !stream.destroyed) stream.destroy(this.writeError(key, tail(result.stderr)))
        return result
      },
      (error: unknown) => {
        if (!stream.destroyed) stream.destroy(error as Error)
        throw error
      },
    )
    outcome.catch(() => {})
    const abort = async () => {
      ended = true
      if (!stream.destroyed) stream.destroy()
      handle?.kill()
      handle = undefined
      await outcome.catch(() => {})
      await conn.run(script([shell`rm -f -- ${partial}`, shell`rmdir --ignore-fail-on-non-empty -- ${dir} 2>/dev/null || true`]), {root: true}).catch(() => {})
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
          const result = await outcome
          if (result.code !== 0) throw this.writeError(key, tail(result.stderr))
          await this.commits.add({key, partial, final: destination, dir: destination.slice(0, destination.lastIndexOf('/')), expected})
          ended = true
        } catch (error) {
          await abort()
          throw error
        }
      },
    }
  }

  /**
   * Checks a batch of finished writes on the host and renames the good ones: one script flushes
   * each (sync FILE fsyncs it, coreutils >= 8.24) and prints its size and digest (`? ?` for one
   * that cannot be flushed or read), a second renames those that match and flushes their
   * directories (a rename is durable once its directory is). A write that does not match fails
   * alone (BACKUP_TARGET_MISMATCH); the caller's abort removes its partial file.
   */
  private async commitBatch(batch: PendingCommit[]): Promise<void> {
    const conn = await this.connect()
    const checks = batch.map((c) => {
      const sum = digestOf(c.expected).algorithm === 'sha1' ? 'sha1sum' : 'sha256sum'
      return shell`if sync -- ${c.partial} && s=$(stat -c %s -- ${c.partial}) && h=$(${sum} -- ${c.partial}); then echo "$s \${h%% *}"; else echo '? ?'; fi`
    })
    const lines = (await conn.run(script(checks), {root: true, timeoutMs: WRITE_TIMEOUT_MS})).trim().split('\n')
    const good: PendingCommit[] = []
    batch.forEach((c, i) => {
      const [size, hex] = (lines[i] ?? '? ?').split(' ')
      const actual = {size: Number(size), hex: hex ?? ''}
      if (matches(c.expected, actual)) good.push(c)
      else c.reject(mismatchError(this.name, c.key, c.expected, actual))
    })
    if (good.length === 0) return
    const dirs = [...new Set(good.map((c) => c.dir))]
    const moves = good.map((c) => shell`mv -f -- ${c.partial} ${c.final}`)
    // A write committed under another key (`commit(expected, as)`) may land in a directory not made yet.
    await conn.run(script([shell`umask 077`, shell`mkdir -p -- ${dirs}`, ...moves, shell`sync -- ${dirs}`]), {root: true, timeoutMs: WRITE_TIMEOUT_MS})
    for (const c of good) c.resolve()
  }

  private writeError(key: string, detail: string): OdoopsError {
    if (/no space left/i.test(detail)) return targetFullError(this.name, this.location, new Error(detail))
    return new OdoopsError('BACKUP_TARGET_WRITE_FAILED', `Writing ${key} to target "${this.name}" (${this.location}) failed: ${detail || 'the remote write ended early'}.`, {
      suggestions: [`Check the directory on ${this.host}: odoops host exec ${this.host} -- ls -ld ${this.root}`],
    })
  }

  async read(key: string): Promise<Readable> {
    const path = this.pathOf(key)
    const conn = await this.connect()
    const exists = await conn.exec(shell`test -f ${path}`, {root: true})
    if (exists.code !== 0) throw new OdoopsError('BACKUP_FILE_MISSING', `${key} is not on target "${this.name}" (${this.location}).`)
    const handle = await conn.execStream(shell`cat -- ${path}`, {root: true, timeoutMs: WRITE_TIMEOUT_MS})
    const out = new PassThrough()
    handle.stdout.on('error', (error: Error) => out.destroy(error))
    handle.stdout.pipe(out, {end: false})
    // End the stream only once cat exited 0 AND its output was read: a failed read must never look like a short file.
    let drained = false
    let exitedOk = false
    const maybeEnd = () => {
      if (drained && exitedOk) out.end()
    }
    handle.stdout.once('end', () => {
      drained = true
      maybeEnd()
    })
    handle.done.then(
      (result) => {
        if (result.code !== 0) return out.destroy(new OdoopsError('BACKUP_TARGET_READ_FAILED', `Reading ${key} from target "${this.name}" failed: ${tail(result.stderr)}`))
        exitedOk = true
        maybeEnd()
      },
      (error: unknown) => out.destroy(error as Error),
    )
    out.on('close', () => {
      if (drained) return
      handle.kill()
      // ssh2 emits the channel's close only after its data was read to the end.
      handle.stdout.unpipe()
      handle.stdout.resume()
    })
    return out
  }

  async list(prefix: string): Promise<TargetEntry[]> {
    const dir = `${this.root.replace(/\/+$/, '')}/${assertPrefix(prefix)}`
    const conn = await this.connect()
    const out = await conn.run(script([shell`cd -- ${this.root} 2>/dev/null || exit 0`, shell`if [ -d ${dir} ]; then find ${dir} -type f -printf '%s\t%p\n'; fi`]), {root: true})
    const rootPrefix = this.root.replace(/\/+$/, '') + '/'
    const entries: TargetEntry[] = []
    for (const line of out.split('\n')) {
      const tab = line.indexOf('\t')
      if (tab < 0) continue
      const rel = line.slice(tab + 1).replace(/\/+/g, '/').slice(rootPrefix.replace(/\/+/g, '/').length)
      const partial = rel.endsWith(PARTIAL_SUFFIX)
      entries.push({key: partial ? rel.slice(0, -PARTIAL_SUFFIX.length) : rel, size: Number(line.slice(0, tab)), partial})
    }
    return entries.sort((a, b) => a.key.localeCompare(b.key))
  }

  async has(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>()
    if (keys.length === 0) return found
    for (const key of keys) assertKey(key)
    const conn = await this.connect()
    // The keys go on stdin (NUL-separated), one command per batch: a round trip per batch, not per key.
    const probe = script([shell`cd -- ${this.root}`, shell`while IFS= read -r -d '' f; do if [ -f "$f" ]; then printf '%s\n' "$f"; fi; done`])
    for (let i = 0; i < keys.length; i += HAS_BATCH) {
      const batch = keys.slice(i, i + HAS_BATCH)
      const out = await conn.run(probe, {root: true, stdin: batch.join('\0') + '\0'})
      const asked = new Set(batch)
      for (const line of out.split('\n')) if (asked.has(line)) found.add(line)
    }
    return found
  }

  async delete(key: string): Promise<boolean> {
    const path = key.endsWith(PARTIAL_SUFFIX) ? this.pathOf(key.slice(0, -PARTIAL_SUFFIX.length)) + PARTIAL_SUFFIX : this.pathOf(key)
    const dir = path.slice(0, path.lastIndexOf('/'))
    const conn = await this.connect()
    const out = await conn.run(
      script([shell`if [ -e ${path} ]; then echo yes; rm -f -- ${path}; fi`, shell`rmdir --ignore-fail-on-non-empty -- ${dir} 2>/dev/null || true`]),
      {root: true},
    )
    return out.trim() === 'yes'
  }

  async freeBytes(): Promise<number | undefined> {
    return freeBytes(await this.connect(), this.root)
  }
}

import {createHash} from 'node:crypto'
import {PassThrough} from 'node:stream'
import {finished, pipeline} from 'node:stream/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import pLimit from 'p-limit'
import {extract as tarExtract} from 'tar-stream'
import {OdoopsError} from '../../errors.js'
import type {ExecStream, SshConnection} from '../../ssh/connection.js'
import type {RemoteCommand} from '../../ssh/quote.js'
import type {StateStore} from '../../state/store.js'
import {listFilesCommand, parseFileList, parseSha1, sha1Command, tarFilesCommand} from '../shell/blobs.js'
import {DigestStream} from '../digest.js'
import {targetFullError} from '../targets/local.js'
import type {BackupTarget, TargetWrite} from '../targets/target.js'
import {writeClaim} from './claims.js'
import {blobKey, contentAddress, type BlobRef} from './layout.js'

const STREAM_TIMEOUT_MS = 24 * 3_600_000
const KILL_WAIT_MS = 5000
/** Keys asked per `has` call. */
const HAS_BATCH = 2000
/**
 * Blob commits (flush, read back at the target, rename) in flight while the next blobs stream:
 * enough for an sftp target to check and rename them in batches of 64 (targets/sftp.ts); a
 * local target reads back a few at a time whatever this is (targets/local.ts).
 */
const COMMIT_CONCURRENCY = 64

export interface SentFilestore {
  /** Every file of the filestore, with its blob (sorted by path). */
  refs: BlobRef[]
  /** Files and bytes in the filestore (as listed). */
  files: number
  bytes: number
  /** Blobs the target lacked and received in this run, and their bytes. */
  sent: number
  sentBytes: number
  /** Listed files that were gone before tar read them (Odoo's garbage collector), left out. */
  vanished: number
  /** The claim written on the target; the caller deletes it once the backup is catalogued (or failed). */
  claim: string
}

export interface SendContext {
  store: StateStore
  conn: SshConnection
  target: BackupTarget
  /** The target's record id (names the pool's mutex). */
  targetId: string
  tenant: string
  backupId: string
  /** `<data_dir>/filestore/<db>` on the host. */
  dir: string
  signal: AbortSignal
  onBytes: (bytes: number) => void
  /** Called once the claim is on the target, before anything is sent (tests pause here). */
  onClaimed?: (claim: string) => Promise<void> | void
  /** Called after each blob was committed, with the number committed so far (tests stop a run here). */
  onBlob?: (sha1: string, sent: number) => Promise<void> | void
}

/** A blob up to this size is read whole from the tar, hashed and written in one go (no stream pipeline per file). */
const WHOLE_BLOB_MAX = 4 << 20

/**
 * Writes one tar entry as a blob (not committed yet): a small one is read whole, hashed and
 * written in one call, a larger one streamed through the digest. Returns its size and SHA-1.
 */
async function writeBlob(item: AsyncIterable<unknown>, size: number, write: TargetWrite, signal: AbortSignal, onBytes: (n: number) => void): Promise<{size: number; sha1: string}> {
  if (size <= WHOLE_BLOB_MAX) {
    // Hashed chunk by chunk and handed over as they are: the target gathers them into one
    // write, so no copy of the blob (a concatenation per blob was garbage the collector paid for).
    const hash = createHash('sha1')
    let bytes = 0
    for await (const chunk of item) {
      hash.update(chunk as Buffer)
      write.stream.write(chunk)
      bytes += (chunk as Buffer).length
    }
    onBytes(bytes)
    write.stream.end()
    await finished(write.stream)
    return {size: bytes, sha1: hash.digest('hex')}
  }
  let counted = 0
  const digest = new DigestStream((total) => {
    onBytes(total - counted)
    counted = total
  }, 'sha1')
  await pipeline(item, digest, write.stream, {signal})
  return {size: digest.bytes, sha1: digest.hex()}
}

async function readAll(conn: SshConnection, cmd: RemoteCommand, stdin?: Buffer): Promise<Buffer> {
  const handle = await conn.execStream(cmd, {root: true, timeoutMs: STREAM_TIMEOUT_MS, ...(stdin ? {stdin} : {})})
  const chunks: Buffer[] = []
  for await (const chunk of handle.stdout) chunks.push(chunk as Buffer)
  const result = await handle.done
  if (result.code !== 0) throw filestoreFailed(conn, result.stderr.toString('utf8'))
  return Buffer.concat(chunks)
}

function filestoreFailed(conn: SshConnection, detail: string): OdoopsError {
  const tail = detail.trim().split('\n').slice(-4).join(' | ')
  return new OdoopsError('BACKUP_FILESTORE_FAILED', `Reading the filestore on ${conn.target.name} failed${tail ? `: ${tail}` : '.'}`, {
    suggestions: ['Nothing was catalogued: fix the cause and run the backup again (blobs already sent are reused).'],
  })
}

const nulList = (paths: string[]) => Buffer.from(paths.map((p) => p + '\0').join(''), 'utf8')

/** The SHA-1s whose blob the target's pool lacks, asked in batches of HAS_BATCH (never a listing of the pool). */
export async function missingBlobs(target: BackupTarget, sha1s: Iterable<string>, signal?: AbortSignal): Promise<Set<string>> {
  const wanted = [...new Set(sha1s)]
  const present = new Set<string>()
  for (let i = 0; i < wanted.length; i += HAS_BATCH) {
    signal?.throwIfAborted()
    for (const key of await target.has(wanted.slice(i, i + HAS_BATCH).map(blobKey))) present.add(key)
  }
  return new Set(wanted.filter((sha1) => !present.has(blobKey(sha1))))
}

/**
 * The filestore as blobs: lists it on the host (Odoo names its files by their SHA-1; the few
 * others are hashed there), claims every SHA-1 on the target, asks the target which it has
 * (in batches), and streams a tar of only the missing files, each written as a blob checked on
 * arrival (its SHA-1 must be its name; size and SHA-1 read back at the target on commit).
 */
export async function sendFilestore(ctx: SendContext): Promise<SentFilestore> {
  const {conn, target, signal} = ctx
  const listed = parseFileList(await readAll(ctx.conn, listFilesCommand(ctx.dir)))
  signal.throwIfAborted()
  const unnamed = listed.filter((f) => contentAddress(f.path) === undefined).map((f) => f.path)
  const sums = unnamed.length > 0 ? parseSha1((await readAll(conn, sha1Command(ctx.dir), nulList(unnamed))).toString('utf8')) : new Map<string, string>()
  const refs: BlobRef[] = []
  for (const file of listed) {
    const sha1 = contentAddress(file.path) ?? sums.get(file.path)
    // Hashed nothing: removed between the listing and sha1sum.
    if (sha1) refs.push({path: file.path, size: file.size, sha1})
  }
  refs.sort((a, b) => a.path.localeCompare(b.path))
  signal.throwIfAborted()

  const claim = await writeClaim(ctx.store, target, ctx.targetId, {tenant: ctx.tenant, backupId: ctx.backupId, sha1s: refs.map((r) => r.sha1)}, signal)
  await ctx.onClaimed?.(claim)

  // One path per missing SHA-1 (two files with the same bytes are one blob).
  const bySha1 = new Map<string, BlobRef>()
  for (const ref of refs) if (!bySha1.has(ref.sha1)) bySha1.set(ref.sha1, ref)
  const absent = await missingBlobs(target, bySha1.keys(), signal)
  const missing = [...bySha1.values()].filter((ref) => absent.has(ref.sha1))
  const arrived = missing.length > 0 ? await receiveBlobs(ctx, missing) : {sha1s: new Set<string>(), bytes: 0}

  const gone = new Set(missing.filter((ref) => !arrived.sha1s.has(ref.sha1)).map((ref) => ref.sha1))
  const kept = refs.filter((ref) => !gone.has(ref.sha1))
  return {
    refs: kept,
    files: kept.length,
    bytes: kept.reduce((n, r) => n + r.size, 0),
    sent: arrived.sha1s.size,
    sentBytes: arrived.bytes,
    vanished: refs.length - kept.length,
    claim,
  }
}

/** Streams a tar of the missing files from the host and writes each as a blob. */
async function receiveBlobs(ctx: SendContext, missing: BlobRef[]): Promise<{sha1s: Set<string>; bytes: number}> {
  const {conn, target, signal} = ctx
  const expected = new Map(missing.map((ref) => [ref.path, ref]))
  const sha1s = new Set<string>()
  let bytes = 0
  let streamed = 0
  const commits = pLimit(COMMIT_CONCURRENCY)
  const pending: Promise<void>[] = []
  const inFlight = new Set<Promise<void>>()
  const failed: {error?: Error} = {}
  const throwIfCommitFailed = () => {
    if (failed.error) throw failed.error
  }
  let committed = 0
  let handle: ExecStream | undefined
  try {
    handle = await conn.execStream(tarFilesCommand(ctx.dir), {root: true, stdin: nulList(missing.map((r) => r.path)), timeoutMs: STREAM_TIMEOUT_MS})
    const extract = tarExtract()
    const source = new PassThrough()
    handle.stdout.pipe(source)
    handle.stdout.once('error', (error: Error) => source.destroy(error))
    source.pipe(extract)
    source.once('error', (error) => extract.destroy(error))
    const onAbort = () => extract.destroy(signal.reason as Error)
    signal.addEventListener('abort', onAbort, {once: true})
    try {
      for await (const item of extract) {
        signal.throwIfAborted()
        throwIfCommitFailed()
        const ref = expected.get(item.header.name.replace(/^\.\//, ''))
        if (item.header.type !== 'file' || !ref || sha1s.has(ref.sha1)) {
          item.resume()
          continue
        }
        const write = await target.openWrite(blobKey(ref.sha1), 'sha1')
        let got: {size: number; sha1: string}
        try {
          got = await writeBlob(item, item.header.size ?? 0, write, signal, (n) => ctx.onBytes((streamed += n)))
        } catch (error) {
          await write.abort()
          throw error
        }
        if (got.sha1 !== ref.sha1) {
          await write.abort()
          throw new OdoopsError('BACKUP_BLOB_MISMATCH', `${ref.path} in the filestore on ${conn.target.name} hashes to ${got.sha1}, not ${ref.sha1}: the file changed or is corrupt on the host. Nothing was catalogued.`, {
            suggestions: ['Odoo never rewrites a stored attachment: check the host\'s disk, then run the backup again.'],
            data: {path: ref.path, expected: ref.sha1, actual: got.sha1},
          })
        }
        sha1s.add(ref.sha1)
        bytes += got.size
        const commit = commits(async () => {
          await write.commit({size: got.size, sha1: got.sha1})
          await ctx.onBlob?.(ref.sha1, ++committed)
        })
        // A failed commit stops the run at the next blob, not only at the end.
        const settled: Promise<void> = commit
          .catch((error: unknown) => {
            failed.error ??= error instanceof Error ? error : new Error(String(error))
          })
          .finally(() => inFlight.delete(settled))
        inFlight.add(settled)
        pending.push(commit)
        // Backpressure: while the commits (fsync, read back at the target) lag behind, the tar
        // waits instead of queueing blobs without bound.
        while (inFlight.size >= COMMIT_CONCURRENCY) await Promise.race(inFlight)
        throwIfCommitFailed()
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    await Promise.all(pending)
    const result = await handle.done
    if (result.code !== 0) throw filestoreFailed(conn, result.stderr.toString('utf8'))
    signal.throwIfAborted()
    return {sha1s, bytes}
  } catch (error) {
    await Promise.allSettled(pending)
    if (handle) {
      handle.kill()
      handle.stdout.unpipe()
      handle.stdout.resume()
      await Promise.race([handle.done.catch(() => {}), sleep(KILL_WAIT_MS, undefined, {ref: false})])
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw targetFullError(target.name, target.location, error)
    if (signal.aborted && !(error instanceof OdoopsError)) throw signal.reason
    throw error
  }
}

import {createHash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import pLimit from 'p-limit'
import {isOdoopsError} from '../../errors.js'
import type {BackupTarget} from '../targets/target.js'
import {blobKey, type BlobRef} from './layout.js'

/** SHA-1 and size of the bytes passing through (the blob's name is its SHA-1). */
export class Sha1Check extends Transform {
  private readonly hash = createHash('sha1')
  size = 0
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.size += chunk.length
    callback(null, chunk)
  }
  digest(): string {
    return this.hash.digest('hex')
  }
}

export interface BlobFault {
  ref: BlobRef
  kind: 'missing' | 'corrupt'
  /** For a corrupt blob: what was read instead. */
  detail: string
}

export interface BlobCheck {
  /** Distinct blobs read and hashed. */
  blobs: number
  bytes: number
  /** Every blob that is missing or whose bytes are not its name and the manifest's size (sorted by SHA-1). */
  faults: BlobFault[]
}

/** Blobs read at once: a local disk or an sftp session serves several reads in parallel. */
const CHECK_CONCURRENCY = 8

/**
 * Reads every blob these files need from the target's pool and hashes it there, several at
 * once: a blob passes when it is present, its size is the manifest's and its SHA-1 is its
 * name. Each distinct blob is read once; bytes are hashed and dropped (flat memory).
 */
export async function checkBlobs(target: BackupTarget, refs: readonly BlobRef[], options: {signal?: AbortSignal; concurrency?: number} = {}): Promise<BlobCheck> {
  const bySha1 = new Map<string, BlobRef>()
  for (const ref of refs) if (!bySha1.has(ref.sha1)) bySha1.set(ref.sha1, ref)
  const limit = pLimit(options.concurrency ?? CHECK_CONCURRENCY)
  const faults: BlobFault[] = []
  let bytes = 0
  await Promise.all(
    [...bySha1.values()].map((ref) =>
      limit(async () => {
        options.signal?.throwIfAborted()
        const fault = await checkOne(target, ref, options.signal)
        if (fault) faults.push(fault)
        else bytes += ref.size
      }),
    ),
  )
  faults.sort((a, b) => a.ref.sha1.localeCompare(b.ref.sha1))
  return {blobs: bySha1.size, bytes, faults}
}

async function checkOne(target: BackupTarget, ref: BlobRef, signal?: AbortSignal): Promise<BlobFault | undefined> {
  let source
  try {
    source = await target.read(blobKey(ref.sha1))
  } catch (error) {
    if (isOdoopsError(error) && error.code === 'BACKUP_FILE_MISSING') return {ref, kind: 'missing', detail: ''}
    throw error
  }
  const check = new Sha1Check()
  await pipeline(source, check, async (chunks: AsyncIterable<Buffer>) => {
    for await (const _ of chunks);
  }, {...(signal ? {signal} : {})})
  if (check.size !== ref.size) return {ref, kind: 'corrupt', detail: `${check.size} bytes, the manifest says ${ref.size}`}
  const sha1 = check.digest()
  if (sha1 !== ref.sha1) return {ref, kind: 'corrupt', detail: `its bytes hash to ${sha1}`}
  return undefined
}

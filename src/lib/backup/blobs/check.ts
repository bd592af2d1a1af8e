import {pipeline} from 'node:stream/promises'
import pLimit from 'p-limit'
import {isOdoopsError} from '../../errors.js'
import {DigestStream} from '../digest.js'
import type {BackupTarget} from '../targets/target.js'
import {blobKey, type BlobRef} from './layout.js'

export interface BlobFault {
  ref: BlobRef
  kind: 'missing' | 'corrupt'
  /** For a corrupt blob: what was read instead. */
  detail: string
}

/**
 * The fault, if any, of a blob read as `read` (its size and SHA-1): the one judgement of a blob's
 * bytes, for verify and for every rebuild of a filestore from the pool.
 */
export function blobFaultOf(ref: BlobRef, read: {size: number; sha1: string}): BlobFault | undefined {
  if (read.size !== ref.size) return {ref, kind: 'corrupt', detail: `${read.size} bytes, the manifest says ${ref.size}`}
  if (read.sha1 !== ref.sha1) return {ref, kind: 'corrupt', detail: `its bytes hash to ${read.sha1}`}
  return undefined
}

export function describeBlobFault(fault: BlobFault): string {
  return `blob ${fault.ref.sha1} (${fault.ref.path}) ${fault.kind === 'missing' ? 'is missing from the pool' : `is corrupt: ${fault.detail}`}`
}

export interface BlobCheck {
  /** Distinct blobs read and hashed. */
  blobs: number
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
export async function checkBlobs(target: BackupTarget, refs: readonly BlobRef[], options: {signal?: AbortSignal} = {}): Promise<BlobCheck> {
  const bySha1 = new Map<string, BlobRef>()
  for (const ref of refs) if (!bySha1.has(ref.sha1)) bySha1.set(ref.sha1, ref)
  const limit = pLimit(CHECK_CONCURRENCY)
  const faults: BlobFault[] = []
  await Promise.all(
    [...bySha1.values()].map((ref) =>
      limit(async () => {
        options.signal?.throwIfAborted()
        const fault = await checkOne(target, ref, options.signal)
        if (fault) faults.push(fault)
      }),
    ),
  )
  faults.sort((a, b) => a.ref.sha1.localeCompare(b.ref.sha1))
  return {blobs: bySha1.size, faults}
}

async function checkOne(target: BackupTarget, ref: BlobRef, signal?: AbortSignal): Promise<BlobFault | undefined> {
  let source
  try {
    source = await target.read(blobKey(ref.sha1))
  } catch (error) {
    if (isOdoopsError(error) && error.code === 'BACKUP_FILE_MISSING') return {ref, kind: 'missing', detail: ''}
    throw error
  }
  const digest = new DigestStream(undefined, 'sha1')
  await pipeline(source, digest, async (chunks: AsyncIterable<Buffer>) => {
    for await (const _ of chunks);
  }, {...(signal ? {signal} : {})})
  return blobFaultOf(ref, {size: digest.bytes, sha1: digest.hex()})
}

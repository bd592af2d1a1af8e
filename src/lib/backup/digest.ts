import {createHash, type Hash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'
import {finished} from 'node:stream/promises'
import type {ContentDigest} from './targets/target.js'

/**
 * Passes bytes through unchanged while counting them and computing their digest (flat memory):
 * SHA-256 for stored files (the catalog's checksum), SHA-1 for blobs (their name).
 */
export class DigestStream extends Transform {
  private readonly hash: Hash
  bytes = 0

  constructor(
    private readonly onBytes?: (bytes: number) => void,
    algorithm: ContentDigest = 'sha256',
  ) {
    super()
    this.hash = createHash(algorithm)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    this.onBytes?.(this.bytes)
    callback(null, chunk)
  }

  /** Hex digest of everything that passed; call once, after the stream ended. */
  hex(): string {
    return this.hash.digest('hex')
  }

  /** Size and hex SHA-256 of everything that passed (a SHA-256 stream); call once, after the stream ended. */
  result(): {size: number; sha256: string} {
    return {size: this.bytes, sha256: this.hex()}
  }
}

/** Reads whatever a command left unread of a digest's output, so the digest covers the whole file. */
export async function drain(digest: DigestStream, signal?: AbortSignal): Promise<void> {
  if (digest.readableEnded) return
  digest.on('data', () => signal?.throwIfAborted())
  digest.resume()
  await finished(digest, {writable: false})
}

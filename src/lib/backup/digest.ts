import {createHash, type Hash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'

/** Passes bytes through unchanged while counting them and computing their SHA-256 (flat memory). */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256')
  bytes = 0

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    this.onBytes?.(this.bytes)
    callback(null, chunk)
  }

  /** Size and hex SHA-256 of everything that passed; call once, after the stream ended. */
  result(): {size: number; sha256: string} {
    return {size: this.bytes, sha256: this.hash.digest('hex')}
  }
}

import {formatBytes} from '../../output/format.js'
import type {OdoopsError} from '../../errors.js'

/**
 * How big a source may be. An archive can claim anything (a zip bomb unpacks a few KB into
 * terabytes), and a directory or a repository given by mistake can hold a whole disk: the
 * limits stop the reading as soon as they are crossed, before the data is read.
 */
export interface SourceLimits {
  /** Most bytes of file content in all (for a tar, of the whole uncompressed tar stream). Default 1 GiB. */
  maxBytes?: number
  /** Most entries (files, folders, links). Default 100 000. */
  maxEntries?: number
  /** Most bytes in one file (each is held in memory while it is written). Default 100 MiB. */
  maxFileBytes?: number
}

export const DEFAULT_LIMITS: Required<SourceLimits> = {
  maxBytes: 1024 ** 3,
  maxEntries: 100_000,
  maxFileBytes: 100 * 1024 ** 2,
}

/** The error for an entry of a source: `why` completes "<entry> …". */
export type Refuse = (entry: string, why: string) => OdoopsError

/** Counts what a source has given so far and refuses the entry that crosses a limit. */
export class Budget {
  readonly limits: Required<SourceLimits>
  private entries = 0
  private bytes = 0
  private streamed = 0

  constructor(limits: SourceLimits | undefined, private readonly refuse: Refuse) {
    this.limits = {...DEFAULT_LIMITS, ...limits}
  }

  /** One more entry of any kind. */
  entry(path: string): void {
    if (++this.entries > this.limits.maxEntries) throw this.refuse(path, `is one entry more than the ${this.limits.maxEntries} allowed`)
  }

  /** One more file of `size` bytes (also counted as an entry). */
  file(path: string, size: number): void {
    this.entry(path)
    if (size > this.limits.maxFileBytes) {
      throw this.refuse(path, `is ${formatBytes(size)}, more than the ${formatBytes(this.limits.maxFileBytes)} allowed for one file`)
    }
    this.bytes += size
    if (this.bytes > this.limits.maxBytes) throw this.refuse(path, `brings the content past the ${formatBytes(this.limits.maxBytes)} allowed in all`)
  }

  /** Bytes of a stream read before its entries are known (an uncompressed tar): caps what a bomb can make us read. */
  stream(bytes: number, where: string): void {
    this.streamed += bytes
    if (this.streamed > this.limits.maxBytes) throw this.refuse(where, `brings the uncompressed archive past the ${formatBytes(this.limits.maxBytes)} allowed`)
  }
}

import {open, rm, type FileHandle} from 'node:fs/promises'
import {ensureReleasesDir, tempPathIn} from './release-tar.js'

/**
 * Where the files of a tar stream wait until the release is written in its own order (a tar
 * is read once, front to back). One hidden temporary file in the releases directory, the
 * contents one after the other: no name from the archive ever becomes a file name, so
 * nothing can be written outside that directory. Removed by `dispose`, whatever happened.
 */
export class Spool {
  private size = 0

  private constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
  ) {}

  static async create(dir: string): Promise<Spool> {
    await ensureReleasesDir(dir)
    const path = tempPathIn(dir, 'spool')
    return new Spool(await open(path, 'wx+', 0o600), path)
  }

  /** Appends a stream's bytes; `onChunk` sees each chunk first (limits). Returns where they are. */
  async append(stream: AsyncIterable<unknown>, onChunk?: (bytes: number) => void): Promise<{offset: number; size: number}> {
    const offset = this.size
    for await (const data of stream) {
      const chunk = data as Uint8Array
      onChunk?.(chunk.byteLength)
      await this.handle.write(chunk, 0, chunk.byteLength, this.size)
      this.size += chunk.byteLength
    }
    return {offset, size: this.size - offset}
  }

  async read(offset: number, size: number): Promise<Buffer> {
    const buffer = Buffer.alloc(size)
    for (let done = 0; done < size; ) {
      const {bytesRead} = await this.handle.read(buffer, done, size - done, offset + done)
      if (bytesRead === 0) throw new Error(`spool ${this.path} ended early`)
      done += bytesRead
    }
    return buffer
  }

  async dispose(): Promise<void> {
    await this.handle.close().catch(() => {})
    await rm(this.path, {force: true})
  }
}

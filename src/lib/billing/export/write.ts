/**
 * Atomic file writes: the content goes to a temporary file in the target directory (same file
 * system), is flushed to disk, then renamed over the final name (rename(2) replaces atomically),
 * so a reader never sees a half-written export and an interrupted run leaves no partial file.
 */
import {randomBytes} from 'node:crypto'
import {mkdir, open, rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

export async function writeFileAtomic(path: string, content: string | Buffer): Promise<number> {
  await mkdir(dirname(path), {recursive: true})
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  try {
    const handle = await open(temp, 'wx', 0o644)
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  return data.length
}

import type {Readable} from 'node:stream'
import {extract as tarExtract, type Extract} from 'tar-stream'
import {isOdoopsError, messageOf, type OdoopsError} from '../../errors.js'
import type {Budget, Refuse} from './limits.js'
import {entryPath} from './paths.js'
import type {Spool} from './spool.js'
import type {SourceEntry} from './tree.js'

export interface TarReadOptions {
  /** Where file contents wait until the release is written. */
  spool: Spool
  budget: Budget
  refuse: Refuse
  /** Symbolic links: refused (archives from anywhere), or kept for buildTree to resolve inside the tree (git). */
  links: 'refuse' | 'keep'
  /** The error for a stream that is not a (gzipped) tar. */
  corrupt: (why: string) => OdoopsError
}

/** Resolves when a writable can take more, or is gone. */
function drained(stream: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}

/**
 * The entries of an uncompressed tar stream, file contents spooled. Every name is checked
 * (paths.ts) and every entry counted against the limits before its data is read; hard links,
 * devices and fifos are refused, and symbolic links unless `links` is 'keep'. The bytes of the
 * stream itself are counted too: padding and headers cannot make a bomb either.
 */
export async function readTar(input: Readable, options: TarReadOptions): Promise<SourceEntry[]> {
  const {spool, budget, refuse, links, corrupt} = options
  const extract = tarExtract()
  let current = ''
  let feedError: unknown
  const gone = () => extract.destroying || extract.destroyed
  const feed = (async () => {
    try {
      for await (const chunk of input) {
        budget.stream((chunk as Buffer).byteLength, current)
        if (gone()) return
        if (!extract.write(chunk)) await drained(extract)
      }
      extract.end(undefined)
    } catch (error) {
      feedError = error
      extract.destroy(error as Error)
    }
  })()

  const entries: SourceEntry[] = []
  try {
    for await (const entry of extract) {
      const {name, type, size, mode, linkname} = entry.header
      current = name
      const checked = entryPath(name)
      if ('problem' in checked) throw refuse(name, checked.problem)
      const {path} = checked
      if (type === 'file' || type === 'contiguous-file') {
        budget.file(path, size)
        const at = await spool.append(entry)
        entries.push({kind: 'file', path, size, executable: (mode & 0o111) !== 0, read: () => spool.read(at.offset, at.size)})
      } else if (type === 'directory') {
        budget.entry(path)
        entry.resume()
        entries.push({kind: 'dir', path})
      } else if (type === 'symlink' && links === 'keep' && linkname && !linkname.includes('\0')) {
        budget.entry(path)
        entry.resume()
        entries.push({kind: 'link', path, target: linkname})
      } else if (type === 'symlink' || type === 'link') {
        throw refuse(name, `is a ${type === 'link' ? 'hard' : 'symbolic'} link (to ${JSON.stringify(linkname ?? '')}); releases hold files and folders only`)
      } else {
        throw refuse(name, `is a ${type ?? 'special'} entry; releases hold files and folders only`)
      }
    }
  } catch (error) {
    const primary = feedError ?? error
    extract.destroy()
    input.destroy()
    await feed
    throw isOdoopsError(primary) ? primary : corrupt(messageOf(primary))
  }
  await feed
  if (feedError !== undefined) throw isOdoopsError(feedError) ? feedError : corrupt(messageOf(feedError))
  return entries
}

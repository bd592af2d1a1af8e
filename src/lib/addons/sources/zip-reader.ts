import yauzl, {type Entry, type ZipFile} from 'yauzl'
import {isOdoopsError, messageOf, type OdoopsError} from '../../errors.js'
import type {Budget, Refuse} from './limits.js'
import {entryPath, shown} from './paths.js'
import type {SourceEntry} from './tree.js'

export interface ZipReadOptions {
  budget: Budget
  refuse: Refuse
  /** The error for a file that is not a readable zip. */
  corrupt: (why: string) => OdoopsError
}

export interface ZipEntries {
  entries: SourceEntry[]
  /** Closes the zip: call once the release is written (file contents are read from it on demand). */
  close: () => void
}

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
/** versionMadeBy's high byte for Unix: only then do the external attributes hold a file mode. */
const MADE_BY_UNIX = 3

/**
 * The entries of a zip, from its central directory (nothing is decompressed until a file is
 * read). Names are decoded here, not by yauzl, so that every unsafe name is refused by the one
 * rule of paths.ts and named in the error; symbolic links and special files are refused.
 */
export async function readZip(path: string, options: ZipReadOptions): Promise<ZipEntries> {
  const {budget, refuse, corrupt} = options
  let zip: ZipFile
  try {
    zip = await yauzl.openPromise(path, {lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: true})
  } catch (error) {
    throw corrupt(messageOf(error))
  }
  try {
    // The count is in the zip's last record: a bomb of entries is refused before one is read.
    if (zip.entryCount > budget.limits.maxEntries) throw refuse('', `holds ${zip.entryCount} entries, more than the ${budget.limits.maxEntries} allowed`)
    const entries: SourceEntry[] = []
    try {
      for await (const entry of zip.eachEntry()) entries.push(...toSource(zip, entry, options))
    } catch (error) {
      throw isOdoopsError(error) ? error : corrupt(messageOf(error))
    }
    return {entries, close: () => zip.close()}
  } catch (error) {
    zip.close()
    throw error
  }
}

function toSource(zip: ZipFile, entry: Entry, {budget, refuse, corrupt}: ZipReadOptions): SourceEntry[] {
  // strictFileNames: a backslash stays a backslash, and paths.ts refuses it.
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true)
  const checked = entryPath(name)
  if ('problem' in checked) throw refuse(name, checked.problem)
  const {path} = checked
  const mode = entry.versionMadeBy >> 8 === MADE_BY_UNIX ? entry.externalFileAttributes >>> 16 : 0
  const format = mode & S_IFMT
  if (format === S_IFLNK) throw refuse(name, 'is a symbolic link; releases hold files and folders only')
  if (format !== 0 && format !== S_IFREG && format !== S_IFDIR) throw refuse(name, 'is a special file (device, fifo or socket); releases hold files and folders only')
  if (name.endsWith('/') || format === S_IFDIR) {
    budget.entry(path)
    return [{kind: 'dir', path}]
  }
  if (entry.isEncrypted()) throw corrupt(`entry ${shown(name)} is encrypted`)
  budget.file(path, entry.uncompressedSize)
  const read = async (): Promise<Buffer> => {
    try {
      const chunks: Buffer[] = []
      // validateEntrySizes: yauzl fails a stream that gives more (or fewer) bytes than the directory said.
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks)
    } catch (error) {
      throw corrupt(`entry ${shown(name)}: ${messageOf(error)}`)
    }
  }
  return [{kind: 'file', path, size: entry.uncompressedSize, executable: (mode & 0o111) !== 0, read}]
}

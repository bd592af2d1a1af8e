import {createReadStream} from 'node:fs'
import {open, stat} from 'node:fs/promises'
import {resolve} from 'node:path'
import type {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'
import {usageError} from '../../errors.js'
import {Budget, type Refuse, type SourceLimits} from './limits.js'
import {shown} from './paths.js'
import {writeRelease, type Release} from './release-tar.js'
import {Spool} from './spool.js'
import {readTar} from './tar-reader.js'
import {buildTree} from './tree.js'
import {readZip} from './zip-reader.js'

/**
 * An archive (.tar.gz, .tgz, .tar, .zip) as a release. Nothing is unpacked to disk: entries
 * go straight into the canonical release tar, and any entry that could escape the folder it
 * would be unpacked into (absolute, `..`, links, devices) refuses the whole archive.
 */
export interface ArchiveOptions {
  limits?: SourceLimits
}

export type ArchiveFormat = 'tar.gz' | 'tar' | 'zip'

/** The format, by the file's first bytes rather than its name (downloads are often misnamed). */
export async function archiveFormat(path: string): Promise<ArchiveFormat | undefined> {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(512)
    const {bytesRead} = await handle.read(head, 0, 512, 0)
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz'
    // Local file header, or the end record of an empty zip.
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip'
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x06054b50) return 'zip'
    if (bytesRead === 512 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar'
    return undefined
  } finally {
    await handle.close()
  }
}

export async function snapshotArchive(path: string, releasesDir: string, options: ArchiveOptions = {}): Promise<Release> {
  const file = resolve(path)
  const info = await stat(file).catch(() => undefined)
  if (!info?.isFile()) {
    throw usageError('ADDONS_SOURCE_NOT_FOUND', `${file} ${info ? 'is not a file' : 'does not exist'}.`, ['Give the path of a .tar.gz, .tgz, .tar or .zip of an addons repository.'], {path: file})
  }
  const format = await archiveFormat(file)
  if (format === undefined) {
    throw usageError('ADDONS_ARCHIVE_INVALID', `${file} is not a .tar.gz, .tgz, .tar or .zip archive.`, ['Give an archive in one of those formats, or unpack it and give the folder.'], {path: file})
  }
  const refuse: Refuse = (entry, why) =>
    usageError(
      'ADDONS_ARCHIVE_UNSAFE',
      `Archive ${file}${entry === '' ? '' : `: entry ${shown(entry)}`} ${why}. Nothing was taken from it.`,
      ['Releases take plain files and folders inside the archive\'s own folder, within the size limits.', 'If the archive is genuine, unpack it, check it and give the folder instead.'],
      {archive: file, entry},
    )
  const corrupt = (why: string) =>
    usageError('ADDONS_ARCHIVE_INVALID', `${file} is not a readable ${format} archive: ${why}.`, ['Check the file is whole (download it again).'], {archive: file})
  const budget = new Budget(options.limits, refuse)
  const context = {label: `Archive ${file}`, refuse, budget}

  if (format === 'zip') {
    const zip = await readZip(file, {budget, refuse, corrupt})
    try {
      return await writeRelease(buildTree(zip.entries, context), releasesDir)
    } finally {
      zip.close()
    }
  }
  const spool = await Spool.create(releasesDir)
  try {
    const entries = await readTar(tarStream(file, format), {spool, budget, refuse, links: 'refuse', corrupt})
    return await writeRelease(buildTree(entries, context), releasesDir)
  } finally {
    await spool.dispose()
  }
}

/** The file's bytes as a tar stream, gunzipped when needed (a read error reaches the reader through gunzip). */
function tarStream(file: string, format: 'tar.gz' | 'tar'): Readable {
  const input = createReadStream(file)
  if (format === 'tar') return input
  const gunzip = createGunzip()
  input.on('error', (error) => gunzip.destroy(error))
  gunzip.on('close', () => input.destroy())
  return input.pipe(gunzip)
}

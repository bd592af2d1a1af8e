import {createHash, randomBytes} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {open, rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {extract as tarExtract, pack as tarPack, type Header, type Pack} from 'tar-stream'
import {ExitCode, isOdoopsError, messageOf, OdoopsError} from '../../errors.js'
import {ensureDir} from '../../fs/ensure-dir.js'
import {compareBytewise, isModuleName, parentsOf} from './paths.js'
import {MANIFEST, type ReleaseTree} from './tree.js'

/**
 * The canonical release tar: the same files give the same bytes, whatever the source, the
 * machine or the day. Entries sorted by path (bytewise), folders implied by the files (empty
 * folders are not kept: git cannot hold them, so a folder and its commit give one release),
 * mtime 0, owner 0:0 without names, modes 0644 and 0755 (executables and folders), nothing
 * but files and folders. The release id is the SHA-256 of the tar, which is also its name.
 */

/** A release written into (or found in) the releases directory. */
export interface Release {
  /** SHA-256 (hex) of the tar: the release id. */
  sha256: string
  /** `<releasesDir>/<sha256>.tar`. */
  tarPath: string
  sizeBytes: number
  fileCount: number
  /** The modules (top folders with a __manifest__.py), sorted. */
  modules: string[]
  /** The same release was there already (it was kept; the new copy was dropped). */
  reused: boolean
}

/** An entry of a release tar. */
export interface ReleaseEntry {
  /** Relative POSIX path, without a trailing slash. */
  path: string
  kind: 'file' | 'dir'
  executable: boolean
  size: number
}

const EPOCH = new Date(0)

type Headers = Partial<Header> & {name: string}

function header(path: string, kind: 'file' | 'dir', executable: boolean, size: number): Headers {
  return {
    name: kind === 'dir' ? `${path}/` : path,
    type: kind === 'dir' ? 'directory' : 'file',
    mode: kind === 'dir' || executable ? 0o755 : 0o644,
    size,
    mtime: EPOCH,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
  }
}

/** Adds one entry and waits until tar-stream took it (its callback), so entries go in order. */
function addEntry(tar: Pack, headers: Headers, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve())
    if (content === undefined) tar.entry(headers, done)
    else tar.entry(headers, content, done)
  })
}

/** A name beside the releases that no other writer picks (hidden, our PID, random bits), as atomic-write does. */
export function tempPathIn(dir: string, kind: string): string {
  return join(dir, `.${kind}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Writes the tree as a canonical release tar into `releasesDir`: into a temporary file first
 * (flushed), then renamed to `<sha256>.tar`, so a release file is always whole. A release
 * already there is kept (`reused`); on failure nothing is left behind.
 */
export async function writeRelease(tree: ReleaseTree, releasesDir: string): Promise<Release> {
  try {
    return await writeReleaseFile(tree, releasesDir)
  } catch (error) {
    if (isOdoopsError(error)) throw error
    throw new OdoopsError('ADDONS_RELEASE_WRITE_FAILED', `Cannot write the release into ${releasesDir}: ${messageOf(error)}`, {
      suggestions: ['Check the releases directory can be written and its disk has room.'],
      cause: error,
    })
  }
}

/**
 * The releases directory, made when missing through the one guarded mkdir (a path under
 * /proc would make a recursive mkdir spin for ever); an unusable one is reported as such.
 */
export async function ensureReleasesDir(releasesDir: string): Promise<void> {
  await ensureDir(releasesDir, {
    writable: true,
    invalid: (problem) =>
      new OdoopsError('ADDONS_RELEASE_WRITE_FAILED', `Cannot use ${releasesDir} for releases: ${problem}.`, {
        exit: ExitCode.USAGE,
        suggestions: ['Check the releases directory (under the odoops data directory, ODOOPS_DATA_DIR) is a folder that can be written.'],
      }),
  })
}

/** Where the release with this SHA-256 is kept: the file name is the content's hash. */
export function releaseFileIn(releasesDir: string, sha256: string): string {
  return join(releasesDir, `${sha256}.tar`)
}

async function writeReleaseFile(tree: ReleaseTree, releasesDir: string): Promise<Release> {
  await ensureReleasesDir(releasesDir)
  const paths = new Set<string>()
  for (const path of tree.files.keys()) {
    paths.add(path)
    for (const parent of parentsOf(path)) paths.add(parent)
  }
  const order = [...paths].sort(compareBytewise)

  const temp = tempPathIn(releasesDir, 'release')
  const handle = await open(temp, 'wx', 0o644)
  const hash = createHash('sha256')
  let sizeBytes = 0
  try {
    const tar = tarPack()
    // Chunks the packer made, written to disk after each entry: memory holds one file at most.
    const pending: Buffer[] = []
    tar.on('data', (chunk) => {
      pending.push(chunk as Buffer)
    })
    const ended = new Promise<void>((resolve, reject) => {
      tar.on('end', resolve)
      tar.on('error', reject)
    })
    ended.catch(() => {}) // awaited below; a failure before that is reported by its own error
    const flush = async () => {
      for (const chunk of pending.splice(0)) {
        hash.update(chunk)
        sizeBytes += chunk.byteLength
        await handle.write(chunk)
      }
    }
    try {
      for (const path of order) {
        const file = tree.files.get(path)
        if (file === undefined) await addEntry(tar, header(path, 'dir', false, 0))
        else {
          const content = await file.read()
          await addEntry(tar, header(path, 'file', file.executable, content.byteLength), content)
        }
        await flush()
      }
      tar.finalize()
      await ended
      await flush()
    } catch (error) {
      tar.destroy()
      throw error
    }
    await handle.sync()
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(temp, {force: true})
    throw error
  }
  await handle.close()

  const sha256 = hash.digest('hex')
  const tarPath = releaseFileIn(releasesDir, sha256)
  const release = {sha256, tarPath, sizeBytes, fileCount: tree.files.size, modules: tree.modules}
  // Same name, same content: the one there stays, unless it is not whole (then ours replaces it).
  const existing = await stat(tarPath).catch(() => undefined)
  if (existing?.isFile() && existing.size === sizeBytes) {
    await rm(temp, {force: true})
    return {...release, reused: true}
  }
  try {
    await rename(temp, tarPath)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  await syncDir(releasesDir)
  return {...release, reused: false}
}

/** Flushes a directory so a rename into it survives a crash; some file systems cannot (EINVAL, ENOTSUP). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'ENOTSUP') throw error
  } finally {
    await handle.close()
  }
}

/**
 * Every entry of a release tar in order; `wants(entry)` says which files' contents to read
 * (given to `visit` as a Buffer), the others are skipped without being held.
 */
export async function scanRelease(
  tarPath: string,
  visit: (entry: ReleaseEntry, content: Buffer | undefined) => void | Promise<void>,
  wants: (entry: ReleaseEntry) => boolean = () => false,
): Promise<void> {
  const extract = tarExtract()
  const input = createReadStream(tarPath)
  input.on('error', (error) => extract.destroy(error))
  input.pipe(extract)
  try {
    await scanEntries(extract, visit, wants)
  } catch (error) {
    if (isOdoopsError(error)) throw error
    throw new OdoopsError('ADDONS_RELEASE_UNREADABLE', `Cannot read the release ${tarPath}: ${messageOf(error)}`, {
      suggestions: ['Pin the source again: a missing release is written anew (remove a damaged one first).'],
      cause: error,
    })
  } finally {
    input.destroy()
  }
}

async function scanEntries(
  extract: ReturnType<typeof tarExtract>,
  visit: (entry: ReleaseEntry, content: Buffer | undefined) => void | Promise<void>,
  wants: (entry: ReleaseEntry) => boolean,
): Promise<void> {
  for await (const stream of extract) {
    const {name, type, mode, size} = stream.header
    const entry: ReleaseEntry = {
      path: name.replace(/\/+$/, ''),
      kind: type === 'directory' ? 'dir' : 'file',
      executable: type !== 'directory' && (mode & 0o111) !== 0,
      size,
    }
    let content: Buffer | undefined
    if (entry.kind === 'file' && wants(entry)) {
      const chunks: Buffer[] = []
      for await (const chunk of stream) chunks.push(chunk as Buffer)
      content = Buffer.concat(chunks)
    } else {
      stream.resume()
    }
    await visit(entry, content)
  }
}

/** The entries of a release tar, in order. */
export async function readReleaseEntries(tarPath: string): Promise<ReleaseEntry[]> {
  const entries: ReleaseEntry[] = []
  await scanRelease(tarPath, (entry) => {
    entries.push(entry)
  })
  return entries
}

/** The content of one file of a release, or undefined when it has none at that path. */
export async function readReleaseFile(tarPath: string, path: string): Promise<Buffer | undefined> {
  let found: Buffer | undefined
  await scanRelease(
    tarPath,
    (_entry, content) => {
      if (content !== undefined) found = content
    },
    (entry) => entry.path === path,
  )
  return found
}

/** Every module's `__manifest__.py` (`<module>/__manifest__.py`), read in one pass, by module name. */
export async function readManifests(tarPath: string): Promise<{module: string; text: string}[]> {
  const manifests: {module: string; text: string}[] = []
  await scanRelease(
    tarPath,
    (entry, content) => {
      if (content !== undefined) manifests.push({module: entry.path.split('/')[0], text: content.toString('utf8')})
    },
    (entry) => {
      const [module, name, ...rest] = entry.path.split('/')
      return name === MANIFEST && rest.length === 0 && isModuleName(module)
    },
  )
  return manifests.sort((a, b) => compareBytewise(a.module, b.module))
}

/** The modules of a release: its top folders holding a `__manifest__.py`. */
export async function listModules(tarPath: string): Promise<string[]> {
  return (await readManifests(tarPath)).map((manifest) => manifest.module)
}

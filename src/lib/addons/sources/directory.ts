import {constants} from 'node:fs'
import {lstat, open, readdir, readlink, realpath, stat} from 'node:fs/promises'
import {isAbsolute, join, posix, relative, resolve, sep} from 'node:path'
import {isOdoopsError, messageOf, usageError, type OdoopsError} from '../../errors.js'
import {formatBytes} from '../../output/format.js'
import {Budget, type Refuse, type SourceLimits} from './limits.js'
import {compareBytewise, entryPath, isExcluded} from './paths.js'
import {writeRelease, type Release} from './release-tar.js'
import {buildTree, type SourceEntry} from './tree.js'

/**
 * A local folder as a release (a checkout, a folder being developed). Symbolic links:
 * one pointing inside the folder is followed (the release holds a copy of the file or folder
 * it points to, as `cp -rL` makes: OCA's setup/ trees are such links); one pointing outside,
 * or to nothing, is refused, as are sockets, fifos and devices. Files are opened without
 * following links, so one swapped for a link during the snapshot cannot be read through.
 */
export interface DirectoryOptions {
  limits?: SourceLimits
}

export async function snapshotDirectory(dir: string, releasesDir: string, options: DirectoryOptions = {}): Promise<Release> {
  const root = resolve(dir)
  const info = await stat(root).catch(() => undefined)
  if (!info?.isDirectory()) {
    throw usageError('ADDONS_SOURCE_NOT_FOUND', `${root} ${info ? 'is not a directory' : 'does not exist'}.`, ['Give the folder that holds the modules (one subfolder per module).'], {path: root})
  }
  const refuse: Refuse = (entry, why) =>
    usageError('ADDONS_SOURCE_INVALID', `${join(root, entry)} ${why}.`, ['Releases take plain files and folders, and links that stay inside the folder: move or remove this one.'], {
      path: join(root, entry),
    })
  const budget = new Budget(options.limits, (entry, why) =>
    usageError('ADDONS_SOURCE_TOO_LARGE', `${join(root, entry)} ${why}.`, ['Give the folder of the modules only (not a whole checkout with its data, or a home folder).'], {path: join(root, entry)}),
  )
  const entries = await walk(root, await realpath(root), budget, refuse)
  return writeRelease(buildTree(entries, {label: `Folder ${root}`, refuse, budget}), releasesDir)
}

async function walk(root: string, realRoot: string, budget: Budget, refuse: Refuse): Promise<SourceEntry[]> {
  const entries: SourceEntry[] = []
  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel)).catch((error) => Promise.reject(unreadable(rel, error, refuse)))).sort(compareBytewise)
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`
      // Left out before reading: a .git folder can be far bigger than the modules.
      if (isExcluded(path)) continue
      const checked = entryPath(path)
      if ('problem' in checked || checked.path !== path) throw refuse(path, 'problem' in checked ? `has a name that ${checked.problem}` : 'has a name releases cannot hold')
      const abs = join(root, path)
      const info = await lstat(abs)
      if (info.isDirectory()) {
        budget.entry(path)
        entries.push({kind: 'dir', path})
        await visit(path)
      } else if (info.isFile()) {
        budget.file(path, info.size)
        entries.push({kind: 'file', path, size: info.size, executable: (info.mode & 0o111) !== 0, read: () => readRegularFile(abs, path, budget, refuse)})
      } else if (info.isSymbolicLink()) {
        budget.entry(path)
        entries.push({kind: 'link', path, target: await linkTarget(abs, path, realRoot, refuse)})
      } else {
        throw refuse(path, 'is a special file (socket, fifo or device)')
      }
    }
  }
  await visit('')
  return entries
}

/** Where a link points, as a path relative to its folder, once the system resolved it; refused outside the folder. */
async function linkTarget(abs: string, path: string, realRoot: string, refuse: Refuse): Promise<string> {
  let real: string
  try {
    real = await realpath(abs)
  } catch {
    throw refuse(path, `is a symbolic link to ${JSON.stringify(await readlink(abs).catch(() => '?'))}, which does not exist (or is a loop)`)
  }
  const inside = relative(realRoot, real)
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) throw refuse(path, `is a symbolic link to ${real}, outside the folder`)
  // Relative to the link's own folder, as a link's text is; buildTree resolves it in the tree.
  return posix.relative(posix.dirname(path), inside === '' ? '.' : inside.split(sep).join('/')) || '.'
}

async function readRegularFile(abs: string, path: string, budget: Budget, refuse: Refuse): Promise<Buffer> {
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' ? refuse(path, 'became a symbolic link while being read') : unreadable(path, error, refuse)
  })
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw refuse(path, 'is no longer a plain file')
    if (info.size > budget.limits.maxFileBytes) throw refuse(path, `grew to ${formatBytes(info.size)} while being read`)
    return await handle.readFile()
  } catch (error) {
    throw unreadable(path, error, refuse)
  } finally {
    await handle.close()
  }
}

/** A file or folder the system will not let us read (permissions, gone meanwhile): the user's to fix. */
function unreadable(path: string, error: unknown, refuse: Refuse): OdoopsError {
  if (isOdoopsError(error)) return error
  return refuse(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`)
}

import {accessSync, constants, mkdirSync, realpathSync, statfsSync, statSync, type Stats} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import {dirname, resolve, sep} from 'node:path'

/**
 * Directories odoops creates from paths people give (--state, ODOOPS_DATA_DIR, --path of a
 * local backup target, --output): checked before anything is created, so a careless or hostile
 * path fails at once with a sentence saying why, instead of a raw errno, a half-made tree, or
 * worse: Node's recursive mkdir loops for ever at 100% CPU (deaf to SIGINT, being synchronous)
 * on a path under /proc, whose directories answer ENOENT to mkdir however often it retries.
 *
 * The check walks up to the nearest existing ancestor and requires it to be a directory,
 * writable by this user (when something must be created in it), and on a real file system.
 *
 * "Real file system": the kernel's virtual file systems are refused two ways, because neither
 * alone is enough. statfs(2) names the file system type wherever it is mounted (a /proc bind
 * mounted into a container root, a second sysfs), so the pseudo file systems below are refused
 * by their magic number (Linux only: other systems number them differently). But devtmpfs, the
 * file system of /dev, reports the magic number of tmpfs, which is a legitimate place for files
 * (/tmp on many systems); so /proc, /sys and /dev are also refused by the real path (symlinks
 * resolved) of the nearest existing ancestor. /dev/shm, a tmpfs meant for files, stays allowed.
 */

/** Pseudo file systems (statfs f_type, linux/magic.h) where no data of odoops can live. */
const VIRTUAL_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x19800202, 'mqueue'],
])

/** Kernel trees refused by path (devtmpfs cannot be told from tmpfs by statfs). */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev']
const ALLOWED_UNDER_VIRTUAL = ['/dev/shm']

/** Longest path the kernel takes (PATH_MAX 4096, with its NUL). */
const MAX_PATH = 4095

export interface DirectoryCheckOptions {
  /** An existing directory must also be writable (it will be written into), not only a parent to create it in. */
  writable?: boolean
}

export interface EnsureDirOptions extends DirectoryCheckOptions {
  /** Permission bits of the directories created. */
  mode?: number
  /** The error to throw for a path that cannot be used; `problem` says why (a clause, no final period). */
  invalid: (problem: string) => Error
}

function within(path: string, root: string): boolean {
  return path === root || path.startsWith(root + '/')
}

/** Why `path` (as given, or resolved) is under /proc, /sys or /dev, or undefined. */
function prefixProblem(path: string, shown = path): string | undefined {
  if (sep !== '/' || ALLOWED_UNDER_VIRTUAL.some((root) => within(path, root))) return undefined
  const root = VIRTUAL_ROOTS.find((r) => within(path, r))
  return root ? `${shown === root ? root : `${shown} is under ${root}, which`} is a virtual file system of the kernel where no files can be kept` : undefined
}

/**
 * Why `target` would be on a kernel file system, or undefined: judged by its own path, by the
 * real path of `existing` (its nearest existing ancestor, or itself) and by that one's statfs type.
 */
function virtualProblem(existing: string, target = existing): string | undefined {
  let real = existing
  try {
    real = realpathSync(existing)
  } catch {
    // judge the path as given
  }
  const byPath = prefixProblem(target) ?? prefixProblem(real, existing)
  if (byPath) return byPath
  if (process.platform === 'linux') {
    try {
      const type = VIRTUAL_FS.get(Number(statfsSync(real).type))
      if (type) return `${existing} is on a ${type} file system, a virtual file system of the kernel where no files can be kept`
    } catch {
      // statfs unsupported here: the path check above stands
    }
  }
  return undefined
}

function writableProblem(dir: string): string | undefined {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
    return undefined
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'EROFS' ? `${dir} is on a read-only file system` : `${dir} is not writable by this user`
  }
}

function pathProblem(path: string): string | undefined {
  if (path === '') return 'the path is empty'
  if (path.includes('\0')) return 'the path contains a NUL character'
  if (path.length > MAX_PATH) return `the path is ${path.length} characters long (at most ${MAX_PATH})`
  return undefined
}

/** The nearest existing path at or above `path` and its stats (stat follows symlinks), or a problem. */
function nearestExisting(path: string): {path: string; stats: Stats} | {problem: string} {
  let current = path
  for (;;) {
    try {
      return {path: current, stats: statSync(current)}
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // ENOTDIR: a component above is a file; walking up finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return {problem: `${current} cannot be read (${code ?? (error as Error).message})`}
    }
    const parent = dirname(current)
    if (parent === current) return {problem: `no part of ${path} exists`}
    current = parent
  }
}

/**
 * Why the directory `dir` can neither be used as it is nor created, or undefined when it can.
 * Creates nothing.
 */
export function directoryProblem(dir: string, options: DirectoryCheckOptions = {}): string | undefined {
  const invalid = pathProblem(dir)
  if (invalid) return invalid
  const target = resolve(dir)
  const found = nearestExisting(target)
  if ('problem' in found) return found.problem
  const {path, stats} = found
  if (path === target) {
    if (!stats.isDirectory()) return `${target} exists and is not a directory`
    return virtualProblem(path) ?? (options.writable ? writableProblem(path) : undefined)
  }
  if (!stats.isDirectory()) return `${path} is not a directory, so ${target} cannot be created`
  return virtualProblem(path, target) ?? writableProblem(path)
}

/**
 * Why a new file cannot be written at `file` (written whole beside itself, then renamed over
 * it): its directory must exist, be writable and on a real file system; the file itself, when
 * it exists, must be a regular file. Creates nothing.
 */
export function outputFileProblem(file: string): string | undefined {
  const invalid = pathProblem(file)
  if (invalid) return invalid
  const target = resolve(file)
  let stats: Stats | undefined
  try {
    stats = statSync(target)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return `${target} cannot be read (${code ?? (error as Error).message})`
  }
  if (stats?.isDirectory()) return `${target} is a directory`
  if (stats && !stats.isFile()) return `${target} exists and is not a regular file`
  const parent = dirname(target)
  const found = nearestExisting(parent)
  if ('problem' in found) return found.problem
  if (found.path !== parent) return `the directory ${parent} does not exist`
  if (!found.stats.isDirectory()) return `${parent} is not a directory`
  return virtualProblem(parent, target) ?? writableProblem(parent)
}

/** Creates `dir` (and its missing parents) after directoryProblem found nothing wrong; else throws `options.invalid(problem)`. */
export function ensureDirSync(dir: string, options: EnsureDirOptions): string {
  const problem = directoryProblem(dir, options)
  if (problem) throw options.invalid(problem)
  const target = resolve(dir)
  try {
    mkdirSync(target, {recursive: true, ...(options.mode === undefined ? {} : {mode: options.mode})})
  } catch (error) {
    throw options.invalid(`${target} cannot be created (${(error as Error).message})`)
  }
  return target
}

/** The asynchronous form of ensureDirSync (the checks are a few stat calls, done synchronously). */
export async function ensureDir(dir: string, options: EnsureDirOptions): Promise<string> {
  const problem = directoryProblem(dir, options)
  if (problem) throw options.invalid(problem)
  const target = resolve(dir)
  try {
    await mkdir(target, {recursive: true, ...(options.mode === undefined ? {} : {mode: options.mode})})
  } catch (error) {
    throw options.invalid(`${target} cannot be created (${(error as Error).message})`)
  }
  return target
}

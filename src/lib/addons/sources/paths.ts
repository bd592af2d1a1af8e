/**
 * Paths inside a release: relative, POSIX, no `.` or `..` segments, no trailing slash. Every
 * source (directory, archive, git) turns its names into these through `entryPath`, so a name
 * that could land outside the folder a host unpacks into never reaches a release.
 */

/** Folders and files never shipped: VCS data, Python caches, macOS litter (Finder zips carry __MACOSX/). */
const EXCLUDED_NAMES = new Set(['.git', '__pycache__', '__MACOSX', '.DS_Store'])
const EXCLUDED_SUFFIXES = ['.pyc', '.pyo']

/** Whether a release leaves this path out (a folder's exclusion covers all it holds). */
export function isExcluded(path: string): boolean {
  const segments = path.split('/')
  if (segments.some((segment) => EXCLUDED_NAMES.has(segment))) return true
  const last = segments[segments.length - 1]
  return EXCLUDED_SUFFIXES.some((suffix) => last.endsWith(suffix))
}

export type EntryPath = {path: string} | {problem: string}

/**
 * The release path of a name found in a source, or why it is refused. `''` is the root itself
 * (`./` in tars). Redundant `./` and `//` are dropped; a trailing `/` is the caller's (folders).
 */
export function entryPath(name: string): EntryPath {
  if (name.includes('\0')) return {problem: 'holds a NUL byte'}
  // Control characters in a name are a terminal-escape trick at best.
  // eslint-disable-next-line no-control-regex -- the control characters are the point
  if (/[\u0001-\u001f\u007f]/.test(name)) return {problem: 'holds control characters'}
  if (name.includes('\\')) return {problem: 'holds a backslash (a Windows path separator, or a trick to hide a ..)'}
  if (name.startsWith('/')) return {problem: 'is an absolute path'}
  if (/^[A-Za-z]:/.test(name)) return {problem: 'is a Windows drive path'}
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.includes('..')) return {problem: 'climbs out of its folder with ..'}
  return {path: segments.join('/')}
}

/** Bytewise (UTF-8) order, the order of a release's entries: independent of locale and of JS's UTF-16 order. */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** `a/b/c` → `['a', 'a/b']`. */
export function parentsOf(path: string): string[] {
  const segments = path.split('/')
  const out: string[] = []
  for (let i = 1; i < segments.length; i++) out.push(segments.slice(0, i).join('/'))
  return out
}

/** Odoo imports a module as `odoo.addons.<name>`: a folder whose name is no Python identifier is no module. */
export function isModuleName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}

/** For messages: a name quoted with its control characters escaped, so it cannot drive the terminal. */
export function shown(name: string): string {
  return JSON.stringify(name)
}

import {usageError} from '../../errors.js'
import type {Budget, Refuse} from './limits.js'
import {compareBytewise, isExcluded, isModuleName, parentsOf, shown} from './paths.js'

/**
 * What every source gives, before it becomes a release: its entries as release paths (see
 * paths.ts), file contents read on demand. `buildTree` applies the rules shared by all
 * sources: exclusions, links resolved inside the tree, the wrapper folder, the modules.
 */
export interface SourceFile {
  kind: 'file'
  path: string
  /** Bytes, as the source declares them (checked against the limits before anything is read). */
  size: number
  executable: boolean
  /** The content; called once, when the release is written (in release order). */
  read: () => Promise<Buffer>
}
export type SourceEntry =
  | SourceFile
  | {kind: 'dir'; path: string}
  /** A symbolic link, `target` as stored in it (relative to the link's folder). */
  | {kind: 'link'; path: string; target: string}

export interface TreeContext {
  /** The source, for messages: `directory /srv/addons`, `archive oca.zip`, `git https://…@abc123`. */
  label: string
  /** The error for an entry the source cannot take. */
  refuse: Refuse
  /** Link copies count against the same limits as the source's own entries. */
  budget: Budget
}

/** The files of a release (folders are implied by them) by release path, and its modules. */
export interface ReleaseTree {
  files: Map<string, SourceFile>
  modules: string[]
}

export const MANIFEST = '__manifest__.py'
/** As the kernel's ELOOP: more links than this in one path is a loop, or close enough. */
const MAX_LINK_HOPS = 40

type Node = SourceEntry | {kind: 'dir'; path: string}

export function buildTree(entries: Iterable<SourceEntry>, context: TreeContext): ReleaseTree {
  const nodes = indexEntries(entries, context)
  const files = resolveLinks(nodes, context)
  return rootAndModules(files, context)
}

/** Entries by path, folders implied by their contents added; a path given twice, or as a file and a folder, is refused. */
function indexEntries(entries: Iterable<SourceEntry>, {refuse}: TreeContext): Map<string, Node> {
  const nodes = new Map<string, Node>([['', {kind: 'dir', path: ''}]])
  const add = (node: Node) => {
    const seen = nodes.get(node.path)
    if (seen === undefined) nodes.set(node.path, node)
    else if (seen.kind !== 'dir' || node.kind !== 'dir') throw refuse(node.path, 'appears twice (or as a file and as a folder)')
  }
  for (const entry of entries) {
    if (entry.path === '' || isExcluded(entry.path)) continue
    add(entry)
  }
  for (const node of [...nodes.values()]) {
    for (const parent of parentsOf(node.path)) {
      const seen = nodes.get(parent)
      if (seen === undefined) nodes.set(parent, {kind: 'dir', path: parent})
      else if (seen.kind !== 'dir') throw refuse(parent, `is a ${seen.kind === 'file' ? 'file' : 'link'} and also holds ${shown(node.path)}`)
    }
  }
  return nodes
}

/**
 * The files of the tree with every link replaced by what it points to, as `cp -rL` would:
 * a link to a file becomes a copy of the file, a link to a folder a copy of the folder.
 * Resolution is physical (a `..` after a link leaves the link's target, not the link's
 * folder) and never leaves the tree: a link out of it, to nothing, or into a loop is refused.
 */
function resolveLinks(nodes: Map<string, Node>, context: TreeContext): Map<string, SourceFile> {
  const {refuse, budget} = context
  const files = new Map<string, SourceFile>()
  // Children by folder, for copying a folder a link points to.
  const children = new Map<string, Node[]>()
  for (const node of nodes.values()) {
    if (node.path === '') continue
    const parent = node.path.includes('/') ? node.path.slice(0, node.path.lastIndexOf('/')) : ''
    if (!children.has(parent)) children.set(parent, [])
    children.get(parent)!.push(node)
  }

  /** The physical path `path` names, following links; `link` is the link being resolved, for messages. */
  const realPath = (path: string, link: string, hops = {count: 0}): string => {
    const done: string[] = []
    const segments = path.split('/')
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]
      if (segment === '' || segment === '.') continue
      if (segment === '..') {
        if (done.length === 0) throw refuse(link, 'is a link that points outside the tree')
        done.pop()
        continue
      }
      done.push(segment)
      const node = nodes.get(done.join('/'))
      if (node === undefined) throw refuse(link, `is a link to ${shown(path)}, which is not in the tree (or is left out of releases)`)
      if (node.kind === 'link') {
        if (++hops.count > MAX_LINK_HOPS) throw refuse(link, 'is a link in a loop of links')
        if (node.target.startsWith('/')) throw refuse(link, `is a link to the absolute path ${shown(node.target)}, outside the tree`)
        const resolved = realPath([...done.slice(0, -1), node.target].join('/'), link, hops)
        done.splice(0, done.length, ...(resolved === '' ? [] : resolved.split('/')))
      } else if (node.kind === 'file' && i < segments.length - 1 && segments.slice(i + 1).some((s) => s !== '' && s !== '.')) {
        throw refuse(link, `is a link through the file ${shown(done.join('/'))}`)
      }
    }
    return done.join('/')
  }

  const addFile = (path: string, file: SourceFile) => {
    files.set(path, {...file, path})
  }

  /** Copies what the link at real path `link` points to as `dest`; `expanding`: the links whose copy holds this one. */
  const expandLink = (link: string, target: string, dest: string, expanding: string[]) => {
    const parent = link.includes('/') ? link.slice(0, link.lastIndexOf('/')) : ''
    const real = realPath(parent === '' ? target : `${parent}/${target}`, link)
    const node = nodes.get(real)!
    if (node.kind === 'file') {
      addFile(dest, node)
      return
    }
    // A folder that holds a link being copied would be copied into itself, for ever.
    const within = (path: string) => real === '' || path === real || path.startsWith(`${real}/`)
    if ([...expanding, link].some(within)) throw refuse(link, `is a link to ${shown(real === '' ? '.' : real)}, which holds the link itself: a loop`)
    copyFolder(real, dest, [...expanding, link])
  }

  const copyFolder = (from: string, dest: string, expanding: string[]) => {
    for (const node of children.get(from) ?? []) {
      const name = node.path.slice(from === '' ? 0 : from.length + 1)
      const to = dest === '' ? name : `${dest}/${name}`
      // The source counted its own entries; copies made for links count here.
      if (expanding.length > 0) {
        if (node.kind === 'file') budget.file(to, node.size)
        else budget.entry(to)
      }
      if (node.kind === 'file') addFile(to, node)
      else if (node.kind === 'dir') copyFolder(node.path, to, expanding)
      else {
        if (node.target.startsWith('/')) throw refuse(node.path, `is a link to the absolute path ${shown(node.target)}, outside the tree`)
        expandLink(node.path, node.target, to, expanding)
      }
    }
  }

  copyFolder('', '', [])
  return files
}

/**
 * The wrapper folder rule: a tree with no module at its top but a single folder (GitHub's
 * `repo-17.0/` in archives, `module-17.0/` for a one-module repository) is that folder. A module given alone is refused rather than
 * wrapped: its folder name is its technical name, which an archive's name does not give.
 */
function rootAndModules(files: Map<string, SourceFile>, {label}: TreeContext): ReleaseTree {
  let tree = files
  if (modulesOf(tree).length === 0 && !tree.has(MANIFEST)) {
    const tops = new Set([...tree.keys()].map((path) => path.split('/')[0]))
    const [only] = tops
    if (tops.size === 1 && !tree.has(only)) {
      tree = new Map([...tree].map(([path, file]) => [path.slice(only.length + 1), {...file, path: path.slice(only.length + 1)}]))
    }
  }
  if (tree.has(MANIFEST)) {
    throw usageError('ADDONS_SOURCE_SINGLE_MODULE', `${label} is a single Odoo module (it has a ${MANIFEST} at its top), not a repository of modules.`, [
      'An addons repository is a folder OF modules: put the module\'s folder (named as the module) inside another folder, and give that one.',
    ])
  }
  const modules = modulesOf(tree)
  if (modules.length === 0) {
    throw usageError('ADDONS_SOURCE_EMPTY', `${label} holds no Odoo module: no folder at its top, named as a Python identifier, has a ${MANIFEST}.`, [
      'Give a folder of modules, as an OCA repository is: one subfolder per module, each with its __manifest__.py.',
    ])
  }
  return {files: tree, modules}
}

function modulesOf(files: Map<string, SourceFile>): string[] {
  const modules: string[] = []
  for (const path of files.keys()) {
    const [module, name, ...rest] = path.split('/')
    if (name === MANIFEST && rest.length === 0 && isModuleName(module)) modules.push(module)
  }
  return modules.sort(compareBytewise)
}

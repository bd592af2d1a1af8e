import {isAbsolute, join, relative, resolve} from 'node:path'
import {satisfies, validRange} from 'semver'
import {readPackAddons} from '../addons/packs.js'
import {PACK_API_VERSION, type PackManifest} from './api.js'

/**
 * An installed oclif plugin as odoops sees it: what `this.config.plugins` already holds
 * (name, root, type, package.json), so finding packs costs no file reads and imports no
 * pack code.
 */
export interface PluginDescriptor {
  name: string
  version: string
  root: string
  /** oclif's plugin type: core, user (installed), link (plugins link), dev. */
  type: string
  pjson: {name?: string; version?: string; odoops?: unknown; oclif?: {commands?: unknown; hooks?: Record<string, unknown>}}
  /** Its command ids (from its manifest), when known. */
  commands?: string[]
}

/** A problem of a pack, named so `plugins doctor` can show it and the rest can carry on. */
export interface PackProblem {
  /** What failed: the manifest, loading a module, a template, a metric, a step, questions, a check, a command. */
  area: 'manifest' | 'api' | 'load' | 'template' | 'metric' | 'step' | 'questions' | 'check' | 'hooks' | 'addons'
  /** The contribution concerned (a template file, a metric name…), when there is one. */
  subject?: string
  message: string
}

/** A pack found among the plugins: its manifest read and checked, nothing of it imported. */
export interface PackDescriptor {
  name: string
  version: string
  root: string
  type: string
  namespace: string
  commands: string[]
  manifest?: PackManifest
  problems: PackProblem[]
}

const NAMESPACE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/
const KEYS = new Set(['apiVersion', 'namespace', 'templates', 'metrics', 'steps', 'checks', 'addons', 'summary'])
/** Contribution keys that are paths inside the package. */
const PATH_KEYS = ['templates', 'metrics', 'steps', 'checks'] as const

/** `@odoops/wholesale` → `wholesale`, `odoops-pack-fieldservice` → `fieldservice`. */
export function defaultNamespace(packageName: string): string {
  return packageName.replace(/^@[^/]+\//, '').replace(/^odoops-pack-/, '').replace(/^odoops-/, '')
}

export function isPack(plugin: Pick<PluginDescriptor, 'pjson'>): boolean {
  return plugin.pjson.odoops !== undefined
}

/** Read and check a pack's `odoops` section; every problem is listed. */
export function readPackManifest(plugin: PluginDescriptor): PackDescriptor {
  const problems: PackProblem[] = []
  const raw = plugin.pjson.odoops
  const base = {name: plugin.name, version: plugin.version, root: plugin.root, type: plugin.type, commands: plugin.commands ?? []}
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {...base, namespace: defaultNamespace(plugin.name), problems: [{area: 'manifest', message: 'the "odoops" section of package.json must be an object'}]}
  }
  const section = raw as Record<string, unknown>
  for (const key of Object.keys(section)) if (!KEYS.has(key)) problems.push({area: 'manifest', message: `unknown key "odoops.${key}" (known: ${[...KEYS].join(', ')})`})
  const namespace = typeof section.namespace === 'string' ? section.namespace : defaultNamespace(plugin.name)
  if (!NAMESPACE.test(namespace) || namespace.length > 40) problems.push({area: 'manifest', message: `namespace "${namespace}" must be lowercase letters, digits and dashes`})
  if (['core', 'users', 'apps', 'storage', 'invoices', 'sales', 'pickings', 'odoops'].includes(namespace)) problems.push({area: 'manifest', message: `namespace "${namespace}" is reserved by odoops`})
  const apiVersion = section.apiVersion
  if (typeof apiVersion !== 'string') {
    problems.push({area: 'api', message: `missing "odoops.apiVersion": the range of the odoops pack API it supports, e.g. "^${PACK_API_VERSION.split('.')[0]}.0.0"`})
  } else {
    if (validRange(apiVersion) === null) problems.push({area: 'api', message: `"odoops.apiVersion" ${JSON.stringify(apiVersion)} is not a semver range`})
    else if (!satisfies(PACK_API_VERSION, apiVersion)) problems.push({area: 'api', message: `written for pack API ${apiVersion}; this odoops provides ${PACK_API_VERSION}: upgrade the pack (or odoops)`})
  }
  for (const key of PATH_KEYS) {
    const value = section[key]
    if (value === undefined) continue
    if (typeof value !== 'string' || value === '') {
      problems.push({area: 'manifest', message: `"odoops.${key}" must be a path inside the package`})
      continue
    }
    const full = resolve(plugin.root, value)
    const rel = relative(plugin.root, full)
    if (rel.startsWith('..') || isAbsolute(rel)) problems.push({area: 'manifest', message: `"odoops.${key}" (${value}) points outside the package`})
  }
  // Addon folders: a bad one is a problem of the pack, its other contributions still load.
  for (const message of readPackAddons({...base, namespace, addons: section.addons}).problems) problems.push({area: 'addons', message})
  if (section.summary !== undefined && typeof section.summary !== 'string') problems.push({area: 'manifest', message: '"odoops.summary" must be a string'})
  // A pack's own oclif hooks would run on every command, --help included: contributions are declarative instead.
  const hooks = plugin.pjson.oclif?.hooks
  if (hooks && Object.keys(hooks).length > 0) problems.push({area: 'hooks', message: `declares oclif hooks (${Object.keys(hooks).join(', ')}): they run on every odoops command and are not part of the pack API; use the "odoops" section instead`})
  const blocking = problems.some((p) => p.area === 'api' || p.area === 'manifest')
  return {...base, namespace, ...(blocking ? {} : {manifest: section as unknown as PackManifest}), problems}
}

/** Every pack among the plugins (plugins without an `odoops` section are not packs). */
export function discoverPacks(plugins: Iterable<PluginDescriptor>): PackDescriptor[] {
  const packs = [...plugins].filter(isPack).map(readPackManifest)
  // Two packs with one namespace would own the same names: the later ones are refused.
  const seen = new Map<string, string>()
  for (const pack of packs) {
    const owner = seen.get(pack.namespace)
    if (owner && owner !== pack.name) {
      pack.problems.push({area: 'manifest', message: `namespace "${pack.namespace}" is already used by ${owner}`})
      delete pack.manifest
    } else seen.set(pack.namespace, pack.name)
  }
  return packs.sort((a, b) => a.name.localeCompare(b.name))
}

export function packPath(pack: Pick<PackDescriptor, 'root'>, path: string): string {
  return join(pack.root, path)
}

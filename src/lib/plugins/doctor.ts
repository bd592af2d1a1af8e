import {readPackAddons} from '../addons/packs.js'
import {sourceLocation} from '../addons/views.js'
import {messageOf} from '../errors.js'
import {collectUsage} from '../meter/collect.js'
import {meterDay} from '../meter/day.js'
import {MetricRegistry} from '../meter/registry.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {PACK_API_VERSION} from './api.js'
import type {PackProblem, PluginDescriptor} from './discover.js'
import {discoverPacks} from './discover.js'
import {loadPack, type LoadedPack} from './load.js'
import {stepAppliesTo} from './steps.js'

export interface PackReport {
  name: string
  version: string
  namespace: string
  /** oclif's plugin type: user (installed), link, core. */
  type: string
  root: string
  apiVersion?: string
  ok: boolean
  templates: {name: string; valid: boolean}[]
  metrics: {name: string; unit: string; aggregation: string}[]
  steps: {name: string; position: string; templates: string[]}[]
  questions: string[]
  checks: string[]
  /** Addon repositories it ships (`odoops.addons`): name and folder. */
  addons: {repo: string; folder: string}[]
  commands: string[]
  problems: PackProblem[]
}

export interface DoctorReport {
  /** The pack API this odoops provides. */
  apiVersion: string
  packs: PackReport[]
  /** Packs with at least one problem. */
  broken: string[]
  /** The tenant the packs' metrics were tried on (read-only, nothing stored), when asked. */
  triedOn?: string
}

function reportOf(pack: LoadedPack): PackReport {
  return {
    name: pack.name,
    version: pack.version,
    namespace: pack.namespace,
    type: pack.type,
    root: pack.root,
    ...(pack.manifest ? {apiVersion: pack.manifest.apiVersion} : {}),
    ok: pack.problems.length === 0,
    templates: pack.templates.map((t) => ({name: t.name, valid: Boolean(t.template)})),
    metrics: pack.metrics.map((m) => ({name: m.name, unit: m.unit, aggregation: m.aggregation})),
    steps: pack.steps.map((s) => ({
      name: `${pack.namespace}/${s.name}`,
      position: s.before ? `before ${s.before}` : `after ${s.after ?? 'users'}`,
      templates: s.templates ? [...s.templates] : pack.templates.filter((t) => stepAppliesTo(pack, s, t)).map((t) => t.name),
    })),
    questions: pack.questions.flatMap((q) => q.questions.map((x) => `${x.id} → ${q.templates.join(', ')}`)),
    checks: pack.checks.map((c) => `${pack.namespace}/${c.name}`),
    addons: addonsOf(pack).map((r) => ({repo: r.repo, folder: r.folder})),
    commands: pack.commands.map((c) => c.replaceAll(':', ' ')),
    problems: pack.problems,
  }
}

function addonsOf(pack: LoadedPack) {
  return pack.manifest ? readPackAddons({...pack, addons: pack.manifest.addons}).repos : []
}

/**
 * Every pack with everything it contributes loaded and checked (templates against the core
 * schema, metrics like the core's, steps' positions, questions, checks). With a tenant, the
 * packs' metrics are also measured on it — read-only, through the same path as `meter
 * collect`, nothing stored — and a metric that fails there is a problem of its pack.
 */
export async function diagnosePacks(plugins: Iterable<PluginDescriptor>, options: {tenant?: TenantRecord; store?: StateStore; box?: SecretBox} = {}): Promise<DoctorReport> {
  const packs = await Promise.all(discoverPacks(plugins).map((pack) => loadPack(pack)))
  const registry = new MetricRegistry()
  const owners = new Map<string, LoadedPack>()
  for (const pack of packs) {
    for (const metric of pack.metrics) {
      try {
        registry.register(metric, {owner: pack.namespace})
        owners.set(metric.name, pack)
      } catch (error) {
        pack.problems.push({area: 'metric', subject: metric.name, message: messageOf(error)})
      }
    }
  }
  if (options.tenant && options.store && options.box && registry.list().length > 0) {
    // The meter's own collection, with snapshot storage turned off: a dry run.
    const store = options.store
    const readOnly = new Proxy(store, {get: (target, prop) => (prop === 'transaction' ? async () => undefined : Reflect.get(target, prop) as unknown)})
    const result = await collectUsage({store: readOnly, box: options.box, registry}, [options.tenant], {day: meterDay(undefined)})
    for (const tenant of result.results) {
      if (tenant.metrics.length === 0 && tenant.error) throw new Error(`could not measure ${tenant.tenant}: ${tenant.error.message}`)
      for (const reading of tenant.metrics.filter((m) => m.error !== undefined)) {
        owners.get(reading.metric)?.problems.push({area: 'metric', subject: reading.metric, message: `fails on tenant ${tenant.tenant}: ${reading.error}`})
      }
    }
  }
  // A repository the user registered under a pack's repository name is used instead of the pack's.
  if (options.store) {
    for (const pack of packs) {
      for (const declared of addonsOf(pack)) {
        const record = await options.store.addonRepos.get(declared.repo)
        if (record && record.source.kind !== 'pack') {
          pack.problems.push({area: 'addons', subject: declared.repo, message: `your addon repository ${declared.repo} (${sourceLocation(record.source)}) has the name of this pack's and is used instead: the pack's modules are not deployed. Remove yours (odoops addons repo remove ${declared.repo}) and add it again under another name`})
        }
      }
    }
  }
  const reports = packs.map(reportOf)
  return {apiVersion: PACK_API_VERSION, packs: reports, broken: reports.filter((p) => !p.ok).map((p) => p.name), ...(options.tenant ? {triedOn: options.tenant.id} : {})}
}

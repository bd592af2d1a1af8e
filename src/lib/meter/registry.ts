import {usageError} from '../errors.js'
import {AGGREGATIONS, type Metric, type MetricInfo} from './types.js'

/** `<namespace>.<name>[.<more>]`, lowercase letters, digits and `_`; 3 to 100 characters. */
const METRIC_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/
const UNIT = /^[a-z][a-z0-9_ /-]{0,31}$/

/** Namespaces of the metrics odoops itself measures; plugin packs register under their own. */
export const CORE_NAMESPACES: readonly string[] = ['users', 'apps', 'storage', 'invoices', 'sales', 'pickings']
export const CORE_OWNER = 'core'

export function namespaceOf(name: string): string {
  return name.split('.')[0]
}

/**
 * The metrics `meter collect` measures. A metric is a name, a unit, an aggregation, a
 * query version and a collector. odoops registers its core metrics; a plugin pack
 * (issue 9) registers its own with `register(metric, {owner: '<pack>'})`, under the
 * namespace `<pack>.` — it can neither take a core namespace nor replace another's metric,
 * so a snapshot's metric name always means one thing.
 */
export class MetricRegistry {
  private readonly metrics = new Map<string, {metric: Metric; owner: string}>()

  register(metric: Metric, options: {owner?: string} = {}): this {
    const owner = options.owner ?? CORE_OWNER
    const problem = validateMetric(metric, owner)
    if (problem) throw usageError('METRIC_INVALID', `Metric "${metric.name}" (${owner}) cannot be registered: ${problem}.`, [METRIC_HELP])
    const existing = this.metrics.get(metric.name)
    if (existing) {
      throw usageError('METRIC_DUPLICATE', `Metric "${metric.name}" is already registered by ${existing.owner}.`, ['Give the metric another name in your own namespace.'])
    }
    this.metrics.set(metric.name, {metric, owner})
    return this
  }

  get(name: string): Metric | undefined {
    return this.metrics.get(name)?.metric
  }

  has(name: string): boolean {
    return this.metrics.has(name)
  }

  /** Every metric, in registration order (core first). */
  list(): Metric[] {
    return [...this.metrics.values()].map((e) => e.metric)
  }

  info(): MetricInfo[] {
    return [...this.metrics.values()].map(({metric, owner}) => ({
      name: metric.name,
      unit: metric.unit,
      aggregation: metric.aggregation,
      queryVersion: metric.queryVersion,
      description: metric.description,
      scope: metric.scope,
      owner,
    }))
  }

  /** The named metrics (all when none named); an unknown name is a usage error listing the known ones. */
  select(names: readonly string[] = []): Metric[] {
    if (names.length === 0) return this.list()
    const unknown = names.filter((n) => !this.metrics.has(n))
    if (unknown.length > 0) {
      throw usageError('METRIC_UNKNOWN', `Unknown metric${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, [`Known metrics: ${[...this.metrics.keys()].join(', ')}`])
    }
    return [...new Set(names)].map((n) => this.metrics.get(n)!.metric)
  }
}

const METRIC_HELP = 'See docs/metering.md, "Adding a metric": name `<namespace>.<name>`, a unit, an aggregation (max, latest, average), an integer queryVersion >= 1 and a collector.'

/** Why `metric` cannot be registered by `owner`, or undefined when it can. */
export function validateMetric(metric: Metric, owner: string): string | undefined {
  if (!METRIC_NAME.test(metric.name) || metric.name.length > 100) return 'the name must look like `<namespace>.<name>` in lowercase letters, digits and _'
  const namespace = namespaceOf(metric.name)
  if (owner === CORE_OWNER) {
    if (!CORE_NAMESPACES.includes(namespace)) return `core metrics live in ${CORE_NAMESPACES.join(', ')}`
  } else {
    if (CORE_NAMESPACES.includes(namespace)) return `the namespace "${namespace}" belongs to odoops' core metrics`
    if (namespace !== owner.replaceAll('-', '_')) return `a plugin's metrics live in its own namespace ("${owner.replaceAll('-', '_')}.…")`
  }
  if (!UNIT.test(metric.unit)) return 'the unit must be a short lowercase word (users, bytes, invoices…)'
  if (!AGGREGATIONS.includes(metric.aggregation)) return `the aggregation must be one of ${AGGREGATIONS.join(', ')}`
  if (!Number.isInteger(metric.queryVersion) || metric.queryVersion < 1) return 'queryVersion must be an integer >= 1'
  if (!metric.description?.trim()) return 'it needs a description'
  if (metric.scope === 'database' && typeof metric.collect !== 'function') return 'a database metric needs collect(ctx)'
  if (metric.scope === 'host' && typeof metric.collectHost !== 'function') return 'a host metric needs collectHost(ctx)'
  if (metric.scope !== 'database' && metric.scope !== 'host') return 'scope must be "database" or "host"'
  return undefined
}

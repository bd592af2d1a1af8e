import {usageError} from '../errors.js'
import type {UsageSnapshot} from '../billing/types.js'
import type {StateStore} from '../state/store.js'
import {getTenant} from '../tenants/listing.js'
import {parseDate, utcToday} from './day.js'

/** Days shown when --from is not given. */
export const DEFAULT_SHOW_DAYS = 30

export interface SnapshotQuery {
  tenant: string
  from?: string
  to?: string
  metrics?: string[]
}

export interface SnapshotSeries {
  tenant: string
  from: string
  to: string
  /** Snapshots in the range, by date then metric. */
  snapshots: UsageSnapshot[]
}

/** The range asked for: --to defaults to today (UTC), --from to 29 days before --to. */
export function showRange(from: string | undefined, to: string | undefined, now: Date = new Date()): {from: string; to: string} {
  const end = to ?? utcToday(now)
  parseDate(end, '--to')
  const start = from ?? new Date(parseDate(end, '--to').getTime() - (DEFAULT_SHOW_DAYS - 1) * 86_400_000).toISOString().slice(0, 10)
  parseDate(start, '--from')
  if (start > end) throw usageError('METER_RANGE_INVALID', `--from ${start} is after --to ${end}.`, [`odoops meter show <slug> --from ${end} --to ${start}`])
  return {from: start, to: end}
}

/** A tenant's stored snapshots in a date range (YYYY-MM-DD strings compare in date order). */
export async function tenantSnapshots(store: Pick<StateStore, 'tenants' | 'usageSnapshots'>, query: SnapshotQuery, now: Date = new Date()): Promise<SnapshotSeries> {
  const range = showRange(query.from, query.to, now)
  // A removed tenant's history is still billable: look the tenant up only when nothing is stored.
  const all = (await store.usageSnapshots.list({tenant: query.tenant})) as UsageSnapshot[]
  if (all.length === 0) await getTenant(store, query.tenant)
  const wanted = query.metrics && query.metrics.length > 0 ? new Set(query.metrics) : undefined
  const snapshots = all
    .filter((s) => s.date >= range.from && s.date <= range.to && (!wanted || wanted.has(s.metric)))
    .sort((a, b) => a.date.localeCompare(b.date) || a.metric.localeCompare(b.metric))
  return {tenant: query.tenant, ...range, snapshots}
}

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']

/**
 * A one-line chart of a series: one block per value, scaled between the series' min and
 * max (a flat series is a row of middle blocks); `·` marks a day without a value.
 */
export function sparkline(values: readonly (number | undefined)[]): string {
  const present = values.filter((v): v is number => v !== undefined)
  if (present.length === 0) return ''
  const min = Math.min(...present)
  const max = Math.max(...present)
  return values
    .map((v) => {
      if (v === undefined) return '·'
      if (max === min) return BLOCKS[3]
      return BLOCKS[Math.round(((v - min) / (max - min)) * (BLOCKS.length - 1))]
    })
    .join('')
}

/** A horizontal bar of `width` cells for `value` out of `max` (eighth-cell resolution). */
export function bar(value: number, max: number, width = 40): string {
  if (max <= 0 || value <= 0) return ''
  const eighths = Math.round((value / max) * width * 8)
  const partial = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']
  return '█'.repeat(Math.floor(eighths / 8)) + partial[eighths % 8]
}

/** Every date from `from` to `to`, inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = []
  for (let t = parseDate(from).getTime(), end = parseDate(to).getTime(); t <= end; t += 86_400_000) dates.push(new Date(t).toISOString().slice(0, 10))
  return dates
}

/** metric → date → value. */
export function byMetric(snapshots: readonly UsageSnapshot[]): Map<string, Map<string, UsageSnapshot>> {
  const map = new Map<string, Map<string, UsageSnapshot>>()
  for (const s of snapshots) {
    if (!map.has(s.metric)) map.set(s.metric, new Map())
    map.get(s.metric)!.set(s.date, s)
  }
  return map
}

import {Decimal, dec} from './money.js'
import type {PlanMetric} from './plans/types.js'
import type {UsageSnapshot} from './types.js'

/** Bytes per unit: snapshots in bytes are priced in GB (10^9) or GiB (2^30) as the plan says. */
const BYTE_UNITS: Record<string, number> = {B: 1, byte: 1, bytes: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40}

/** A snapshot value in the plan's unit, or undefined when the units cannot be converted. */
export function convertUnit(value: Decimal, from: string, to: string | undefined): Decimal | undefined {
  if (to === undefined || from === to) return value
  const a = BYTE_UNITS[from]
  const b = BYTE_UNITS[to]
  if (a === undefined || b === undefined) return undefined
  return value.times(a).div(b)
}

export interface Aggregated {
  value: Decimal
  /** Days with a complete measurement (every source measured that day). */
  days: number
  /** Snapshot ids behind the value: the day of the max, the latest day, or the first and last day. */
  snapshots: string[]
}

export type AggregateResult = {ok: true; result: Aggregated} | {ok: false; reason: string}

/**
 * One quantity from the daily snapshots of a metric between two days (inclusive).
 * A metric with `sources` is their sum per day; a day counts only when every source was
 * measured that day. `average` is over the days measured (a day without a snapshot is not zero).
 */
export function aggregateMetric(name: string, metric: PlanMetric, snapshots: UsageSnapshot[], from: string, to: string): AggregateResult {
  const sources = metric.sources ?? [name]
  const byDay = new Map<string, Map<string, UsageSnapshot>>()
  for (const s of snapshots) {
    if (s.date < from || s.date > to || !sources.includes(s.metric)) continue
    const day = byDay.get(s.date) ?? new Map<string, UsageSnapshot>()
    day.set(s.metric, s)
    byDay.set(s.date, day)
  }
  const days: {date: string; value: Decimal; ids: string[]}[] = []
  for (const date of [...byDay.keys()].sort()) {
    const day = byDay.get(date)!
    if (sources.some((m) => !day.has(m))) continue
    let value = new Decimal(0)
    for (const m of sources) {
      const s = day.get(m)!
      const converted = convertUnit(dec(s.value), s.unit, metric.unit)
      if (!converted) return {ok: false, reason: `snapshot ${s.id} is in ${s.unit}, which odoops cannot convert to ${metric.unit}`}
      value = value.plus(converted)
    }
    days.push({date, value, ids: sources.map((m) => day.get(m)!.id)})
  }
  if (days.length === 0) return {ok: false, reason: `no snapshot of ${sources.join(' + ')} between ${from} and ${to}`}
  const first = days[0]
  const last = days.at(-1)!
  const ends = days.length === 1 ? first.ids : [...first.ids, ...last.ids]
  switch (metric.aggregation) {
    case 'max': {
      const top = days.reduce((a, b) => (b.value.gt(a.value) ? b : a))
      return {ok: true, result: {value: top.value, days: days.length, snapshots: top.ids}}
    }
    case 'latest':
      return {ok: true, result: {value: last.value, days: days.length, snapshots: last.ids}}
    case 'average':
      return {ok: true, result: {value: days.reduce((t, d) => t.plus(d.value), new Decimal(0)).div(days.length), days: days.length, snapshots: ends}}
    case 'sum':
      return {ok: true, result: {value: days.reduce((t, d) => t.plus(d.value), new Decimal(0)), days: days.length, snapshots: ends}}
  }
}

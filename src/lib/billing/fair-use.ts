import type {StateStore} from '../state/store.js'
import {aggregateMetric} from './aggregate.js'
import {formatQuantity} from './money.js'
import {parsePeriod, periodOf} from './period.js'
import type {PlanVersionRecord} from './plans/types.js'
import {versionForPeriod} from './plans/store.js'
import {customerOf, planHistoryOf, planOn, type BillableTenant} from './tenant-billing.js'
import type {UsageSnapshot} from './types.js'

export interface FairUseBreach {
  tenant: string
  customer: string
  plan: string
  planVersion: number
  metric: string
  /** The latest day's value; for `sum` metrics the month to date. */
  value: string
  threshold: string
  action: 'alert' | 'overage'
  /** The latest snapshot day. */
  date: string
  snapshots: string[]
}

export interface FairUseReport {
  /** Tenants with a plan that has fair-use thresholds. */
  checked: number
  over: FairUseBreach[]
  /** Thresholds that could not be checked (no snapshot of the metric). */
  notMeasured: {tenant: string; metric: string; reason: string}[]
}

/**
 * Tenants above their plan's fair-use thresholds, from their latest snapshots: the latest
 * day's value for level metrics, the month to date for `sum` metrics (per-day counts).
 */
export async function checkFairUse(store: StateStore): Promise<FairUseReport> {
  const report: FairUseReport = {checked: 0, over: [], notMeasured: []}
  const versions = new Map<string, PlanVersionRecord[]>()
  for (const r of (await store.plans.list()) as unknown as PlanVersionRecord[]) versions.set(r.plan, [...(versions.get(r.plan) ?? []), r])
  for (const tenant of ((await store.tenants.list()) as BillableTenant[]).sort((a, b) => a.id.localeCompare(b.id))) {
    const history = planHistoryOf(tenant)
    if (history.length === 0) continue
    const snapshots = (await store.usageSnapshots.list({tenant: tenant.id})) as unknown as UsageSnapshot[]
    const latest = snapshots.reduce<string | undefined>((max, s) => (!max || s.date > max ? s.date : max), undefined)
    const day = latest ?? new Date().toISOString().slice(0, 10)
    const assignment = planOn(history, day)
    if (!assignment) continue
    const all = versions.get(assignment.plan) ?? []
    const version = assignment.version === undefined ? versionForPeriod(all, parsePeriod(periodOf(day)).end) : all.find((v) => v.version === assignment.version)
    if (!version) continue
    const plan = version.definition
    const thresholds = plan.components.filter((c) => c.type === 'fair-use')
    if (thresholds.length === 0) continue
    report.checked++
    for (const c of thresholds) {
      const spec = plan.metrics?.[c.metric]
      if (!spec) continue
      const isSum = spec.aggregation === 'sum'
      const from = isSum ? parsePeriod(periodOf(day)).start : day
      const result = aggregateMetric(c.metric, {...spec, aggregation: isSum ? 'sum' : 'latest'}, snapshots, from, day)
      if (!result.ok) {
        report.notMeasured.push({tenant: tenant.id, metric: c.metric, reason: result.reason})
        continue
      }
      if (result.result.value.gt(c.threshold)) {
        report.over.push({
          tenant: tenant.id,
          customer: customerOf(tenant),
          plan: version.plan,
          planVersion: version.version,
          metric: c.metric,
          value: formatQuantity(result.result.value),
          threshold: String(c.threshold),
          action: c.action,
          date: day,
          snapshots: result.result.snapshots,
        })
      }
    }
  }
  return report
}

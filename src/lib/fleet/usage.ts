import {aggregateMetric} from '../billing/aggregate.js'
import {formatQuantity} from '../billing/money.js'
import {parsePeriod, periodOf} from '../billing/period.js'
import type {PlanVersionRecord} from '../billing/plans/types.js'
import {versionForPeriod} from '../billing/plans/store.js'
import {planHistoryOf, planOn, type BillableTenant} from '../billing/tenant-billing.js'
import type {UsageSnapshot} from '../billing/types.js'

/** One fair-use threshold of a tenant's plan and the usage measured against it. */
export interface FairUseCheck {
  metric: string
  /** Decimal string in the plan's unit (GB for storage.total in the shipped plans). */
  value: string
  threshold: number
  action: 'alert' | 'overage'
  over: boolean
  /** value / threshold, 0 when the threshold is 0 (for charts and sorting). */
  ratio: number
}

export interface TenantUsage {
  plan: string
  planVersion: number
  /** The day (or last day of the window) the values are for. */
  date: string
  checks: FairUseCheck[]
  /** Thresholds without the snapshots to check them. */
  notMeasured: {metric: string; reason: string}[]
}

/** Which days a check looks at. */
export type UsageWindow =
  /** `meter check`'s rule: the latest snapshot day; `sum` metrics over the month to date. */
  | {kind: 'latest'}
  /** A whole period, aggregated as the plan (and so the invoice) aggregates it. */
  | {kind: 'period'; period: string}

/** Plan versions grouped by plan id (from the `plans` collection). */
export function versionsByPlan(records: readonly PlanVersionRecord[]): Map<string, PlanVersionRecord[]> {
  const versions = new Map<string, PlanVersionRecord[]>()
  for (const r of records) versions.set(r.plan, [...(versions.get(r.plan) ?? []), r])
  return versions
}

/**
 * Pure: a tenant's usage against the fair-use thresholds of the plan in force. With the
 * `latest` window this is exactly `meter check` (src/lib/billing/fair-use.ts), with every
 * threshold kept (not only those exceeded). Null when the tenant has no plan, the plan is
 * not stored, or it has no fair-use threshold.
 */
export function tenantUsage(tenant: BillableTenant, snapshots: readonly UsageSnapshot[], versions: Map<string, PlanVersionRecord[]>, window: UsageWindow, today: string): TenantUsage | null {
  const history = planHistoryOf(tenant)
  if (history.length === 0) return null
  const own = snapshots.filter((s) => s.tenant === tenant.id)
  let from: string
  let to: string
  if (window.kind === 'period') {
    const p = parsePeriod(window.period)
    from = p.start
    to = p.end
  } else {
    to = own.reduce<string | undefined>((max, s) => (!max || s.date > max ? s.date : max), undefined) ?? today
    from = to
  }
  const assignment = planOn(history, to)
  if (!assignment) return null
  const all = versions.get(assignment.plan) ?? []
  const version = assignment.version === undefined ? versionForPeriod(all, parsePeriod(periodOf(to)).end) : all.find((v) => v.version === assignment.version)
  if (!version) return null
  const plan = version.definition
  const usage: TenantUsage = {plan: version.plan, planVersion: version.version, date: to, checks: [], notMeasured: []}
  for (const c of plan.components) {
    if (c.type !== 'fair-use') continue
    const spec = plan.metrics?.[c.metric]
    if (!spec) continue
    const isSum = spec.aggregation === 'sum'
    // Latest window: the day's level, or the month to date for per-day counts (as meter check).
    const result =
      window.kind === 'latest'
        ? aggregateMetric(c.metric, {...spec, aggregation: isSum ? 'sum' : 'latest'}, [...own], isSum ? parsePeriod(periodOf(to)).start : to, to)
        : aggregateMetric(c.metric, spec, [...own], from, to)
    if (!result.ok) {
      usage.notMeasured.push({metric: c.metric, reason: result.reason})
      continue
    }
    const value = result.result.value
    usage.checks.push({
      metric: c.metric,
      value: formatQuantity(value),
      threshold: c.threshold,
      action: c.action,
      over: value.gt(c.threshold),
      ratio: c.threshold > 0 ? Math.round(value.div(c.threshold).toNumber() * 1000) / 1000 : 0,
    })
  }
  return usage.checks.length + usage.notMeasured.length > 0 ? usage : null
}

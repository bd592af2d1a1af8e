import type {StateStore} from '../state/store.js'
import {formatQuantity} from './money.js'
import {suggestNextTier, type TierSuggestion} from './next-tier.js'
import {parsePeriod, periodOf} from './period.js'
import type {PlanVersionRecord} from './plans/types.js'
import {checkThresholds} from './thresholds.js'
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
  /** One per tenant over: the plan to move it to and the monthly price difference. */
  suggestions: TierSuggestion[]
}

/**
 * Tenants above their plan's fair-use thresholds, from their latest snapshots: the latest
 * day's value for level metrics, the month to date for `sum` metrics (per-day counts). For
 * each tenant over, the next tier: the plan its usage fits (next-tier.ts).
 */
export async function checkFairUse(store: StateStore): Promise<FairUseReport> {
  const report: FairUseReport = {checked: 0, over: [], notMeasured: [], suggestions: []}
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
    if (!plan.components.some((c) => c.type === 'fair-use')) continue
    report.checked++
    const check = checkThresholds(plan, snapshots, day)
    for (const n of check.notMeasured) report.notMeasured.push({tenant: tenant.id, ...n})
    for (const o of check.over) {
      report.over.push({
        tenant: tenant.id,
        customer: customerOf(tenant),
        plan: version.plan,
        planVersion: version.version,
        metric: o.component.metric,
        value: formatQuantity(o.value),
        threshold: String(o.component.threshold),
        action: o.component.action,
        date: day,
        snapshots: o.snapshots,
      })
    }
    if (check.over.length > 0) {
      report.suggestions.push(suggestNextTier({tenant: tenant.id, customer: customerOf(tenant), current: version, metrics: check.over.map((o) => o.component.metric), overageOnly: check.over.every((o) => o.component.action === 'overage'), snapshots, day, versions}))
    }
  }
  return report
}

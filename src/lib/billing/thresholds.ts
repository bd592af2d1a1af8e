import {aggregateMetric} from './aggregate.js'
import type {Decimal} from './money.js'
import {parsePeriod, periodOf} from './period.js'
import type {FairUseComponent, PlanDefinition} from './plans/types.js'
import type {UsageSnapshot} from './types.js'

/** The fair-use thresholds of a plan the usage is over, on a day (and those without a snapshot to check). */
export interface ThresholdCheck {
  over: {component: FairUseComponent; value: Decimal; snapshots: string[]}[]
  notMeasured: {metric: string; reason: string}[]
}

/**
 * Check a plan's fair-use thresholds (alert and overage) against a tenant's snapshots on a day:
 * that day's value for level metrics, the month to date for `sum` metrics (per-day counts).
 */
export function checkThresholds(plan: PlanDefinition, snapshots: UsageSnapshot[], day: string): ThresholdCheck {
  const check: ThresholdCheck = {over: [], notMeasured: []}
  for (const c of plan.components) {
    if (c.type !== 'fair-use') continue
    const spec = plan.metrics?.[c.metric]
    if (!spec) continue
    const isSum = spec.aggregation === 'sum'
    const from = isSum ? parsePeriod(periodOf(day)).start : day
    const result = aggregateMetric(c.metric, {...spec, aggregation: isSum ? 'sum' : 'latest'}, snapshots, from, day)
    if (!result.ok) check.notMeasured.push({metric: c.metric, reason: result.reason})
    else if (result.result.value.gt(c.threshold)) check.over.push({component: c, value: result.result.value, snapshots: result.result.snapshots})
  }
  return check
}


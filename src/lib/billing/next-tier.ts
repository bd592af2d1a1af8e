/**
 * What to do about a fair-use breach: the next tier. For a tenant over a threshold of its plan,
 * every other stored plan in the same currency (the version that would rate this month) is
 * tried against the tenant's usage: a plan fits when the usage breaches none of its fair-use
 * thresholds and it rates without a problem (no metric missing, no quantity above a last band
 * with a limit). Of the plans that fit, the one with the lowest monthly price at this month's
 * usage is the suggestion: a per-user tenant over its storage alert goes to the plan that
 * includes the storage (an unlimited plan, an infrastructure band, a hybrid plan with a
 * dedicated environment), whichever costs least.
 *
 * Prices are net, per month, from the month's snapshots so far (the plan's own aggregations),
 * as if the plan were in force the whole month: `monthly` of the suggestion, `currentMonthly`
 * of the current plan (overage included), and their difference (negative: the move is cheaper).
 */
import {formatMoney, sum, type Decimal} from './money.js'
import {parsePeriod, periodOf} from './period.js'
import {versionForPeriod} from './plans/store.js'
import type {PlanKind, PlanVersionRecord} from './plans/types.js'
import {rateInterval} from './rate.js'
import {checkThresholds} from './thresholds.js'
import type {UsageSnapshot} from './types.js'

export interface NextTier {
  plan: string
  planVersion: number
  name: string
  kind: PlanKind
  /** Net monthly price under that plan at this month's usage so far. */
  monthly: string
  /** monthly − currentMonthly (negative when the move is cheaper); null when the current plan cannot be priced. */
  difference: string | null
  /** The command that moves the tenant (from today; a mid-month change prorates both plans). */
  command: string
}

export interface TierSuggestion {
  tenant: string
  customer: string
  /** The plan the tenant is on. */
  plan: string
  planVersion: number
  currency: string
  /** Net monthly price of the current plan at this month's usage (overage included); null when it cannot be rated. */
  currentMonthly: string | null
  /** The metrics over their thresholds. */
  metrics: string[]
  /** Every breach is an overage the current plan bills: staying is an option (compare the prices). */
  overageOnly: boolean
  /** The cheapest other plan the usage fits, or null when none does. */
  next: NextTier | null
  /** Why there is no suggestion. */
  reason?: string
}

export interface SuggestInput {
  tenant: string
  customer: string
  current: PlanVersionRecord
  metrics: string[]
  /** Whether every breach is an overage (billed) rather than an alert. */
  overageOnly?: boolean
  /** The tenant's snapshots (any dates; the month of `day` is used). */
  snapshots: UsageSnapshot[]
  /** The latest snapshot day. */
  day: string
  /** Every stored plan version, by plan id. */
  versions: Map<string, PlanVersionRecord[]>
}

/** A plan's net price for the month of `day`, as if in force all month, from the month's snapshots up to `day`. */
export function monthlyPrice(version: PlanVersionRecord, tenant: string, snapshots: UsageSnapshot[], day: string): {ok: true; amount: Decimal} | {ok: false; reason: string} {
  const period = parsePeriod(periodOf(day))
  const month = snapshots.filter((s) => s.date >= period.start && s.date <= day)
  const rated = rateInterval({tenant, plan: version, snapshots: month, period, from: period.start, to: period.end})
  if (rated.problems.length > 0) return {ok: false, reason: rated.problems[0].message}
  return {ok: true, amount: sum(rated.lines.map((l) => l.netAmount))}
}

export function suggestNextTier(input: SuggestInput): TierSuggestion {
  const {tenant, current, snapshots, day} = input
  const currency = current.definition.currency
  const period = parsePeriod(periodOf(day))
  const now = monthlyPrice(current, tenant, snapshots, day)
  const base = {
    tenant,
    customer: input.customer,
    plan: current.plan,
    planVersion: current.version,
    currency,
    currentMonthly: now.ok ? formatMoney(now.amount, currency) : null,
    metrics: [...new Set(input.metrics)],
    overageOnly: input.overageOnly ?? false,
  }
  const fits: {version: PlanVersionRecord; amount: Decimal}[] = []
  for (const [id, all] of [...input.versions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (id === current.plan) continue
    const version = versionForPeriod(all, period.end)
    if (!version || version.definition.currency !== currency) continue
    if (checkThresholds(version.definition, snapshots, day).over.length > 0) continue
    const price = monthlyPrice(version, tenant, snapshots, day)
    if (price.ok) fits.push({version, amount: price.amount})
  }
  const best = fits.reduce<(typeof fits)[number] | undefined>((a, b) => (!a || b.amount.lt(a.amount) ? b : a), undefined)
  if (!best) {
    return {
      ...base,
      next: null,
      reason: `no other ${currency} plan takes this usage without a fair-use breach: write one (a bands plan, or a hybrid plan with a dedicated environment) and store it with odoops plan apply <file>`,
    }
  }
  const v = best.version
  return {
    ...base,
    next: {
      plan: v.plan,
      planVersion: v.version,
      name: v.definition.name,
      kind: v.definition.kind,
      monthly: formatMoney(best.amount, currency),
      difference: now.ok ? formatMoney(best.amount.minus(now.amount), currency) : null,
      command: `odoops tenant set-plan ${tenant} ${v.plan}`,
    },
  }
}

/** `+120.00` / `-136.80`: a difference as people read it. */
export function signedAmount(amount: string): string {
  return amount.startsWith('-') ? amount : `+${amount}`
}

/** `beta: next tier infra-bands (Infrastructure (bands), bands): 162.00 EUR/month at this month's usage, -136.80 vs standard-per-user (298.80) — odoops tenant set-plan beta infra-bands` */
export function describeSuggestion(s: TierSuggestion): string {
  if (!s.next) return `${s.tenant}: over ${s.metrics.join(', ')} of ${s.plan}, ${s.reason ?? 'no other plan fits'}.`
  const n = s.next
  const versus = n.difference === null ? '' : `, ${signedAmount(n.difference)} vs ${s.plan} (${s.currentMonthly})`
  const staying = s.overageOnly && n.difference !== null && Number(n.difference) > 0 ? `; staying on ${s.plan} bills the overage and costs less` : ''
  return `${s.tenant}: next tier ${n.plan} (${n.name}, ${n.kind}): ${n.monthly} ${s.currency}/month at this month's usage${versus}${staying} — ${n.command}`
}

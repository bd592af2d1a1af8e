import {aggregateMetric, type Aggregated} from './aggregate.js'
import {Decimal, dec, formatMoney, formatQuantity, formatUnitPrice} from './money.js'
import {daysInclusive, maxDate, minDate, addDays, type BillingPeriod} from './period.js'
import {DEFAULT_USER_METRIC, metricOf} from './plans/rules.js'
import type {Band, BandsComponent, FairUseComponent, PerUserComponent, PlanComponent, PlanDefinition, PlanVersionRecord} from './plans/types.js'
import {versionForPeriod} from './plans/store.js'
import type {PlanAssignment} from './tenant-billing.js'
import type {InvoiceLine, LineSource, UsageSnapshot} from './types.js'

/**
 * Rating: pure functions from (plan version, snapshots, period, plan history) to invoice
 * lines. Rules (docs/billing.md):
 * - proration factor f = days the plan was in force / days in the period;
 * - flat fees, add-ons, per-user prices and band flat prices are monthly: quantity × f;
 * - quantities of level metrics (max, latest, average) are prorated (× f); quantities of
 *   `sum` metrics already cover only the days in force, so they are not, and the fair-use
 *   threshold of a `sum` metric is prorated instead;
 * - every line's net amount is the exact quantity × unit price, rounded half-up to the
 *   currency's minor unit (line-level rounding); the stored quantity keeps 6 decimals.
 */
export type RatedLine = Omit<InvoiceLine, 'position'>

export interface RatingProblem {
  tenant: string
  message: string
  suggestion?: string
}

export interface RatedPlan {
  plan: string
  version: number
  currency: string
  from: string
  to: string
}

export interface RatingResult {
  lines: RatedLine[]
  problems: RatingProblem[]
  /** The plan versions used and the days each was in force. */
  plans: RatedPlan[]
}

export interface TaxChoice {
  category: string
  percent: string
}

export interface IntervalInput {
  tenant: string
  plan: Pick<PlanVersionRecord, 'plan' | 'version' | 'definition'>
  snapshots: UsageSnapshot[]
  period: BillingPeriod
  /** Days (inclusive) of the period the plan was in force. */
  from: string
  to: string
  /** The customer's tax override (reverse charge…), instead of the plan's. */
  tax?: TaxChoice
}

const metricLabel = (plan: PlanDefinition, metric: string): string =>
  plan.metrics?.[metric]?.description ?? (metric === DEFAULT_USER_METRIC ? 'Internal users' : metric)

function bandLabel(bands: Band[], index: number): string {
  const lower = index === 0 ? 0 : bands[index - 1].upTo!
  const upper = bands[index].upTo
  return upper === undefined ? `above ${lower}` : `${lower}–${upper}`
}

/** What the lines of one interval share, and where its lines and problems are collected. */
interface IntervalRating {
  input: IntervalInput
  plan: PlanDefinition
  /** Proration factor: days in force / days in the period. */
  f: Decimal
  /** Suffix of every line's description when the plan was in force only part of the period. */
  prorated: string
  tax: TaxChoice
  base: LineSource
  lines: RatedLine[]
  problems: RatingProblem[]
  /** Each metric is aggregated once per interval, however many components use it. */
  measured: Map<string, Aggregated>
}

/** Lines of one plan over the days it was in force for one tenant. */
export function rateInterval(input: IntervalInput): {lines: RatedLine[]; problems: RatingProblem[]} {
  const rating = startRating(input)
  for (const component of rating.plan.components) {
    const metric = metricOf(component)
    // Alert-only thresholds bill nothing and need no measurement here (meter check reads them).
    if (component.type === 'fair-use' && component.action === 'alert') continue
    const m = metric === undefined ? undefined : measure(rating, metric)
    if (metric !== undefined && !m) continue
    rateComponent(rating, component, m)
  }
  return {lines: rating.lines, problems: rating.problems}
}

function startRating(input: IntervalInput): IntervalRating {
  const {tenant, period} = input
  const plan = input.plan.definition
  const daysActive = daysInclusive(input.from, input.to)
  return {
    input,
    plan,
    f: new Decimal(daysActive).div(period.days),
    prorated: daysActive < period.days ? ` (${daysActive}/${period.days} days)` : '',
    tax: input.tax ?? {category: plan.tax.category, percent: dec(plan.tax.percent).toFixed()},
    base: {tenant, plan: input.plan.plan, planVersion: input.plan.version, daysActive, daysInPeriod: period.days},
    lines: [],
    problems: [],
    measured: new Map(),
  }
}

function addLine(rating: IntervalRating, description: string, quantity: Decimal, unitCode: string, unitPrice: Decimal, source: Partial<LineSource> = {}): void {
  const currency = rating.plan.currency
  rating.lines.push({
    description: `${rating.input.tenant}: ${description}${rating.prorated}`,
    quantity: formatQuantity(quantity),
    unitCode,
    unitPrice: formatUnitPrice(unitPrice, currency),
    netAmount: formatMoney(quantity.times(unitPrice), currency),
    taxCategory: rating.tax.category,
    taxPercent: rating.tax.percent,
    source: {...rating.base, ...source},
  })
}

/** The metric's aggregate over the interval, or undefined (and a problem recorded) when it cannot be rated. */
function measure(rating: IntervalRating, metric: string): Aggregated | undefined {
  const {input, plan, problems, measured} = rating
  const {tenant} = input
  if (measured.has(metric)) return measured.get(metric)
  const spec = plan.metrics?.[metric]
  if (!spec) {
    problems.push({tenant, message: `plan ${input.plan.plan} v${input.plan.version} uses metric ${metric} without declaring its aggregation`})
    return undefined
  }
  const result = aggregateMetric(metric, spec, input.snapshots, input.from, input.to)
  if (!result.ok) {
    problems.push({tenant, message: `cannot rate ${metric} for plan ${input.plan.plan}: ${result.reason}`, suggestion: `odoops meter collect ${tenant} (or odoops meter show ${tenant} --metric ${metric})`})
    return undefined
  }
  measured.set(metric, result.result)
  return result.result
}

function metricSource(plan: PlanDefinition, metric: string, m: Aggregated): Partial<LineSource> {
  return {
    metric,
    aggregation: plan.metrics![metric].aggregation,
    snapshots: m.snapshots,
    measured: formatQuantity(m.value),
  }
}

/** `m` is the component's measured metric; only flat fees and add-ons have none. */
function rateComponent(rating: IntervalRating, component: PlanComponent, m: Aggregated | undefined): void {
  const {f} = rating
  switch (component.type) {
    case 'flat':
      addLine(rating, component.description, f, 'MON', dec(component.price))
      return
    case 'addon':
      addLine(rating, component.description, dec(component.quantity ?? 1).times(f), 'C62', dec(component.price), {})
      return
    case 'per-user':
      ratePerUser(rating, component, m!)
      return
    case 'fair-use':
      rateFairUse(rating, component, m!)
      return
    case 'bands':
      rateBands(rating, component, m!)
  }
}

function ratePerUser(rating: IntervalRating, component: PerUserComponent, m: Aggregated): void {
  const {plan, f} = rating
  const metric = component.metric ?? DEFAULT_USER_METRIC
  const minimum = new Decimal(component.minimum ?? 0)
  const users = Decimal.max(m.value, minimum)
  const detail = users.eq(m.value) ? `${formatQuantity(m.value)}` : `${formatQuantity(m.value)}, minimum ${component.minimum}`
  addLine(rating, `${component.description ?? metricLabel(plan, metric)} (${detail})`, users.times(f), plan.metrics![metric].unitCode ?? 'C62', dec(component.price), metricSource(plan, metric, m))
}

function rateFairUse(rating: IntervalRating, component: FairUseComponent, m: Aggregated): void {
  const {plan, f} = rating
  const spec = plan.metrics![component.metric]
  const isSum = spec.aggregation === 'sum'
  const threshold = isSum ? dec(component.threshold).times(f) : dec(component.threshold)
  const over = Decimal.max(m.value.minus(threshold), 0)
  if (over.isZero()) return
  const quantity = isSum ? over : over.times(f)
  addLine(
    rating,
    `${component.description ?? metricLabel(plan, component.metric)} above fair use ${formatQuantity(threshold)} (measured ${formatQuantity(m.value)})`,
    quantity,
    spec.unitCode ?? 'C62',
    dec(component.price!),
    metricSource(plan, component.metric, m),
  )
}

/** What every line of one bands component shares. */
interface BandsRating {
  rating: IntervalRating
  bands: Band[]
  /** Quantity factor: `sum` quantities already cover only the days in force. */
  qf: Decimal
  label: string
  unit: string
  unitCode: string
  q: Decimal
  source: Partial<LineSource>
}

function rateBands(rating: IntervalRating, component: BandsComponent, m: Aggregated): void {
  const {plan, f, input} = rating
  const spec = plan.metrics![component.metric]
  const bands: BandsRating = {
    rating,
    bands: component.bands,
    qf: spec.aggregation === 'sum' ? new Decimal(1) : f,
    label: component.description ?? metricLabel(plan, component.metric),
    unit: spec.unit ? ` ${spec.unit}` : '',
    unitCode: spec.unitCode ?? 'C62',
    q: m.value,
    source: metricSource(plan, component.metric, m),
  }
  const q = m.value
  const last = component.bands.at(-1)!
  if (last.upTo !== undefined && q.gt(last.upTo)) {
    rating.problems.push({tenant: input.tenant, message: `${component.metric} = ${formatQuantity(q)} is above the last band of plan ${input.plan.plan} (up to ${last.upTo})`, suggestion: 'Add a band without upTo to the plan, or move the tenant to another plan.'})
    return
  }
  if (component.mode === 'volume') rateVolumeBand(bands)
  else rateGraduatedBands(bands)
}

/** volume: the whole quantity at the price of the band it falls in. */
function rateVolumeBand({rating, bands, qf, label, unit, unitCode, q, source}: BandsRating): void {
  const index = bands.findIndex((b) => b.upTo === undefined || q.lte(b.upTo))
  const band = bands[index]
  const name = `${label}: ${formatQuantity(q)}${unit}, band ${bandLabel(bands, index)}`
  if (band.unitPrice !== undefined) addLine(rating, name, q.times(qf), unitCode, dec(band.unitPrice), source)
  if (band.flatPrice !== undefined) addLine(rating, `${name}, band fee`, rating.f, 'MON', dec(band.flatPrice), source)
}

/** graduated: each unit at the price of the band it falls in; a band's fee once the quantity reaches it. */
function rateGraduatedBands({rating, bands, qf, label, unit, unitCode, q, source}: BandsRating): void {
  let lower = new Decimal(0)
  for (const [index, band] of bands.entries()) {
    if (index > 0 && q.lte(lower)) break
    const upper = band.upTo === undefined ? q : Decimal.min(q, band.upTo)
    const units = Decimal.max(upper.minus(lower), 0)
    const name = `${label}: band ${bandLabel(bands, index)}${unit}`
    if (band.unitPrice !== undefined) addLine(rating, `${name}, ${formatQuantity(units)}${unit}`, units.times(qf), unitCode, dec(band.unitPrice), source)
    if (band.flatPrice !== undefined) addLine(rating, `${name}, band fee`, rating.f, 'MON', dec(band.flatPrice), source)
    if (band.upTo === undefined) break
    lower = new Decimal(band.upTo)
  }
}

export interface PlanInterval {
  assignment: PlanAssignment
  from: string
  to: string
}

/** The days of the period each plan of the history was in force, from the tenant's first day. */
export function planIntervals(history: PlanAssignment[], tenantStart: string | undefined, period: BillingPeriod): PlanInterval[] {
  const sorted = [...history].sort((a, b) => a.from.localeCompare(b.from))
  const out: PlanInterval[] = []
  sorted.forEach((assignment, i) => {
    const next = sorted[i + 1]
    const from = maxDate(maxDate(assignment.from, period.start), tenantStart ?? period.start)
    const to = minDate(next ? addDays(next.from, -1) : period.end, period.end)
    if (from <= to) out.push({assignment, from, to})
  })
  return out
}

export interface TenantRatingInput {
  tenant: string
  /** The tenant's first day (creation); days before it are not billed. */
  start?: string
  history: PlanAssignment[]
  /** Every stored version, by plan id. */
  versions: Record<string, PlanVersionRecord[]>
  snapshots: UsageSnapshot[]
  period: BillingPeriod
  tax?: TaxChoice
}

/** Lines of one tenant for one period: every plan it was on, each for its days. */
export function rateTenant(input: TenantRatingInput): RatingResult {
  const result: RatingResult = {lines: [], problems: [], plans: []}
  for (const interval of planIntervals(input.history, input.start, input.period)) {
    const {plan, version: pinned} = interval.assignment
    const versions = input.versions[plan] ?? []
    const chosen = pinned === undefined ? versionForPeriod(versions, input.period.end) : versions.find((v) => v.version === pinned)
    if (!chosen) {
      result.problems.push({
        tenant: input.tenant,
        message: `plan ${plan}${pinned === undefined ? '' : ` version ${pinned}`} is not in the state store`,
        suggestion: `odoops plan apply <file> for plan ${plan}, or odoops tenant set-plan ${input.tenant} <plan> --from ${interval.from}`,
      })
      continue
    }
    const rated = rateInterval({tenant: input.tenant, plan: chosen, snapshots: input.snapshots, period: input.period, from: interval.from, to: interval.to, tax: input.tax})
    result.lines.push(...rated.lines)
    result.problems.push(...rated.problems)
    result.plans.push({plan: chosen.plan, version: chosen.version, currency: chosen.definition.currency, from: interval.from, to: interval.to})
  }
  return result
}

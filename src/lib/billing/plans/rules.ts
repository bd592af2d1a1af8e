import {dec, isKnownCurrency} from '../money.js'
import type {PlanComponent, PlanDefinition, PlanKind} from './types.js'

export interface PlanRuleIssue {
  path: string
  message: string
}

/** Which component types each kind allows, and how many of each. */
const COMPOSITION: Record<PlanKind, {allowed: PlanComponent['type'][]; exactlyOne?: PlanComponent['type'][]; atLeastOne?: PlanComponent['type'][]; atMostOne?: PlanComponent['type'][]}> = {
  'per-user': {allowed: ['per-user', 'fair-use'], exactlyOne: ['per-user']},
  unlimited: {allowed: ['flat', 'fair-use'], exactlyOne: ['flat'], atLeastOne: ['fair-use']},
  bands: {allowed: ['bands', 'fair-use'], atLeastOne: ['bands']},
  hybrid: {allowed: ['flat', 'addon', 'per-user', 'fair-use', 'bands'], exactlyOne: ['flat'], atMostOne: ['per-user']},
}

/** EN 16931: every category but S, L and M carries a 0 % rate (BR-Z-05, BR-E-05, BR-AE-05, BR-IC-05, BR-G-05, BR-O-05). */
const ZERO_RATE_CATEGORIES = new Set(['Z', 'E', 'AE', 'K', 'G', 'O'])

export const DEFAULT_USER_METRIC = 'users.internal'

/** The metric a component reads, if any. */
export function metricOf(component: PlanComponent): string | undefined {
  if (component.type === 'per-user') return component.metric ?? DEFAULT_USER_METRIC
  if (component.type === 'fair-use' || component.type === 'bands') return component.metric
  return undefined
}

/** Checks beyond the JSON Schema, each with the JSON path it is about. Assumes a schema-valid plan. */
export function planRuleIssues(plan: PlanDefinition): PlanRuleIssue[] {
  const issues: PlanRuleIssue[] = []
  if (!isKnownCurrency(plan.currency)) issues.push({path: '/currency', message: `"${plan.currency}" is not an ISO 4217 currency (EUR, USD, JPY, KWD…)`})

  const percent = dec(plan.tax.percent)
  if (percent.gt(100)) issues.push({path: '/tax/percent', message: 'must be at most 100'})
  if (plan.tax.category === 'S' && percent.isZero()) issues.push({path: '/tax/percent', message: 'category S (standard rate) needs a rate above 0 (use Z for zero-rated)'})
  if (ZERO_RATE_CATEGORIES.has(plan.tax.category) && !percent.isZero()) issues.push({path: '/tax/percent', message: `category ${plan.tax.category} carries a 0 % rate (EN 16931)`})

  const rules = COMPOSITION[plan.kind]
  const count = (type: PlanComponent['type']) => plan.components.filter((c) => c.type === type).length
  plan.components.forEach((c, i) => {
    if (!rules.allowed.includes(c.type)) issues.push({path: `/components/${i}/type`, message: `a ${plan.kind} plan has no "${c.type}" component (allowed: ${rules.allowed.join(', ')})`})
  })
  for (const type of rules.exactlyOne ?? []) if (count(type) !== 1) issues.push({path: '/components', message: `a ${plan.kind} plan has exactly one "${type}" component (found ${count(type)})`})
  for (const type of rules.atLeastOne ?? []) if (count(type) < 1) issues.push({path: '/components', message: `a ${plan.kind} plan needs at least one "${type}" component`})
  for (const type of rules.atMostOne ?? []) if (count(type) > 1) issues.push({path: '/components', message: `a ${plan.kind} plan has at most one "${type}" component (found ${count(type)})`})

  const metrics = plan.metrics ?? {}
  const addonIds = new Set<string>()
  plan.components.forEach((c, i) => {
    const metric = metricOf(c)
    if (metric !== undefined && !metrics[metric]) {
      issues.push({path: `/components/${i}${c.type === 'per-user' && !c.metric ? '' : '/metric'}`, message: `metric "${metric}" has no aggregation: declare it under metrics (e.g. metrics: {${metric}: {aggregation: max}})`})
    }
    if (c.type === 'fair-use') {
      if (c.action === 'overage' && c.price === undefined) issues.push({path: `/components/${i}`, message: 'action overage needs a price per unit above the threshold'})
      if (c.action === 'alert' && c.price !== undefined) issues.push({path: `/components/${i}/price`, message: 'a price is only used with action: overage'})
    }
    if (c.type === 'bands') {
      c.bands.forEach((band, j) => {
        const last = j === c.bands.length - 1
        if (band.upTo === undefined && !last) issues.push({path: `/components/${i}/bands/${j}`, message: 'only the last band may omit upTo'})
        const previous = j > 0 ? c.bands[j - 1].upTo : undefined
        if (band.upTo !== undefined && previous !== undefined && band.upTo <= previous) issues.push({path: `/components/${i}/bands/${j}/upTo`, message: `bands go up: ${band.upTo} is not above ${previous}`})
      })
    }
    if (c.type === 'addon') {
      if (addonIds.has(c.id)) issues.push({path: `/components/${i}/id`, message: `add-on "${c.id}" appears twice`})
      addonIds.add(c.id)
    }
  })
  for (const [name, metric] of Object.entries(metrics)) {
    if (metric.sources?.includes(name)) issues.push({path: `/metrics/${name}/sources`, message: 'a metric cannot be its own source'})
  }
  return issues
}

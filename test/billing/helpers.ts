import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parsePlan} from '../../src/lib/billing/plans/file.js'
import type {PlanDefinition, PlanVersionRecord} from '../../src/lib/billing/plans/types.js'
import {addDays} from '../../src/lib/billing/period.js'
import type {UsageSnapshot} from '../../src/lib/billing/types.js'
import {ROOT} from '../helpers/cli.js'

export const PLAN_DIR = join(ROOT, 'templates', 'plans')

export function templatePlan(name: string): PlanDefinition {
  const parsed = parsePlan(readFileSync(join(PLAN_DIR, `${name}.yaml`), 'utf8'))
  if (!parsed.plan) throw new Error(`${name}: ${JSON.stringify(parsed.issues)}`)
  return parsed.plan
}

export function version(definition: PlanDefinition, n = 1, appliedAt = '2026-01-01T00:00:00.000Z'): PlanVersionRecord {
  return {id: `${definition.id}@${n}`, plan: definition.id, version: n, kind: definition.kind, name: definition.name, currency: definition.currency, digest: `d${n}`, definition, appliedAt}
}

export function snapshot(tenant: string, date: string, metric: string, value: number, unit = 'count'): UsageSnapshot {
  return {id: `${tenant}/${date}/${metric}`, tenant, date, metric, value, unit, queryVersion: 1, odooVersion: '17.0', collectedAt: `${date}T23:00:00.000Z`}
}

/** One snapshot a day from `from` to `to` (inclusive), value by day of month. */
export function daily(tenant: string, metric: string, from: string, to: string, value: (day: number) => number, unit = 'count'): UsageSnapshot[] {
  const out: UsageSnapshot[] = []
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(snapshot(tenant, d, metric, value(Number(d.slice(8))), unit))
  return out
}

import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parsePlan} from '../../src/lib/billing/plans/file.js'
import type {PlanDefinition, PlanVersionRecord} from '../../src/lib/billing/plans/types.js'
import {addDays} from '../../src/lib/billing/period.js'
import type {UsageSnapshot} from '../../src/lib/billing/types.js'
import {openStore} from '../../src/lib/state/open.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
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

/** A tenant record on no real host (shared, Odoo 17.0, active, created 2026-09-01): what rating and invoicing read. */
export function billedTenant(id: string, fields: Partial<TenantRecord> = {}): TenantRecord {
  return {id, host: 'nowhere', mode: 'shared', domain: `${id}.example.test`, series: '17.0', database: id, state: 'active', createdAt: '2026-09-01T10:00:00Z', ...fields}
}

/** A local state store in a new temporary directory; `remove` closes it and deletes the directory. */
export async function tempStore(prefix: string): Promise<{store: StateStore; remove: () => Promise<void>}> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const store = await openStore({backend: 'local', dir})
  return {
    store,
    remove: async () => {
      await store.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

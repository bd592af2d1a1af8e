import {createHash} from 'node:crypto'
import {usageError} from '../../errors.js'
import type {PlanRecord} from '../../state/records.js'
import type {StateStore, StateTx} from '../../state/store.js'
import type {PlanDefinition, PlanVersionRecord} from './types.js'
import {EXAMPLE_PLAN_DIR} from './examples.js'

/** JSON with object keys sorted: the same plan always gives the same text, whatever the YAML key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function planDigest(plan: PlanDefinition): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(plan)).digest('hex')
}

export const planVersionId = (plan: string, version: number): string => `${plan}@${version}`

const asVersion = (r: PlanRecord): PlanVersionRecord => r as unknown as PlanVersionRecord

/** Every stored version of a plan, oldest first. */
export async function planVersions(store: StateStore | StateTx, plan: string): Promise<PlanVersionRecord[]> {
  return (await store.plans.list({plan})).map(asVersion).sort((a, b) => a.version - b.version)
}

export interface ApplyPlanResult {
  plan: string
  version: number
  changed: boolean
  previousVersion?: number
  digest: string
}

/** Store a plan: a new version when its content changed, nothing when it is the latest version already. */
export async function applyPlan(store: StateStore, definition: PlanDefinition, options: {source?: string; now?: Date} = {}): Promise<ApplyPlanResult> {
  const digest = planDigest(definition)
  return store.transaction(async (tx) => {
    const versions = await planVersions(tx, definition.id)
    const latest = versions.at(-1)
    if (latest && latest.digest === digest) return {plan: definition.id, version: latest.version, changed: false, digest}
    const version = (latest?.version ?? 0) + 1
    const record: PlanVersionRecord = {
      id: planVersionId(definition.id, version),
      plan: definition.id,
      version,
      kind: definition.kind,
      name: definition.name,
      currency: definition.currency,
      digest,
      definition,
      appliedAt: (options.now ?? new Date()).toISOString(),
      ...(options.source ? {source: options.source} : {}),
    }
    await tx.plans.insert(record)
    return {plan: definition.id, version, changed: true, ...(latest ? {previousVersion: latest.version} : {}), digest}
  })
}

export interface PlanSummary {
  plan: string
  name: string
  kind: string
  currency: string
  latestVersion: number
  versions: number
  appliedAt: string
}

export async function listPlans(store: StateStore): Promise<PlanSummary[]> {
  const byPlan = new Map<string, PlanVersionRecord[]>()
  for (const record of (await store.plans.list()).map(asVersion)) {
    byPlan.set(record.plan, [...(byPlan.get(record.plan) ?? []), record])
  }
  return [...byPlan.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([plan, versions]) => {
      const latest = versions.reduce((a, b) => (b.version > a.version ? b : a))
      return {plan, name: latest.name, kind: latest.kind, currency: latest.currency, latestVersion: latest.version, versions: versions.length, appliedAt: latest.appliedAt}
    })
}

export function planNotFound(plan: string, known: string[]) {
  return usageError('PLAN_NOT_FOUND', `No plan "${plan}" in the state store.`, [
    known.length ? `Plans: ${known.join(', ')} (odoops plan list).` : 'No plan is stored yet.',
    `Store one with odoops plan apply <file> (examples shipped with odoops: ${EXAMPLE_PLAN_DIR}).`,
  ])
}

/** One version of a plan (the latest when none is asked for). */
export async function getPlanVersion(store: StateStore | StateTx, plan: string, version?: number): Promise<PlanVersionRecord> {
  const versions = await planVersions(store, plan)
  if (versions.length === 0) {
    const known = [...new Set((await store.plans.list()).map((r) => asVersion(r).plan))].sort()
    throw planNotFound(plan, known)
  }
  if (version === undefined) return versions.at(-1)!
  const found = versions.find((v) => v.version === version)
  if (!found) throw usageError('PLAN_VERSION_NOT_FOUND', `Plan "${plan}" has no version ${version}.`, [`Versions: ${versions.map((v) => v.version).join(', ')}.`])
  return found
}

/**
 * The version that rates a period: the latest applied before the period ended (price
 * changes take effect from the next period); when the plan did not exist yet by then,
 * its latest version (the terms there are now).
 */
export function versionForPeriod(versions: PlanVersionRecord[], periodEnd: string): PlanVersionRecord | undefined {
  const endOfPeriod = `${periodEnd}T23:59:59.999Z`
  const before = versions.filter((v) => v.appliedAt <= endOfPeriod)
  return (before.length > 0 ? before : versions).reduce<PlanVersionRecord | undefined>((a, b) => (!a || b.version > a.version ? b : a), undefined)
}

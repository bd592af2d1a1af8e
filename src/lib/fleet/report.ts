import type {BackupEntry} from '../backup/catalog.js'
import {addDays, parsePeriod} from '../billing/period.js'
import type {PlanVersionRecord} from '../billing/plans/types.js'
import type {BillableTenant} from '../billing/tenant-billing.js'
import type {UsageSnapshot} from '../billing/types.js'
import type {OnboardingRun} from '../onboard/record.js'
import type {AuditEvent} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {tenantUsage, versionsByPlan} from './usage.js'

/**
 * The partner scorecard of one month (`fleet report --period YYYY-MM`), computed from the
 * audit trail and the store. Every definition is in docs/fleet.md; times are UTC and the
 * period runs from its first day 00:00 to its last day 23:59:59.999.
 */
export interface GoLive {
  tenant: string
  /** The onboarding run id; null for a tenant created with `tenant create` alone. */
  run: string | null
  template: string | null
  source: 'onboarding run' | 'tenant create'
  startedAt: string
  finishedAt: string
  /** finishedAt - startedAt: from the first start of the run (resumes included) to done. */
  goLiveMs: number
}

export interface DurationStats {
  count: number
  medianMs: number | null
  meanMs: number | null
  maxMs: number | null
}

export interface BackupDay {
  date: string
  succeeded: number
  failed: number
}

export interface FairUseBreachRow {
  tenant: string
  plan: string
  planVersion: number
  metric: string
  value: string
  threshold: number
  ratio: number
  action: 'alert' | 'overage'
}

export interface FleetReport {
  period: string
  from: string
  to: string
  generatedAt: string
  onboarding: {
    /** Distinct tenants that went live in the period (onboarding runs done, `onboard` and `tenant create` successes). */
    tenantsOnboarded: number
    tenants: string[]
    /** Onboarding runs started in the period. */
    runsStarted: number
    /** Onboarding runs started in the period that are `failed` now. */
    runsFailed: number
    goLive: GoLive[]
    goLiveStats: DurationStats
  }
  backups: {
    /** Tenant backups attempted by `backup run` in the period (per tenant, from the audit trail). */
    attempts: number
    succeeded: number
    failed: number
    /** succeeded / attempts; null without attempts. */
    successRate: number | null
    byDay: BackupDay[]
    /** Catalog entries taken in the period, and how many of them are verified now. */
    taken: number
    takenVerified: number
    /** takenVerified / taken; null when none taken. */
    verificationCoverage: number | null
  }
  verification: {
    /** Backups `backup verify` checked in the period (audit trail). */
    attempts: number
    verified: number
    failed: number
    /** Could not run (host unreachable, target missing): neither verified nor failed. */
    errors: number
    /** verified / (verified + failed); null without verdicts. */
    passRate: number | null
  }
  fairUse: {
    /** Tenants whose plan has fair-use thresholds measured in the period. */
    tenantsChecked: number
    tenantsInBreach: number
    breaches: FairUseBreachRow[]
  }
}

export interface ReportInput {
  period: string
  events: readonly AuditEvent[]
  runs: readonly OnboardingRun[]
  catalog: readonly BackupEntry[]
  tenants: readonly BillableTenant[]
  snapshots: readonly UsageSnapshot[]
  plans: readonly PlanVersionRecord[]
  now: Date
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)
const ratio = (part: number, whole: number): number | null => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null)

export function durationStats(values: readonly number[]): DurationStats {
  if (values.length === 0) return {count: 0, medianMs: null, meanMs: null, maxMs: null}
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return {count: sorted.length, medianMs: Math.round(median), meanMs: Math.round(sorted.reduce((t, v) => t + v, 0) / sorted.length), maxMs: sorted.at(-1)!}
}

/** The period's bounds as ISO instants (inclusive). */
export function periodBounds(period: string): {from: string; to: string; days: string[]} {
  const p = parsePeriod(period)
  const days = Array.from({length: p.days}, (_, i) => addDays(p.start, i))
  return {from: `${p.start}T00:00:00.000Z`, to: `${p.end}T23:59:59.999Z`, days}
}

function onboardingKpis(input: ReportInput, inPeriod: (time: string | undefined) => boolean, events: readonly AuditEvent[]): FleetReport['onboarding'] {
  const goLive: GoLive[] = []
  const onboarded = new Set<string>()
  for (const run of input.runs) {
    if (run.state !== 'done' || !run.finishedAt || !inPeriod(run.finishedAt)) continue
    onboarded.add(run.customer)
    goLive.push({tenant: run.customer, run: run.id, template: run.template, source: 'onboarding run', startedAt: run.startedAt, finishedAt: run.finishedAt, goLiveMs: Date.parse(run.finishedAt) - Date.parse(run.startedAt)})
  }
  for (const e of events) {
    if (e.outcome !== 'ok' || !e.tenant) continue
    if (e.command === 'onboard') onboarded.add(e.tenant)
    if (e.command === 'tenant:create' && !goLive.some((g) => g.tenant === e.tenant)) {
      onboarded.add(e.tenant)
      // Audit events are written when the command ends: it started durationMs earlier.
      goLive.push({tenant: e.tenant, run: null, template: null, source: 'tenant create', startedAt: new Date(Date.parse(e.time) - e.durationMs).toISOString(), finishedAt: e.time, goLiveMs: e.durationMs})
    }
  }
  goLive.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt))
  const started = input.runs.filter((r) => inPeriod(r.startedAt))
  return {
    tenantsOnboarded: onboarded.size,
    tenants: [...onboarded].sort(),
    runsStarted: started.length,
    runsFailed: started.filter((r) => r.state === 'failed').length,
    goLive,
    goLiveStats: durationStats(goLive.map((g) => g.goLiveMs)),
  }
}

/** Per-tenant outcomes of one `backup run` event: its recorded counts, or all its tenants failed when it died before counting. */
function backupRunOutcome(e: AuditEvent): {succeeded: number; failed: number} | undefined {
  const d = e.details ?? {}
  const succeeded = num(d.succeeded)
  const failed = num(d.failed)
  if (succeeded !== undefined || failed !== undefined) return {succeeded: succeeded ?? 0, failed: failed ?? 0}
  // Refused before starting (usage error, nothing selected): not an attempt.
  if (e.outcome === 'ok' || e.exitCode === 2 || !Array.isArray(d.tenants)) return undefined
  return {succeeded: 0, failed: d.tenants.length}
}

function backupKpis(input: ReportInput, inPeriod: (time: string | undefined) => boolean, events: readonly AuditEvent[], days: string[]): FleetReport['backups'] {
  const byDay = new Map<string, BackupDay>(days.map((date) => [date, {date, succeeded: 0, failed: 0}]))
  let succeeded = 0
  let failed = 0
  for (const e of events) {
    if (e.command !== 'backup:run') continue
    const outcome = backupRunOutcome(e)
    if (!outcome) continue
    succeeded += outcome.succeeded
    failed += outcome.failed
    const day = byDay.get(e.time.slice(0, 10))
    if (day) {
      day.succeeded += outcome.succeeded
      day.failed += outcome.failed
    }
  }
  const taken = input.catalog.filter((b) => b.status === 'complete' && inPeriod(b.startedAt))
  const takenVerified = taken.filter((b) => b.verification?.status === 'verified').length
  return {
    attempts: succeeded + failed,
    succeeded,
    failed,
    successRate: ratio(succeeded, succeeded + failed),
    byDay: [...byDay.values()],
    taken: taken.length,
    takenVerified,
    verificationCoverage: ratio(takenVerified, taken.length),
  }
}

function verificationKpis(events: readonly AuditEvent[]): FleetReport['verification'] {
  let verified = 0
  let failed = 0
  let errors = 0
  for (const e of events) {
    if (e.command !== 'backup:verify') continue
    const d = e.details ?? {}
    if (num(d.verified) !== undefined || num(d.failed) !== undefined || num(d.errors) !== undefined) {
      verified += num(d.verified) ?? 0
      failed += num(d.failed) ?? 0
      errors += num(d.errors) ?? 0
    } else if (e.outcome !== 'ok' && e.exitCode !== 2 && Array.isArray(d.backups)) {
      errors += d.backups.length
    }
  }
  return {attempts: verified + failed + errors, verified, failed, errors, passRate: ratio(verified, verified + failed)}
}

function fairUseKpis(input: ReportInput): FleetReport['fairUse'] {
  const versions = versionsByPlan(input.plans)
  const breaches: FairUseBreachRow[] = []
  let checked = 0
  for (const tenant of [...input.tenants].sort((a, b) => a.id.localeCompare(b.id))) {
    const usage = tenantUsage(tenant, input.snapshots, versions, {kind: 'period', period: input.period}, input.now.toISOString().slice(0, 10))
    if (!usage || usage.checks.length === 0) continue
    checked++
    for (const c of usage.checks) {
      if (c.over) breaches.push({tenant: tenant.id, plan: usage.plan, planVersion: usage.planVersion, metric: c.metric, value: c.value, threshold: c.threshold, ratio: c.ratio, action: c.action})
    }
  }
  return {tenantsChecked: checked, tenantsInBreach: new Set(breaches.map((b) => b.tenant)).size, breaches}
}

/** Pure: every KPI of the period from the records given. */
export function computeReport(input: ReportInput): FleetReport {
  const {from, to, days} = periodBounds(input.period)
  const inPeriod = (time: string | undefined) => time !== undefined && time >= from && time <= to
  const events = input.events.filter((e) => inPeriod(e.time))
  return {
    period: input.period,
    from,
    to,
    generatedAt: input.now.toISOString(),
    onboarding: onboardingKpis(input, inPeriod, events),
    backups: backupKpis(input, inPeriod, events, days),
    verification: verificationKpis(events),
    fairUse: fairUseKpis(input),
  }
}

/** Reads what the report needs from the store and computes it. */
export async function fleetReport(store: StateStore, period: string, now: Date = new Date()): Promise<FleetReport> {
  const {from} = periodBounds(period)
  const [events, runs, catalog, tenants, snapshots, plans] = await Promise.all([
    store.audit.list({since: from}),
    store.onboardingRuns.list() as Promise<OnboardingRun[]>,
    store.backups.list() as Promise<BackupEntry[]>,
    store.tenants.list() as Promise<BillableTenant[]>,
    store.usageSnapshots.list() as unknown as Promise<UsageSnapshot[]>,
    store.plans.list() as unknown as Promise<PlanVersionRecord[]>,
  ])
  return computeReport({period, events, runs, catalog, tenants, snapshots, plans, now})
}

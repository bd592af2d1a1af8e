import {expect} from 'chai'
import type {BackupEntry} from '../../src/lib/backup/catalog.js'
import type {PlanVersionRecord} from '../../src/lib/billing/plans/types.js'
import type {UsageSnapshot} from '../../src/lib/billing/types.js'
import {computeReport, durationStats, periodBounds, type ReportInput} from '../../src/lib/fleet/report.js'
import {scoreTenant} from '../../src/lib/fleet/score.js'
import type {OnboardingRun} from '../../src/lib/onboard/record.js'
import type {AuditEvent, TenantRecord} from '../../src/lib/state/records.js'

const event = (command: string, time: string, over: Partial<AuditEvent> = {}): AuditEvent => ({time, user: 'ops', machine: 'm', command, args: [], outcome: 'ok', exitCode: 0, durationMs: 1000, ...over})
const run = (id: string, customer: string, state: 'done' | 'failed' | 'running', startedAt: string, finishedAt?: string) =>
  ({id, customer, template: 'starter', state, startedAt, ...(finishedAt ? {finishedAt} : {})}) as unknown as OnboardingRun
const backup = (id: string, startedAt: string, verified?: 'verified' | 'failed') =>
  ({id, tenant: 'acme', target: 'default', status: 'complete', startedAt, ...(verified ? {verification: {status: verified, at: startedAt, durationMs: 1}} : {})}) as unknown as BackupEntry

/**
 * February 2026 (28 days). Hand-computed expectations:
 * - onboarding: runs r1 (done 1 h 30 m), r2 (done 3 h), r3 failed, r4 done in March (out),
 *   r0 started in January and done on Feb 1 (counted: went live in Feb, 26 h);
 *   plus `tenant create` of solo (ok, 10 min) and of broken (error, not counted).
 *   onboarded = {a, b, old, solo} = 4; go-live = [26h, 1h30, 3h, 10m] → median (1h30+3h)/2 = 2h15.
 *   runs started in Feb: r1, r2, r3, r4? r4 started Mar 1 → 3 started, 1 failed.
 * - backups: run events 3 ok + 1 failed (Feb 2), 2 ok (Feb 3), one died before counting
 *   with 2 tenants (Feb 3: 2 failed), a usage error (not counted), one in January (out)
 *   → attempts 8, succeeded 5, rate 0.625.
 * - catalog taken in Feb: 4 (2 verified) → coverage 0.5; one taken in January (out).
 * - verify: 3 verified 1 failed 0 errors; then 0/0/2 → pass rate 3/4 = 0.75, errors 2.
 */
function input(): ReportInput {
  return {
    period: '2026-02',
    now: new Date('2026-03-05T00:00:00Z'),
    runs: [
      run('r0', 'old', 'done', '2026-01-31T08:00:00Z', '2026-02-01T10:00:00Z'),
      run('r1', 'a', 'done', '2026-02-03T09:00:00Z', '2026-02-03T10:30:00Z'),
      run('r2', 'b', 'done', '2026-02-10T09:00:00Z', '2026-02-10T12:00:00Z'),
      run('r3', 'c', 'failed', '2026-02-11T09:00:00Z'),
      run('r4', 'd', 'done', '2026-03-01T09:00:00Z', '2026-03-01T09:30:00Z'),
    ],
    events: [
      event('onboard', '2026-02-03T10:30:01Z', {tenant: 'a'}),
      event('tenant:create', '2026-02-12T10:10:00Z', {tenant: 'solo', durationMs: 600_000}),
      event('tenant:create', '2026-02-12T11:00:00Z', {tenant: 'broken', outcome: 'error', exitCode: 1}),
      event('backup:run', '2026-02-02T02:10:00Z', {outcome: 'partial', exitCode: 3, details: {tenants: ['a', 'b', 'c', 'd'], succeeded: 3, failed: 1}}),
      event('backup:run', '2026-02-03T02:10:00Z', {details: {tenants: ['a', 'b'], succeeded: 2, failed: 0}}),
      event('backup:run', '2026-02-03T03:00:00Z', {outcome: 'interrupted', exitCode: 130, details: {tenants: ['a', 'b']}}),
      event('backup:run', '2026-02-04T03:00:00Z', {outcome: 'error', exitCode: 2}),
      event('backup:run', '2026-01-31T02:00:00Z', {details: {tenants: ['a'], succeeded: 1, failed: 0}}),
      event('backup:verify', '2026-02-05T04:00:00Z', {outcome: 'error', exitCode: 1, details: {backups: ['x', 'y', 'z', 'w'], verified: 3, failed: 1, errors: 0}}),
      event('backup:verify', '2026-02-06T04:00:00Z', {outcome: 'error', exitCode: 1, details: {backups: ['x', 'y'], verified: 0, failed: 0, errors: 2}}),
    ],
    catalog: [backup('k0', '2026-01-31T02:00:00Z', 'verified'), backup('k1', '2026-02-02T02:00:00Z', 'verified'), backup('k2', '2026-02-03T02:00:00Z', 'failed'), backup('k3', '2026-02-03T02:05:00Z'), backup('k4', '2026-02-28T23:59:00Z', 'verified')],
    tenants: [],
    snapshots: [],
    plans: [],
  }
}

describe('fleet report KPIs', () => {
  it('counts the tenants onboarded in the period and their time to go-live', () => {
    const r = computeReport(input())
    expect(r.onboarding.tenantsOnboarded).to.equal(4)
    expect(r.onboarding.tenants).to.deep.equal(['a', 'b', 'old', 'solo'])
    expect(r.onboarding.runsStarted).to.equal(3)
    expect(r.onboarding.runsFailed).to.equal(1)
    expect(r.onboarding.goLive.map((g) => [g.tenant, g.source, g.goLiveMs])).to.deep.equal([
      ['old', 'onboarding run', 26 * 3_600_000],
      ['a', 'onboarding run', 90 * 60_000],
      ['b', 'onboarding run', 3 * 3_600_000],
      ['solo', 'tenant create', 600_000],
    ])
    expect(r.onboarding.goLive[3].startedAt).to.equal('2026-02-12T10:00:00.000Z')
    expect(r.onboarding.goLiveStats).to.deep.equal({count: 4, medianMs: 135 * 60_000, meanMs: (26 * 60 + 90 + 180 + 10) * 60_000 / 4, maxMs: 26 * 3_600_000})
  })

  it('computes the backup success rate per tenant backup from the audit trail, day by day', () => {
    const r = computeReport(input())
    expect(r.backups).to.deep.include({attempts: 8, succeeded: 5, failed: 3, successRate: 0.625, taken: 4, takenVerified: 2, verificationCoverage: 0.5})
    expect(r.backups.byDay).to.have.length(28)
    expect(r.backups.byDay[1]).to.deep.equal({date: '2026-02-02', succeeded: 3, failed: 1})
    expect(r.backups.byDay[2]).to.deep.equal({date: '2026-02-03', succeeded: 2, failed: 2})
    expect(r.backups.byDay.slice(3).every((d) => d.succeeded + d.failed === 0)).to.equal(true)
  })

  it('computes the verification pass rate (errors are neither pass nor fail)', () => {
    expect(computeReport(input()).verification).to.deep.equal({attempts: 6, verified: 3, failed: 1, errors: 2, passRate: 0.75})
  })

  it('reports null rates, not 0 or NaN, for a month without activity', () => {
    const r = computeReport({...input(), period: '2025-06'})
    expect(r.backups.successRate).to.equal(null)
    expect(r.verification.passRate).to.equal(null)
    expect(r.backups.verificationCoverage).to.equal(null)
    expect(r.onboarding.goLiveStats).to.deep.equal({count: 0, medianMs: null, meanMs: null, maxMs: null})
  })

  it('lists fair-use breaches of the period as the plan aggregates them', () => {
    const plan = {
      id: 'p@1',
      plan: 'p',
      version: 1,
      appliedAt: '2026-01-01T00:00:00Z',
      definition: {id: 'p', metrics: {'users.internal': {aggregation: 'max'}}, components: [{type: 'fair-use', metric: 'users.internal', threshold: 10, action: 'alert'}]},
    } as unknown as PlanVersionRecord
    const t = (id: string) => ({id, host: 'h', mode: 'shared', domain: `${id}.test`, series: '17.0', database: id, state: 'active', plan: 'p', createdAt: '2026-01-01T00:00:00Z'}) as TenantRecord
    const s = (tenant: string, date: string, value: number): UsageSnapshot => ({id: `${tenant}/${date}/users.internal`, tenant, date, metric: 'users.internal', value, unit: 'count', queryVersion: 1, odooVersion: '17.0', collectedAt: date})
    const r = computeReport({...input(), plans: [plan], tenants: [t('big'), t('small'), t('unmetered')], snapshots: [s('big', '2026-02-10', 15), s('big', '2026-02-11', 8), s('small', '2026-02-10', 10), s('big', '2026-03-01', 99)]})
    expect(r.fairUse).to.deep.equal({tenantsChecked: 2, tenantsInBreach: 1, breaches: [{tenant: 'big', plan: 'p', planVersion: 1, metric: 'users.internal', value: '15', threshold: 10, ratio: 1.5, action: 'alert'}]})
  })

  it('has exact period bounds and a median of an even count', () => {
    expect(periodBounds('2024-02')).to.deep.include({from: '2024-02-01T00:00:00.000Z', to: '2024-02-29T23:59:59.999Z'})
    expect(durationStats([4, 1, 3, 2]).medianMs).to.equal(3) // (2+3)/2 = 2.5, rounded
    expect(durationStats([5])).to.deep.equal({count: 1, medianMs: 5, meanMs: 5, maxMs: 5})
  })

  it('a low disk is a breach of 20 points', () => {
    const s = scoreTenant({
      state: 'active', verdict: 'unhealthy', service: {unit: 'u', active: 'active'}, http: {ok: true, status: 200, detail: ''}, databaseBytes: 1, diskFreeBytes: 512 * 1024 ** 2, problems: ['only 512 MiB free'], tenantAgeHours: 1,
      backups: {newest: {id: 'b', startedAt: '', ageHours: 1}, newestVerified: {id: 'b', startedAt: '', ageHours: 1}, lastVerification: null}, rpo: {hours: 24, source: 'config'}, usage: null,
    })
    expect(s).to.deep.include({score: 80, status: 'breach'})
    expect(s.deductions.map((d) => d.code)).to.deep.equal(['disk-low'])
  })
})

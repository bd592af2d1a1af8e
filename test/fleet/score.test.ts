import {expect} from 'chai'
import type {BackupEntry} from '../../src/lib/backup/catalog.js'
import type {PlanVersionRecord} from '../../src/lib/billing/plans/types.js'
import type {UsageSnapshot} from '../../src/lib/billing/types.js'
import {backupFacts} from '../../src/lib/fleet/backups.js'
import {parseRpoByPlan, resolveRpo, rpoConfig} from '../../src/lib/fleet/rpo.js'
import {scoreTenant, type ScoreInput} from '../../src/lib/fleet/score.js'
import {tenantUsage, versionsByPlan} from '../../src/lib/fleet/usage.js'
import type {TenantRecord} from '../../src/lib/state/records.js'

const NOW = new Date('2026-03-10T12:00:00Z')
const GIB = 1024 ** 3

/** A healthy active tenant: every check passes, backups 2 h old and verified. */
function healthy(over: Partial<ScoreInput> = {}): ScoreInput {
  return {
    state: 'active',
    verdict: 'healthy',
    service: {unit: 'odoo17.service', active: 'active'},
    http: {ok: true, status: 200, detail: 'ok'},
    databaseBytes: 30_000_000,
    diskFreeBytes: 40 * GIB,
    problems: [],
    tenantAgeHours: 1000,
    backups: {
      newest: {id: 'b2', startedAt: '2026-03-10T10:00:00Z', ageHours: 2},
      newestVerified: {id: 'b2', startedAt: '2026-03-10T10:00:00Z', ageHours: 2},
      lastVerification: {backup: 'b2', status: 'verified', at: '2026-03-10T11:00:00Z'},
    },
    rpo: {hours: 24, source: 'config'},
    usage: null,
    ...over,
  }
}

function entry(id: string, startedAt: string, verification?: BackupEntry['verification']): BackupEntry {
  return {id, tenant: 'acme', target: 'default', status: 'complete', startedAt, ...(verification ? {verification} : {})} as BackupEntry
}

describe('fleet health score', () => {
  it('is 100 and ok when every check passes', () => {
    expect(scoreTenant(healthy())).to.deep.equal({score: 100, status: 'ok', deductions: []})
  })

  it('deducts 15 and warns when the newest verified backup is older than the RPO', () => {
    // Newest backup 2 h old (fine), newest verified 30 h old > 24 h.
    const s = scoreTenant(healthy({backups: {...healthy().backups, newestVerified: {id: 'b1', startedAt: '2026-03-09T06:00:00Z', ageHours: 30}}}))
    expect(s.score).to.equal(85)
    expect(s.status).to.equal('warning')
    expect(s.deductions).to.have.length(1)
    expect(s.deductions[0]).to.include({code: 'verified-stale', points: 15, breach: false})
    expect(s.deductions[0].reason).to.contain('b1').and.contain('30.0 h').and.contain('RPO 24 h (config)')
  })

  it('adds the deductions up: 100 - service down 40 - health 30 - disk warn 5 - stale backup 20 = 5', () => {
    const s = scoreTenant(
      healthy({
        verdict: 'unhealthy',
        service: {unit: 'odoo-acme.service', active: 'inactive'},
        http: {ok: false, status: 502, detail: 'HTTP 502'},
        diskFreeBytes: 2 * GIB,
        backups: {...healthy().backups, newest: {id: 'b2', startedAt: '2026-03-08T12:00:00Z', ageHours: 48}},
      }),
    )
    expect(s.deductions.map((d) => [d.code, d.points])).to.deep.equal([
      ['service-down', 40],
      ['health-failed', 30],
      ['disk-warn', 5],
      ['backup-stale', 20],
    ])
    expect(s.score).to.equal(5)
    expect(s.status).to.equal('breach')
    expect(s.deductions[0].reason).to.equal('odoo-acme.service is inactive')
  })

  it('never goes below 0', () => {
    const s = scoreTenant(healthy({unreachable: 'connect ECONNREFUSED', service: null, http: null, databaseBytes: null, diskFreeBytes: null, state: 'failed', backups: {newest: null, newestVerified: null, lastVerification: null}}))
    // tenant-failed 50 + host-unreachable 50 + no-backup 40 = 140 → 0; no probe deductions behind an unreachable host.
    expect(s.deductions.map((d) => d.code)).to.deep.equal(['tenant-failed', 'host-unreachable', 'no-backup'])
    expect(s.score).to.equal(0)
    expect(s.status).to.equal('breach')
  })

  it('breaches when backups exist but none was ever verified, however young the tenant ("Verified: none" is no 100)', () => {
    for (const tenantAgeHours of [1, 1000]) {
      const s = scoreTenant(healthy({tenantAgeHours, backups: {newest: {id: 'b9', startedAt: '2026-03-10T10:00:00Z', ageHours: 1}, newestVerified: null, lastVerification: null}}))
      expect(s.status, `tenant ${tenantAgeHours} h old`).to.equal('breach')
      expect(s.score).to.equal(75)
      expect(s.deductions.map((d) => d.code)).to.deep.equal(['no-verified-backup'])
      expect(s.deductions[0].reason).to.contain('odoops backup verify b9')
    }
  })

  it('gives a young tenant without backups a warning, not a breach', () => {
    const s = scoreTenant(healthy({tenantAgeHours: 3, backups: {newest: null, newestVerified: null, lastVerification: null}}))
    expect(s).to.deep.include({score: 95, status: 'warning'})
    expect(s.deductions[0].code).to.equal('no-backup-yet')
  })

  it('counts a failed last verification and warns on a nearly full disk', () => {
    const s = scoreTenant(healthy({diskFreeBytes: 3 * GIB, backups: {...healthy().backups, lastVerification: {backup: 'b3', status: 'failed', at: '2026-03-10T11:30:00Z', reason: 'counts differ'}}}))
    expect(s.deductions.map((d) => [d.code, d.points, d.breach])).to.deep.equal([
      ['disk-warn', 5, false],
      ['verification-failed', 15, true],
    ])
    expect(s.score).to.equal(80)
  })

  it('does not probe-penalise a tenant stopped on purpose', () => {
    const s = scoreTenant(healthy({state: 'stopped', verdict: 'stopped', service: {unit: 'odoo-acme.service', active: 'inactive'}, http: null}))
    expect(s).to.deep.equal({score: 100, status: 'ok', deductions: []})
  })

  it('deducts 10 per fair-use threshold exceeded and 5 per threshold not measured', () => {
    const s = scoreTenant(
      healthy({
        usage: {
          plan: 'business-unlimited',
          planVersion: 1,
          date: '2026-03-09',
          checks: [
            {metric: 'users.internal', value: '62', threshold: 50, action: 'overage', over: true, ratio: 1.24},
            {metric: 'storage.total', value: '20', threshold: 100, action: 'overage', over: false, ratio: 0.2},
          ],
          notMeasured: [{metric: 'invoices.posted', reason: 'no snapshot'}],
        },
      }),
    )
    expect(s.deductions.map((d) => [d.code, d.points])).to.deep.equal([
      ['fair-use-over', 10],
      ['fair-use-unmeasured', 5],
    ])
    expect(s.deductions[0].reason).to.contain('users.internal 62 over the fair-use threshold 50 of plan business-unlimited@1')
    expect(s).to.include({score: 85, status: 'breach'})
  })
})

describe('fleet backup facts and RPO', () => {
  it('finds the newest, the newest verified and the latest verdict, aged from when each was taken', () => {
    const facts = backupFacts(
      [
        entry('b1', '2026-03-08T02:00:00Z', {status: 'verified', at: '2026-03-08T05:00:00Z', durationMs: 1}),
        entry('b2', '2026-03-09T02:00:00Z', {status: 'failed', reason: 'filestore differs', at: '2026-03-09T04:00:00Z', durationMs: 1}),
        entry('b3', '2026-03-10T02:00:00Z'),
        {...entry('b4', '2026-03-10T11:00:00Z'), status: 'partial'} as unknown as BackupEntry,
      ],
      NOW,
    )
    expect(facts.newest).to.deep.equal({id: 'b3', startedAt: '2026-03-10T02:00:00Z', ageHours: 10})
    expect(facts.newestVerified).to.deep.equal({id: 'b1', startedAt: '2026-03-08T02:00:00Z', ageHours: 58})
    expect(facts.lastVerification).to.deep.equal({backup: 'b2', status: 'failed', at: '2026-03-09T04:00:00Z', reason: 'filestore differs'})
  })

  it('resolves the RPO of a plan tier, else the default', () => {
    const config = rpoConfig((key) => ({'fleet.rpoHours': 12, 'fleet.rpoByPlan': ['managed-gold=4']})[key])
    expect(resolveRpo(config, 'managed-gold')).to.deep.equal({hours: 4, source: 'plan managed-gold'})
    expect(resolveRpo(config, 'per-user')).to.deep.equal({hours: 12, source: 'config'})
    expect(resolveRpo(rpoConfig(() => undefined), undefined)).to.deep.equal({hours: 24, source: 'config'})
    expect(() => parseRpoByPlan(['gold=0'])).to.throw(/not <plan>=<hours>/)
  })
})

describe('fleet usage against fair-use thresholds', () => {
  const plan = {
    id: 'business-unlimited@1',
    plan: 'business-unlimited',
    version: 1,
    appliedAt: '2026-01-01T00:00:00Z',
    definition: {
      id: 'business-unlimited',
      metrics: {
        'users.internal': {aggregation: 'max'},
        'storage.total': {aggregation: 'max', unit: 'GB', sources: ['storage.database_bytes', 'storage.filestore_bytes']},
        'invoices.posted': {aggregation: 'sum'},
      },
      components: [
        {type: 'flat', description: 'x', price: '1'},
        {type: 'fair-use', metric: 'users.internal', threshold: 50, action: 'overage'},
        {type: 'fair-use', metric: 'storage.total', threshold: 100, action: 'overage'},
        {type: 'fair-use', metric: 'invoices.posted', threshold: 2000, action: 'alert'},
      ],
    },
  } as unknown as PlanVersionRecord
  const snap = (date: string, metric: string, value: number, unit = 'count'): UsageSnapshot => ({id: `acme/${date}/${metric}`, tenant: 'acme', date, metric, value, unit, queryVersion: 1, odooVersion: '17.0', collectedAt: `${date}T23:00:00Z`})
  const snapshots = [
    snap('2026-03-01', 'users.internal', 70),
    snap('2026-03-02', 'users.internal', 48),
    snap('2026-03-01', 'storage.database_bytes', 60e9, 'B'),
    snap('2026-03-01', 'storage.filestore_bytes', 50e9, 'B'),
    snap('2026-03-02', 'storage.database_bytes', 30e9, 'B'),
    snap('2026-03-02', 'storage.filestore_bytes', 20e9, 'B'),
    snap('2026-03-01', 'invoices.posted', 1500),
    snap('2026-03-02', 'invoices.posted', 700),
  ]
  const tenant = {id: 'acme', host: 'h', mode: 'shared', domain: 'a.test', series: '17.0', database: 'a', state: 'active', plan: 'business-unlimited', createdAt: '2026-01-01T00:00:00Z'} as TenantRecord

  it('latest day as meter check reads it: levels of the day, per-day counts summed over the month to date', () => {
    const usage = tenantUsage(tenant, snapshots, versionsByPlan([plan]), {kind: 'latest'}, '2026-03-10')
    expect(usage?.date).to.equal('2026-03-02')
    expect(usage?.checks.map((c) => [c.metric, c.value, c.over, c.ratio])).to.deep.equal([
      ['users.internal', '48', false, 0.96],
      ['storage.total', '50', false, 0.5],
      ['invoices.posted', '2200', true, 1.1],
    ])
  })

  it('a period aggregated as the plan says (max of the days, sum of the counts)', () => {
    const usage = tenantUsage(tenant, snapshots, versionsByPlan([plan]), {kind: 'period', period: '2026-03'}, '2026-03-10')
    expect(usage?.checks.map((c) => [c.metric, c.value, c.over])).to.deep.equal([
      ['users.internal', '70', true],
      ['storage.total', '110', true],
      ['invoices.posted', '2200', true],
    ])
  })
})

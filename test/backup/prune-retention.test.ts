import {expect} from 'chai'
import {backupId} from '../../src/lib/backup/manifest.js'
import {findStale, isoWeekKey, parsePlanRetention, parseRetentionRules, resolveRetention, selectRetention, type RetentionCandidate} from '../../src/lib/backup/retention.js'

interface Fake extends RetentionCandidate {
  tenant: string
}

const NOW = new Date('2026-11-20T12:00:00Z') // a Friday, ISO week 2026-W47
const RULES = {daily: 7, weekly: 4, monthly: 12}
const VERIFIED = new Set(['2025-10-20T02:00', '2025-11-10T02:00'])
const FAILED = new Set(['2026-11-18T14:00', '2026-11-01T02:00', '2026-03-10T02:00'])

const idAt = (stamp: string) => backupId('acme', new Date(`${stamp}:00Z`), '0000')

function fake(stamp: string, status = 'complete'): Fake {
  const verification = VERIFIED.has(stamp) ? {status: 'verified'} : FAILED.has(stamp) ? {status: 'failed'} : undefined
  return {id: idAt(stamp), tenant: 'acme', startedAt: new Date(`${stamp}:00Z`).toISOString(), status, ...(verification ? {verification} : {})}
}

/**
 * 400 days, 2025-10-17 … 2026-11-20: a backup at 02:00 every day and a second one at
 * 14:00 on even days of the month (up to NOW); two old verified backups, three recent
 * ones that FAILED verification; one incomplete entry, newest of all.
 */
function history(): Fake[] {
  const out: Fake[] = []
  for (let t = Date.UTC(2025, 9, 17); t <= NOW.getTime(); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10)
    out.push(fake(`${day}T02:00`))
    if (new Date(t).getUTCDate() % 2 === 0 && Date.parse(`${day}T14:00:00Z`) <= NOW.getTime()) out.push(fake(`${day}T14:00`))
  }
  out.push(fake('2026-11-20T08:00', 'partial'))
  return out
}

/** Worked out by hand from the calendar (see the comments), not by the code under test. */
const EXPECTED: Record<string, string[]> = {
  // daily: 2026-11-14 … 2026-11-20, each day's newest (14:00 on even days; 11-20 14:00 is after NOW)
  '2026-11-20T02:00': ['daily 2026-11-20', 'weekly 2026-W47', 'monthly 2026-11', 'newest'],
  '2026-11-19T02:00': ['daily 2026-11-19'],
  '2026-11-18T14:00': ['daily 2026-11-18'], // failed verification: still counts for the rules
  '2026-11-17T02:00': ['daily 2026-11-17'],
  '2026-11-16T14:00': ['daily 2026-11-16'],
  '2026-11-15T02:00': ['daily 2026-11-15', 'weekly 2026-W46'], // Sunday: last day of W46
  '2026-11-14T14:00': ['daily 2026-11-14'],
  // weekly: W45 = Mon 11-02 … Sun 11-08, W44 = Mon 10-26 … Sun 11-01
  '2026-11-08T14:00': ['weekly 2026-W45'],
  '2026-11-01T02:00': ['weekly 2026-W44'],
  // monthly: 2025-12 … 2026-11, each month's last day (14:00 when that day is even)
  '2026-10-31T02:00': ['monthly 2026-10'],
  '2026-09-30T14:00': ['monthly 2026-09'],
  '2026-08-31T02:00': ['monthly 2026-08'],
  '2026-07-31T02:00': ['monthly 2026-07'],
  '2026-06-30T14:00': ['monthly 2026-06'],
  '2026-05-31T02:00': ['monthly 2026-05'],
  '2026-04-30T14:00': ['monthly 2026-04'],
  '2026-03-31T02:00': ['monthly 2026-03'],
  '2026-02-28T14:00': ['monthly 2026-02'],
  '2026-01-31T02:00': ['monthly 2026-01'],
  '2025-12-31T02:00': ['monthly 2025-12'],
  // outside every calendar rule, but the newest VERIFIED backup (the failed ones after it do not count)
  '2025-11-10T02:00': ['newest-verified'],
}

describe('backup retention (grandfather-father-son)', () => {
  it('computes ISO weeks across year ends', () => {
    expect(isoWeekKey(new Date('2026-11-20T12:00:00Z'))).to.equal('2026-W47')
    expect(isoWeekKey(new Date('2025-12-31T02:00:00Z'))).to.equal('2026-W01')
    expect(isoWeekKey(new Date('2027-01-01T00:00:00Z'))).to.equal('2026-W53')
    expect(isoWeekKey(new Date('2021-01-03T23:59:59Z'))).to.equal('2020-W53')
  })

  it('keeps exactly the GFS set of a 400-day history, plus the newest verified and the newest backup, with reasons', () => {
    const all = history()
    expect(all.length).to.be.greaterThan(590)
    const plan = selectRetention(all, RULES, NOW)
    const kept = Object.fromEntries(plan.keep.map((k) => [k.backup.id, k.reasons]))
    const expected = Object.fromEntries(Object.entries(EXPECTED).map(([stamp, reasons]) => [idAt(stamp), reasons]))
    expect(kept).to.deep.equal(expected)
    expect(plan.keep.map((k) => k.backup.id), 'newest first').to.deep.equal(Object.keys(EXPECTED).map(idAt))
    // Everything else goes, the incomplete entry is left alone.
    expect(plan.ignored.map((b) => b.id)).to.deep.equal([idAt('2026-11-20T08:00')])
    expect(plan.remove.length).to.equal(all.length - 1 - Object.keys(EXPECTED).length)
    const removed = new Set(plan.remove.map((b) => b.id))
    for (const stamp of ['2025-10-20T02:00', '2026-03-10T02:00', '2026-11-20T02:00']) expect(removed.has(idAt(stamp)), stamp).to.equal(stamp !== '2026-11-20T02:00')
  })

  it('is idempotent: pruning what is left deletes nothing, now or a little later the same day', () => {
    const left = selectRetention(history(), RULES, NOW).keep.map((k) => k.backup)
    expect(selectRetention(left, RULES, NOW).remove).to.deep.equal([])
    expect(selectRetention(left, RULES, new Date('2026-11-20T23:59:59Z')).remove).to.deep.equal([])
  })

  it('keeps the newest verified backup once; within the rules it gets both reasons', () => {
    const all = history().map((b) => (b.id === idAt('2026-11-19T02:00') ? {...b, verification: {status: 'verified'}} : b))
    const plan = selectRetention(all, RULES, NOW)
    expect(plan.keep.find((k) => k.backup.id === idAt('2026-11-19T02:00'))?.reasons).to.deep.equal(['daily 2026-11-19', 'newest-verified'])
    expect(plan.keep.some((k) => k.backup.id === idAt('2025-11-10T02:00')), 'the older verified one is no longer needed').to.equal(false)
    expect(plan.keep.length).to.equal(Object.keys(EXPECTED).length - 1)
  })

  it('with all rules at 0 keeps only the newest and the newest verified; with no verified backup, only the newest', () => {
    const zero = {daily: 0, weekly: 0, monthly: 0}
    const plan = selectRetention(history(), zero, NOW)
    expect(plan.keep.map((k) => [k.backup.id, k.reasons])).to.deep.equal([
      [idAt('2026-11-20T02:00'), ['newest']],
      [idAt('2025-11-10T02:00'), ['newest-verified']],
    ])
    const unverified = history().map(({verification: _, ...b}) => b)
    expect(selectRetention(unverified, zero, NOW).keep.map((k) => k.backup.id)).to.deep.equal([idAt('2026-11-20T02:00')])
    expect(selectRetention([], RULES, NOW)).to.deep.equal({keep: [], remove: [], ignored: []})
  })

  it('leaves a calendar slot without backups empty (a gap is not filled from older days)', () => {
    const sparse = ['2026-11-20T02:00', '2026-11-10T02:00', '2026-11-09T02:00'].map((s) => fake(s))
    const plan = selectRetention(sparse, {daily: 7, weekly: 0, monthly: 0}, NOW)
    expect(plan.keep.map((k) => k.backup.id)).to.deep.equal([idAt('2026-11-20T02:00')])
    expect(plan.remove.map((b) => b.id)).to.deep.equal([idAt('2026-11-10T02:00'), idAt('2026-11-09T02:00')])
  })

  it('resolves rules: config, then the plan tier, then each flag alone', () => {
    const config = {defaults: parseRetentionRules('7/4/12', 'backup.retention'), byPlan: parsePlanRetention(['premium=30/12/24']), overrides: {}}
    expect(resolveRetention(config, undefined)).to.deep.equal({daily: 7, weekly: 4, monthly: 12, source: 'config'})
    expect(resolveRetention(config, 'basic')).to.deep.equal({daily: 7, weekly: 4, monthly: 12, source: 'config'})
    expect(resolveRetention(config, 'premium')).to.deep.equal({daily: 30, weekly: 12, monthly: 24, source: 'plan premium'})
    expect(resolveRetention({...config, overrides: {weekly: 2}}, 'premium')).to.deep.equal({daily: 30, weekly: 2, monthly: 24, source: 'plan premium + flags'})
    expect(() => parseRetentionRules('7/4', 'backup.retention')).to.throw(/daily\/weekly\/monthly/)
    expect(() => parsePlanRetention(['=1/2/3'])).to.throw(/<plan>=/)
  })

  it('finds tenants whose newest VERIFIED backup is older than the limit, or missing', () => {
    const at = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString()
    const backups = [
      {id: 'a1', tenant: 'a', startedAt: at(2), status: 'complete', verification: {status: 'verified'}},
      {id: 'b1', tenant: 'b', startedAt: at(1), status: 'complete', verification: {status: 'failed'}},
      {id: 'b0', tenant: 'b', startedAt: at(50), status: 'complete', verification: {status: 'verified'}},
      {id: 'c1', tenant: 'c', startedAt: at(1), status: 'complete'},
    ]
    expect(findStale(['c', 'b', 'a', 'd'], backups, 24, NOW)).to.deep.equal([
      {tenant: 'b', newestVerified: 'b0', newestVerifiedAt: at(50), ageHours: 50},
      {tenant: 'c', newestVerified: null, newestVerifiedAt: null, ageHours: null},
      {tenant: 'd', newestVerified: null, newestVerifiedAt: null, ageHours: null},
    ])
    expect(findStale(['a', 'b'], backups, 72, NOW)).to.deep.equal([])
  })
})

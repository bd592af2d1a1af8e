import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {BackupEntry, VerificationRecord} from '../../src/lib/backup/catalog.js'
import {recordVerdict} from '../../src/lib/backup/verify.js'
import {parseSchedule} from '../../src/lib/schedule/file.js'
import {jobUnits, rotationBucket, rotationTurn} from '../../src/lib/schedule/select.js'
import type {JobSpec} from '../../src/lib/schedule/types.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'

const entry = (over: Partial<BackupEntry> = {}): BackupEntry => ({id: 'acme-1', tenant: 'acme', status: 'complete', startedAt: '2026-12-01T02:00:00Z', ...over}) as BackupEntry
const at = (day: number, status: VerificationRecord['status'], extra: Partial<VerificationRecord> = {}): VerificationRecord => ({status, at: `2026-12-0${day}T04:00:00.000Z`, durationMs: 10, ...extra})

describe('backup verification tiers: what is recorded, what the schedule runs', () => {
  it('a full verdict is the verification; a passing quick check is kept beside it and never replaces it', () => {
    const full = recordVerdict(entry(), 'full', at(1, 'verified', {host: 'h1'}))
    expect(full.verification).to.deep.equal({...at(1, 'verified', {host: 'h1'}), tier: 'full'})
    expect(full.verifications).to.deep.equal({full: at(1, 'verified', {host: 'h1'})})
    const quick = recordVerdict(full, 'quick', at(2, 'verified'))
    expect(quick.verification).to.deep.equal(full.verification)
    expect(quick.verifications).to.deep.equal({full: at(1, 'verified', {host: 'h1'}), quick: at(2, 'verified')})
  })

  it('a failed quick check becomes the verification (a damaged file is not restorable); the next full verdict replaces it', () => {
    const full = recordVerdict(entry(), 'full', at(1, 'verified', {host: 'h1'}))
    const damaged = recordVerdict(full, 'quick', at(2, 'failed', {reason: 'database.dump.zst does not match its checksum'}))
    expect(damaged.verification).to.deep.include({status: 'failed', tier: 'quick', reason: 'database.dump.zst does not match its checksum'})
    expect(damaged.verifications?.full?.status).to.equal('verified')
    const again = recordVerdict(damaged, 'full', at(3, 'verified', {host: 'h1'}))
    expect(again.verification).to.deep.include({status: 'verified', tier: 'full', at: at(3, 'verified').at})
    expect(again.verifications?.quick?.status).to.equal('failed')
  })

  describe('verify jobs', () => {
    let store: StateStore
    const slugs = Array.from({length: 14}, (_, i) => `tenant-${i}`)
    const slot = '2026-12-05T04:00Z'
    const job = (options: JobSpec['options']): JobSpec => ({id: 'v', kind: 'verify', cron: '0 4 * * *', options})

    before(async () => {
      store = await openStore(parseStateLocation(undefined, join(mkdtempSync(join(tmpdir(), 'odoops-tiers-')), 'data')))
      for (const id of slugs) {
        await store.tenants.insert({id, host: 'h1', state: 'active', mode: 'shared', plan: 'business'} as unknown as TenantRecord)
        await store.backups.insert(entry({id: `${id}-b1`, tenant: id}))
      }
    })
    after(() => store.close())

    it('rotate 7: the tenants on their turn get the full restore, every other tenant the quick check of its newest backup', async () => {
      const units = await jobUnits(store, job({rotate: 7}), slot)
      expect(units.map((u) => u.id).sort()).to.deep.equal([...slugs].sort())
      const turn = rotationTurn(slot, 7)
      for (const u of units) expect(u.tier, u.id).to.equal(rotationBucket(u.id, 7) === turn ? 'full' : 'quick')
      expect(units.filter((u) => u.tier === 'full').length).to.be.within(1, 13)
      for (const u of units) expect(u.backup).to.equal(`${u.id}-b1`)
    })

    it('quick: false keeps the rotation alone; rotate 1 restores every tenant', async () => {
      const onTurn = await jobUnits(store, job({rotate: 7, quick: false}), slot)
      expect(onTurn.every((u) => u.tier === 'full')).to.equal(true)
      expect(onTurn.length).to.be.below(slugs.length)
      const everyone = await jobUnits(store, job({rotate: 1}), slot)
      expect(everyone.map((u) => u.tier)).to.deep.equal(slugs.map(() => 'full'))
    })

    it('the schedule file takes quick on verify jobs only', () => {
      const ok = parseSchedule('version: 1\njobs:\n  - {id: v, kind: verify, cron: "0 4 * * *", options: {rotate: 7, quick: true}}\n')
      expect(ok.issues).to.deep.equal([])
      expect(ok.schedule?.jobs[0].options).to.deep.equal({rotate: 7, quick: true})
      const wrong = parseSchedule('version: 1\njobs:\n  - {id: b, kind: backup, cron: "0 2 * * *", options: {quick: true}}\n')
      expect(Object.fromEntries(wrong.issues.map((i) => [i.path, i.message]))['/jobs/0/options/quick']).to.match(/unknown property "quick"/)
    })
  })
})

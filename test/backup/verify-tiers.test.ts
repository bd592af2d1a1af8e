import {expect} from 'chai'
import {createHash, randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, renameSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {BackupEntry, VerificationRecord} from '../../src/lib/backup/catalog.js'
import {serializeManifest, type OdooManifest} from '../../src/lib/backup/manifest.js'
import {recordVerdict, verifyBackup} from '../../src/lib/backup/verify.js'
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

  describe('the quick tier on a local target (no host)', () => {
    let store: StateStore
    let dataDir: string
    const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
    /** A format-2 backup written the way a run writes it: dump, one blob in the pool, manifest; and its catalog entry. */
    async function stored(id: string, entryCounts: Record<string, number>): Promise<{blob: string}> {
      const dump = randomBytes(3000)
      const blobBytes = randomBytes(500)
      const sha1 = createHash('sha1').update(blobBytes).digest('hex')
      const root = join(dataDir, 'backups')
      mkdirSync(join(root, 'acme', id), {recursive: true})
      mkdirSync(join(root, 'odoops_blobs', sha1.slice(0, 2)), {recursive: true})
      writeFileSync(join(root, 'odoops_blobs', sha1.slice(0, 2), sha1), blobBytes)
      writeFileSync(join(root, 'acme', id, 'database.dump.zst'), dump)
      const dbFile = {role: 'database' as const, name: 'database.dump.zst', codec: 'zstd' as const, size: dump.length, sha256: sha256(dump)}
      const counts = {res_users_active: 2, res_users_share: 0, res_company: 1, ir_attachment: 1, account_move: 0}
      const manifest = serializeManifest({odoo_dump: '1', db_name: 'acme.example.test', modules: {}, odoops: {format: 2, backupId: id, tenant: 'acme', files: [dbFile], counts, filestore: {files: 1, bytes: 500}, blobs: [[`${sha1.slice(0, 2)}/${sha1}`, 500]]}} as unknown as OdooManifest)
      writeFileSync(join(root, 'acme', id, 'manifest.json'), manifest)
      await store.backups.insert(
        entry({id, target: 'default', counts: entryCounts as never, filestore: {files: 1, bytes: 500}, blobs: {files: 1, bytes: 500, sent: 1, sentBytes: 500}, files: [dbFile, {role: 'manifest', name: 'manifest.json', size: manifest.length, sha256: sha256(manifest)}]}),
      )
      return {blob: join(root, 'odoops_blobs', sha1.slice(0, 2), sha1)}
    }

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'odoops-quick-'))
      store = await openStore(parseStateLocation(undefined, join(dataDir, 'state')))
    })
    after(() => store.close())

    it('passes without any host, whatever order the store gives the entry\'s keys back in (jsonb sorts them)', async () => {
      // The keys reversed, as PostgreSQL's jsonb may return them.
      await stored('acme-q1', {account_move: 0, ir_attachment: 1, res_company: 1, res_users_share: 0, res_users_active: 2})
      const result = await verifyBackup({store, dataDir, connect: () => Promise.reject(new Error('no host may be reached'))}, 'acme-q1', {tier: 'quick'})
      expect(result).to.include({tier: 'quick', status: 'verified'})
      expect(result.checks.map((c) => `${c.name}:${c.ok}`)).to.deep.equal(['catalog:true', 'checksums:true', 'blobs:true'])
    })

    it('fails a missing blob (blobs) and different counts (catalog), naming what differs', async () => {
      const {blob} = await stored('acme-q2', {res_users_active: 2, res_users_share: 0, res_company: 1, ir_attachment: 1, account_move: 0})
      renameSync(blob, `${blob}.gone`)
      const missing = await verifyBackup({store, dataDir}, 'acme-q2', {tier: 'quick'})
      expect(missing.status).to.equal('failed')
      expect(missing.checks.at(-1)).to.include({name: 'blobs', ok: false})
      expect(missing.reason).to.include('acme-q2')
      renameSync(`${blob}.gone`, blob)
      await stored('acme-q3', {res_users_active: 3, res_users_share: 0, res_company: 1, ir_attachment: 1, account_move: 0})
      const counts = await verifyBackup({store, dataDir}, 'acme-q3', {tier: 'quick'})
      expect(counts.reason).to.match(/differ: row counts$/)
    })
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

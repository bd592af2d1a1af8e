import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {decodeBlob, type BlobTuple} from '../../src/lib/backup/blobs/layout.js'
import type {BackupEntry} from '../../src/lib/backup/catalog.js'
import {pruneBackups} from '../../src/lib/backup/prune.js'
import {backupSource} from '../../src/lib/backup/restore-source.js'
import {runBackups, selectTenants, type BackupEnv} from '../../src/lib/backup/run.js'
import {addTarget} from '../../src/lib/backup/targets/index.js'
import {connectHost} from '../../src/lib/hosts/connect.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {withStore} from '../helpers/store.js'
import {sandboxScript, tenantWithAttachments} from '../helpers/tenant-with-data.js'

const DAYS = 30
const ATTACHMENTS = 100
/**
 * Attachment sizes: 40–80 KB of random bytes (an Odoo filestore's scans, PDFs and images are
 * mostly larger). Each backup has a fixed cost besides: its dump (~15 KB here, the fixture's
 * database) and its manifest (~85 bytes per file listed). With 4–8 KB files these dominate:
 * 30 backups then take ~2.1× one full backup (dumps 0.6×, manifests 0.4×; measured), so the
 * bound below would not be about the filestore any more.
 */
const MIN_BYTES = 40_000
const MAX_BYTES = 80_000
/** Day 1 is Tuesday 2026-10-20, day 30 Wednesday 2026-11-18; each backup at 02:00 UTC. */
const dayAt = (day: number) => new Date(Date.UTC(2026, 9, 19 + day, 2, 0, 0))
/** Days that also get a short-lived attachment, deleted the next day (Odoo's garbage collector unlinks it). */
const TEMP_DAYS = new Set([2, 5, 8, 11, 14, 17, 20, 23, 26, 29])
/**
 * GFS 7/4/12 with now = day 30 (2026-11-18), worked out by hand from the calendar:
 * daily 11-12 … 11-18 = days 24–30; weekly W47 (Mon 11-16 …) = day 30, W46 (… Sun 11-15) = day 27,
 * W45 (… Sun 11-08) = day 20, W44 (… Sun 11-01) = day 13; monthly 2026-11 = day 30, 2026-10 (… 10-31) = day 12.
 */
const KEPT_DAYS = [12, 13, 20, 24, 25, 26, 27, 28, 29, 30]
const RESTORED_DAY = 17

/** Every file under a directory (recursively) with its size. */
function filesUnder(dir: string): {path: string; size: number}[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath ?? e.path, e.name)
      return {path: path.slice(dir.length + 1), size: statSync(path).size}
    })
}

/**
 * Issue 21's must-show, on a real sandbox tenant (fixture Odoo): 30 daily backups of a
 * filestore that grows 1% a day take about the room of ONE full backup on the target (the
 * filestore stored by content: each attachment once, as a blob); the 17th backup restores to
 * exactly that day's files; pruning to the GFS set keeps exactly the blobs the kept backups list.
 * The tenant backs up to a target of its own (a local directory), so its pool holds this
 * tenant's blobs only and can be compared with the manifests exactly.
 */
describe('backup: 30 daily backups of a growing filestore take about one full backup @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const tag = randomBytes(3).toString('hex')
  const slug = `dg-${tag}`
  const domain = `${slug}.daily.example.test`
  const targetName = `dg-${tag}`
  const targetDir = join(mkdtempSync(join(tmpdir(), 'odoops-daily-')), 'target')
  let filestore: string
  /** Backup of day d at index d - 1. */
  const entries: BackupEntry[] = []
  /** The filestore as the host had it right before the 17th backup: relative path → SHA-1 (sha1sum there). */
  let day17Files: Map<string, string>
  /** When this suite's setup began (the printed durations include the tenant's creation). */
  let started = 0

  const inProcess = <T>(work: (benv: BackupEnv, store: StateStore) => Promise<T>) => withStore(env, (store) => work({store, dataDir: env.ODOOPS_DATA_DIR}, store))
  const manifestOf = (entry: BackupEntry) => JSON.parse(readFileSync(join(targetDir, slug, entry.id, 'manifest.json'), 'utf8')) as {odoops: {blobs: BlobTuple[]}}
  const blobsOf = (entry: BackupEntry) => new Set(manifestOf(entry).odoops.blobs.map((t) => decodeBlob(t).sha1))
  const poolBlobs = () => new Set(filesUnder(join(targetDir, 'odoops_blobs')).map((f) => f.path.split('/')[1]))
  const parseSha1sum = (out: string) => new Map(out.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => [l.slice(42).replace(/^\.\//, ''), l.slice(0, 40)] as [string, string]))
  /** Adds one attachment (random size), as Odoo stores it; prints its SHA-1 as `new <sha1>`. */
  const addOne = (name: string) => [
    `f=$(mktemp); n=$((${MIN_BYTES} + (RANDOM * 32768 + RANDOM) % ${MAX_BYTES - MIN_BYTES + 1})); head -c $n /dev/urandom > "$f"; s=$(sha1sum "$f" | cut -c1-40)`,
    `mkdir -p '${filestore}'/\${s:0:2}; mv "$f" '${filestore}'/\${s:0:2}/$s; chmod 0640 '${filestore}'/\${s:0:2}/$s; chown -R odoo:odoo '${filestore}'/\${s:0:2}; echo "new $s"`,
    `echo "INSERT INTO ir_attachment (name, type, store_fname, checksum, file_size, mimetype) VALUES ('${name}', 'binary', '\${s:0:2}/$s', '$s', $n, 'application/octet-stream');" >> "$sql"`,
  ]
  /** Removes an attachment and its file, as Odoo's garbage collector does once no row uses it. */
  const removeOne = (sha1: string) => [
    `rm -f -- '${filestore}/${sha1.slice(0, 2)}/${sha1}'`,
    `echo "DELETE FROM ir_attachment WHERE checksum = '${sha1}';" >> "$sql"`,
  ]

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    started = Date.now()
    env = a.env
    await tenantWithAttachments(a, slug, domain, {tag: `dg${tag}`, count: ATTACHMENTS, bytes: MIN_BYTES, maxBytes: MAX_BYTES})
    filestore = `${a.prepare.service.dataDir}/filestore/${domain}`
    await inProcess((benv) => addTarget(benv, {name: targetName, type: 'local', path: targetDir}))
  })

  after(async function () {
    // Nothing of this suite is left in the shared catalog for later suites (its target is gone).
    if (!env) return
    await inProcess(async (_benv, store) => {
      for (const b of await store.backups.list({tenant: slug})) await store.backups.delete(b.id)
      await store.backupTargets.delete(targetName)
    }).catch(() => {})
    rmSync(join(targetDir, '..'), {recursive: true, force: true})
  })

  it('30 daily backups, 1% more attachments each day, take at most 1.5× one full backup on the target', async function () {
    this.timeout(300_000)
    let temp: string | undefined
    const originals = [...parseSha1sum(await sandboxScript(a.sandbox, [`cd '${filestore}' && find . -type f -print0 | xargs -0 -r sha1sum`])).values()]
    expect(originals).to.have.length(ATTACHMENTS)
    for (let day = 1; day <= DAYS; day++) {
      // The day's changes: 1 new attachment (1% of 100); yesterday's short-lived one goes, today's
      // (if any) comes; on day 5, two of the original attachments are deleted. No file is ever rewritten.
      const lines = ['sql=$(mktemp)', ...addOne(`${tag}-day${day}.bin`)]
      if (temp) lines.push(...removeOne(temp))
      if (day === 5) lines.push(...removeOne(originals[0]), ...removeOne(originals[1]))
      if (TEMP_DAYS.has(day)) lines.push(...addOne(`${tag}-temp${day}.bin`).map((l) => l.replace('echo "new $s"', 'echo "temp $s"')))
      lines.push(`cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${domain}' < "$sql" >&2; rm -f "$sql"`)
      if (day === RESTORED_DAY) lines.push(`cd '${filestore}' && find . -type f -print0 | xargs -0 -r sha1sum`)
      const out = await sandboxScript(a.sandbox, lines)
      temp = /^temp ([0-9a-f]{40})$/m.exec(out)?.[1]
      if (day === RESTORED_DAY) day17Files = parseSha1sum(out)

      const report = await inProcess(async (benv, store) => runBackups({...benv, now: () => dayAt(day)}, await selectTenants(store, {slugs: [slug]}), {target: targetName}))
      expect(report.results[0].ok, JSON.stringify(report.results[0].error)).to.equal(true)
      const entry = await inProcess((_benv, store) => store.backups.get(report.results[0].backup!.id)) as BackupEntry
      expect(entry.startedAt).to.equal(dayAt(day).toISOString())
      // Only what is new travels: all 100 (and day 1's one) on day 1, then the day's one or two.
      expect(entry.blobs?.sent, `day ${day}`).to.equal(day === 1 ? ATTACHMENTS + 1 : TEMP_DAYS.has(day) ? 2 : 1)
      entries.push(entry)
    }
    expect(day17Files.size).to.equal(ATTACHMENTS + RESTORED_DAY - 2 + 1)

    // "One full backup": what a single self-contained backup of day 30 holds, i.e. one database dump
    // (the first backup's) plus every byte of the filestore as it is on day 30.
    const dump = (e: BackupEntry) => e.files.find((f) => f.role === 'database')!.size
    const oneFull = dump(entries[0]) + entries[DAYS - 1].filestore.bytes
    const files = filesUnder(targetDir)
    const total = files.reduce((n, f) => n + f.size, 0)
    const pool = files.filter((f) => f.path.startsWith('odoops_blobs/')).reduce((n, f) => n + f.size, 0)
    const manifests = files.filter((f) => f.path.endsWith('/manifest.json')).reduce((n, f) => n + f.size, 0)
    const dumps = entries.reduce((n, e) => n + dump(e), 0)
    // The format-1 layout (a dump and a filestore archive in every backup): ≈ 30 × one full backup.
    const tarFormat = entries.reduce((n, e) => n + dump(e) + e.filestore.bytes, 0)
    const ratio = total / oneFull
    console.log(
      `      ${DAYS} daily backups: target ${total} bytes (pool ${pool}, ${DAYS} dumps ${dumps}, manifests ${manifests}, other ${total - pool - dumps - manifests})` +
        ` vs one full backup ${oneFull} bytes (dump ${dump(entries[0])} + filestore ${entries[DAYS - 1].filestore.bytes}, ${entries[DAYS - 1].filestore.files} files): ${ratio.toFixed(2)}×;` +
        ` the archive-per-backup format would take about ${tarFormat} bytes (${(tarFormat / oneFull).toFixed(1)}×); ${((Date.now() - started) / 1000).toFixed(0)} s so far`,
    )
    expect(files.every((f) => !f.path.startsWith('odoops_claims/')), 'no claim left').to.equal(true)
    // Each distinct file is stored once, whatever the number of backups listing it.
    const distinct = new Map(entries.flatMap((e) => manifestOf(e).odoops.blobs.map((t) => decodeBlob(t))).map((r) => [r.sha1, r.size]))
    expect(poolBlobs()).to.deep.equal(new Set(distinct.keys()))
    expect(pool).to.equal([...distinct.values()].reduce((n, size) => n + size, 0))
    expect(ratio).to.be.at.most(1.5)
    expect(tarFormat / oneFull, 'the comparison is meaningful').to.be.above(20)
  })

  it('the 17th backup restores to exactly that day\'s files (SHA-1 of every file, read on the host)', async function () {
    this.timeout(120_000)
    const entry = entries[RESTORED_DAY - 1]
    expect(entry.startedAt).to.equal(dayAt(RESTORED_DAY).toISOString())
    const dir = `/var/tmp/odoops-daily-test-${randomBytes(4).toString('hex')}`
    try {
      // The restore's own path: the backup's source rebuilds the filestore from the blobs it lists.
      await inProcess(async (benv, store) => (await backupSource(benv, entry.id)).loadFilestore(await connectHost(store, a.host), dir))
      const restored = parseSha1sum(await sandboxScript(a.sandbox, [`cd '${dir}' && find . -type f -print0 | xargs -0 -r sha1sum`]))
      expect(restored).to.deep.equal(day17Files)
      // …and not today's: the filestore has moved on since (13 more days of attachments).
      const today = parseSha1sum(await sandboxScript(a.sandbox, [`cd '${filestore}' && find . -type f -print0 | xargs -0 -r sha1sum`]))
      expect(today.size).to.be.above(day17Files.size)
    } finally {
      await sandboxScript(a.sandbox, [`rm -rf -- '${dir}'`])
    }
  })

  it('pruning to the GFS set (7/4/12, now = day 30) keeps exactly the blobs the kept backups list', async function () {
    this.timeout(120_000)
    const listedByAny = new Set(entries.flatMap((e) => [...blobsOf(e)]))
    expect(poolBlobs()).to.deep.equal(listedByAny)
    const prune = (dryRun: boolean) =>
      inProcess((benv) => pruneBackups({...benv, now: () => dayAt(DAYS)}, [slug], {dryRun, retention: {defaults: {daily: 7, weekly: 4, monthly: 12}, byPlan: {}, overrides: {}}}))
    // The dry run deletes nothing and names what the sweep would remove: the same as the real one then does.
    const preview = await prune(true)
    expect(poolBlobs()).to.deep.equal(listedByAny)
    expect(readdirSync(join(targetDir, slug))).to.have.length(DAYS)
    const report = await prune(false)
    expect(preview.blobs).to.deep.equal(report.blobs)
    expect(report.exitCode).to.equal(0)
    const keptIds = KEPT_DAYS.map((d) => entries[d - 1].id)
    expect(report.tenants[0].kept.map((k) => k.id).sort()).to.deep.equal([...keptIds].sort())
    expect(report.tenants[0].deleted).to.have.length(DAYS - KEPT_DAYS.length)
    const remaining = await inProcess(async (_benv, store) => (await store.backups.list({tenant: slug})).map((b) => b.id).sort())
    expect(remaining).to.deep.equal([...keptIds].sort())
    expect(readdirSync(join(targetDir, slug)).sort()).to.deep.equal([...keptIds].sort())

    const expected = new Set(KEPT_DAYS.flatMap((d) => [...blobsOf(entries[d - 1])]))
    const gone = [...listedByAny].filter((h) => !expected.has(h))
    // The two originals deleted on day 5 and the short-lived files of days 2, 5, 8, 11, 14, 17 and 23 (none in a kept backup).
    expect(gone).to.have.length(2 + 7)
    expect(poolBlobs()).to.deep.equal(expected)
    expect(report.blobs).to.deep.equal([{target: targetName, kept: expected.size, removed: gone.length, freedBytes: report.blobs[0].freedBytes}])
    console.log(`      prune: kept ${KEPT_DAYS.length} of ${DAYS} backups and ${expected.size} blobs, removed ${gone.length} blobs (${report.blobs[0].freedBytes} bytes); ${((Date.now() - started) / 1000).toFixed(0)} s in all`)
  })
})

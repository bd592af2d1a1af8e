import {expect} from 'chai'
import {execa} from 'execa'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {blobKey, decodeBlob, type BlobTuple} from '../../src/lib/backup/blobs/layout.js'
import {pruneBackups} from '../../src/lib/backup/prune.js'
import {DEFAULT_RETENTION} from '../../src/lib/backup/retention.js'
import {backupSource} from '../../src/lib/backup/restore-source.js'
import {backupTenant, type BackupEnv} from '../../src/lib/backup/run.js'
import {connectHost} from '../../src/lib/hosts/connect.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {BIN, runCli} from '../helpers/cli.js'
import {flipByte} from '../helpers/corrupt.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun} from '../helpers/sandbox.js'
import {withStore} from '../helpers/store.js'
import {sandboxScript, tenantWithAttachments} from '../helpers/tenant-with-data.js'

interface RunBackup {
  id: string
  files: {role: string; name: string}[]
  filestore: {files: number; bytes: number}
  blobs: {files: number; bytes: number; sent: number; sentBytes: number}
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex')

/** Every file under a directory: relative path → its SHA-1. */
function hashesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  if (!existsSync(dir)) return out
  for (const e of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    if (!e.isFile()) continue
    const path = join(e.parentPath ?? e.path, e.name)
    out.set(path.slice(dir.length + 1), sha1(readFileSync(path)))
  }
  return out
}

/**
 * The filestore stored by content (format 2) on a real sandbox tenant (fixture Odoo) and the
 * default local target: a second run sends only the blobs the target lacks; restoring either
 * backup gives exactly that day's files; a prune during a run never removes the run's blobs;
 * an interrupted run leaves no manifest and its blobs serve the next run; pruning keeps exactly
 * the blobs kept backups need; a corrupted blob fails verify, naming the backups that need it.
 */
describe('backup blobs: the filestore stored by content @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const tag = randomBytes(3).toString('hex')
  const slug = `bl-${tag}`
  const domain = `${slug}.blobs.example.test`
  const other = `bo-${tag}`
  const otherDomain = `${other}.blobs.example.test`
  const ATTACHMENTS = 20
  const BYTES = 20_000
  let filestore: string
  const pool = () => join(env.ODOOPS_DATA_DIR, 'backups', 'odoops_blobs')
  const poolBlobs = () => new Set([...hashesUnder(pool()).keys()].filter((k) => !k.endsWith('.partial')).map((k) => k.split('/')[1]))
  const manifestOf = (id: string, tenant = slug) => JSON.parse(readFileSync(join(env.ODOOPS_DATA_DIR, 'backups', tenant, id, 'manifest.json'), 'utf8'))
  const blobsOf = (id: string, tenant = slug) => new Set((manifestOf(id, tenant).odoops.blobs as BlobTuple[]).map((t) => decodeBlob(t).sha1))
  /** The tenant's filestore as the host has it: relative path → SHA-1 (read with sha1sum there). */
  const hostFiles = async (dir = filestore) => {
    const out = await sandboxScript(a.sandbox, [`cd '${dir}' && find . -type f -print0 | xargs -0 -r sha1sum`])
    return new Map(out.split('\n').filter(Boolean).map((l) => [l.slice(42).replace(/^\.\//, ''), l.slice(0, 40)] as [string, string]))
  }
  const backup = async (): Promise<RunBackup> => {
    const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    return run.json.results[0].backup as RunBackup
  }
  /** Adds `count` attachments of `bytes` random bytes (Odoo's layout); returns their SHA-1s. */
  const addAttachments = async (count: number, bytes: number): Promise<string[]> => {
    const out = await sandboxScript(a.sandbox, [
      `for i in $(seq 1 ${count}); do`,
      `  f=$(mktemp); head -c ${bytes} /dev/urandom > "$f"; s=$(sha1sum "$f" | cut -c1-40)`,
      `  mkdir -p '${filestore}'/\${s:0:2}; mv "$f" '${filestore}'/\${s:0:2}/$s; chown -R odoo:odoo '${filestore}'/\${s:0:2}; echo $s`,
      `  echo "INSERT INTO ir_attachment (name, type, store_fname, checksum, file_size, mimetype) VALUES ('x-$s', 'binary', '\${s:0:2}/$s', '$s', ${bytes}, 'application/octet-stream');" >> /tmp/${tag}-more.sql`,
      `done`,
      `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${domain}' -f /tmp/${tag}-more.sql >&2; rm -f /tmp/${tag}-more.sql`,
    ])
    return out.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l))
  }
  const inProcess = <T>(work: (benv: BackupEnv, store: StateStore) => Promise<T>) =>
    withStore(env, (store) => work({store, dataDir: env.ODOOPS_DATA_DIR}, store))
  /** Restores a backup's filestore (as restore and move do) into a scratch directory on the host. */
  const restoredFiles = async (id: string) => {
    const dir = `/var/tmp/odoops-blobs-test-${randomBytes(4).toString('hex')}`
    try {
      await inProcess(async (benv, store) => {
        const source = await backupSource(benv, id)
        await source.loadFilestore(await connectHost(store, a.host), dir)
      })
      return await hostFiles(dir)
    } finally {
      await sandboxScript(a.sandbox, [`rm -rf -- '${dir}'`])
    }
  }
  let first: RunBackup
  let second: RunBackup
  let firstFiles: Map<string, string>
  let secondFiles: Map<string, string>
  let removedSha1: string

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    env = a.env
    this.timeout(600_000)
    await tenantWithAttachments(a, slug, domain, {tag: 'bl', count: ATTACHMENTS, bytes: BYTES})
    filestore = `${a.prepare.service.dataDir}/filestore/${domain}`
    // A file Odoo did not name by its content: kept all the same.
    await sandboxScript(a.sandbox, [`mkdir -p '${filestore}/checklist'`, `echo hello > '${filestore}/checklist/notes.txt'`])
    await tenantWithAttachments(a, other, otherDomain, {tag: 'bo', count: 3, bytes: 5000})
    // The other tenant's backup, on the same target: pruning it sweeps the shared pool.
    const run = await runCli(['backup', 'run', other, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
  })

  it('stores each file once under its SHA-1; a second run after a small change sends only the new blobs', async function () {
    this.timeout(600_000)
    firstFiles = await hostFiles()
    expect(firstFiles.size).to.be.at.least(ATTACHMENTS + 1)
    first = await backup()
    expect(first.files.map((f) => f.role).sort()).to.deep.equal(['database', 'manifest'])
    expect(readdirSync(join(env.ODOOPS_DATA_DIR, 'backups', slug, first.id)).sort()).to.deep.equal(['database.dump.zst', 'manifest.json'].filter((n) => first.files.some((f) => f.name === n)).sort())
    const distinct = new Set(firstFiles.values())
    expect(first.blobs).to.include({files: firstFiles.size, sent: distinct.size})
    const manifest = manifestOf(first.id)
    expect(manifest.odoops.format).to.equal(2)
    const listed = new Map((manifest.odoops.blobs as BlobTuple[]).map((t) => decodeBlob(t)).map((r) => [r.path, r.sha1]))
    expect(listed).to.deep.equal(firstFiles)
    // Every blob in the pool hashes to its name.
    for (const [rel, hash] of hashesUnder(pool())) expect(hash, rel).to.equal(rel.split('/')[1])
    for (const hash of distinct) expect(poolBlobs().has(hash), hash).to.equal(true)

    // 2 new attachments, one removed (Odoo's garbage collector): only the 2 new ones travel.
    const added = await addAttachments(2, 30_000)
    removedSha1 = [...firstFiles.entries()].find(([p]) => p !== 'checklist/notes.txt')![1]
    await sandboxScript(a.sandbox, [
      `rm -f -- '${filestore}/${removedSha1.slice(0, 2)}/${removedSha1}'`,
      `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${domain}' -c "DELETE FROM ir_attachment WHERE checksum = '${removedSha1}'"`,
    ])
    secondFiles = await hostFiles()
    second = await backup()
    expect(second.blobs).to.deep.equal({files: secondFiles.size, bytes: second.filestore.bytes, sent: 2, sentBytes: 60_000})
    for (const hash of added) expect(poolBlobs().has(hash)).to.equal(true)
    expect(blobsOf(second.id).has(removedSha1)).to.equal(false)
  })

  it('restores each backup to exactly its own files (SHA-1 of every file), from the shared blobs', async function () {
    this.timeout(600_000)
    expect(await restoredFiles(first.id)).to.deep.equal(firstFiles)
    expect(await restoredFiles(second.id)).to.deep.equal(secondFiles)
    const verified = await runCli(['backup', 'verify', second.id, '--json'], {env, timeoutMs: 300_000})
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0)
    expect(verified.json.results[0].result.checks.find((c: {name: string}) => c.name === 'checksums').detail).to.match(/blobs: each blob's SHA-1 matches its name/)
  })

  it('a prune (of another tenant, same target) during a run never removes the blobs the run claimed or sent', async function () {
    this.timeout(600_000)
    const added = await addAttachments(3, 10_000)
    // An orphan: in the pool, needed by no backup and no run.
    const orphan = randomBytes(1000)
    const orphanHash = sha1(orphan)
    mkdirSync(join(pool(), orphanHash.slice(0, 2)), {recursive: true})
    writeFileSync(join(pool(), orphanHash.slice(0, 2), orphanHash), orphan)
    const seenDuringRun: {removed: number; present: string[]}[] = []
    const entry = await inProcess(async (benv) => {
      const {entry} = await backupTenant(
        {
          ...benv,
          blobHooks: {
            onBlob: async (_sha1, sent) => {
              if (sent !== 1) return
              // The run has claimed its blobs and sent one of the new ones; none is catalogued yet.
              const report = await inProcess((penv) => pruneBackups(penv, [other], {dryRun: false, retention: {defaults: DEFAULT_RETENTION, byPlan: {}, overrides: {}}}))
              seenDuringRun.push({removed: report.blobs.find((b) => b.target === 'default')?.removed ?? -1, present: added.filter((h) => existsSync(join(env.ODOOPS_DATA_DIR, 'backups', blobKey(h))))})
            },
          },
        },
        slug,
      )
      return entry
    })
    expect(seenDuringRun).to.have.length(1)
    expect(seenDuringRun[0].removed, 'the orphan was swept').to.be.at.least(1)
    // At least the blob just committed was in the pool while no catalogued backup listed it, and survived the sweep.
    expect(seenDuringRun[0].present.length).to.be.at.least(1)
    expect(existsSync(join(pool(), orphanHash.slice(0, 2), orphanHash))).to.equal(false)
    expect(entry.blobs?.sent).to.be.at.least(3)
    // Every blob the run's backup lists is in the pool, and its files restore exactly.
    for (const hash of blobsOf(entry.id)) expect(poolBlobs().has(hash), hash).to.equal(true)
    expect(await restoredFiles(entry.id)).to.deep.equal(await hostFiles())
  })

  it('an interrupted run leaves no manifest and no catalog entry; the next run reuses the blobs it sent', async function () {
    this.timeout(600_000)
    const added = await addAttachments(6, 10_000)
    const before = (await runCli(['backup', 'list', slug, '--json'], {env})).json.backups.length as number
    const stop = new AbortController()
    const failed = await inProcess((benv) =>
      backupTenant({...benv, signal: stop.signal, blobHooks: {onBlob: (_h, sent) => (sent === 2 ? stop.abort(new Error('killed')) : undefined)}}, slug).then(
        () => undefined,
        (error: unknown) => error,
      ),
    )
    expect(failed, 'the run was stopped').to.be.instanceOf(Error)
    const listed = (await runCli(['backup', 'list', slug, '--json'], {env})).json.backups as {id: string}[]
    expect(listed.length).to.equal(before)
    const dirs = readdirSync(join(env.ODOOPS_DATA_DIR, 'backups', slug))
    for (const d of dirs) expect(existsSync(join(env.ODOOPS_DATA_DIR, 'backups', slug, d, 'manifest.json')), d).to.equal(listed.some((b) => b.id === d))
    const kept = added.filter((h) => poolBlobs().has(h)).length
    expect(kept, 'blobs committed before the stop stay').to.be.at.least(2)
    const next = await backup()
    expect(next.blobs.sent).to.equal(6 - kept)
    expect(await restoredFiles(next.id)).to.deep.equal(await hostFiles())
  })

  it('a run killed outright (SIGKILL) after sending its blobs leaves no manifest and no catalog entry; the next run sends none of them again', async function () {
    this.timeout(600_000)
    const added = await addAttachments(4, 10_000)
    const before = ((await runCli(['backup', 'list', slug, '--json'], {env})).json.backups as {id: string}[]).map((b) => b.id)
    // pg_dump waits for this lock, so the run is surely alive (dump pending) once its blobs are in.
    const holder = sshRun(a.sandbox, `cd / && runuser -u postgres -- psql -X -q -d '${domain}' -c "BEGIN; LOCK TABLE res_partner IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;"`, {timeoutMs: 180_000})
    const child = execa('node', [BIN, 'backup', 'run', slug, '--json'], {env: {...env, NO_COLOR: '1'}, extendEnv: true, reject: false, stdin: 'ignore'})
    try {
      const deadline = Date.now() + 60_000
      while (!added.every((h) => poolBlobs().has(h))) {
        expect(Date.now(), 'the run sent its blobs').to.be.below(deadline)
        await sleep(50)
      }
      child.kill('SIGKILL')
      const result = await child
      expect(result.signal).to.equal('SIGKILL')
    } finally {
      await sshRun(a.sandbox, `cd / && runuser -u postgres -- psql -X -q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${domain}' AND query LIKE '%pg_sleep%'"`)
      await holder
    }
    const listed = ((await runCli(['backup', 'list', slug, '--json'], {env})).json.backups as {id: string}[]).map((b) => b.id)
    expect(listed).to.deep.equal(before)
    for (const d of readdirSync(join(env.ODOOPS_DATA_DIR, 'backups', slug))) {
      expect(existsSync(join(env.ODOOPS_DATA_DIR, 'backups', slug, d, 'manifest.json')), d).to.equal(listed.includes(d))
    }
    const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    const result = run.json.results[0]
    expect(result.swept, 'the dead run\'s partial dump and claim').to.be.at.least(1)
    expect(result.backup.blobs.sent).to.equal(0)
    expect(existsSync(join(env.ODOOPS_DATA_DIR, 'backups', 'odoops_claims', slug))).to.equal(false)
    expect(await restoredFiles(result.backup.id)).to.deep.equal(await hostFiles())
  })

  it('pruning keeps exactly the blobs the kept backups need and removes the others', async function () {
    this.timeout(600_000)
    const pruned = await runCli(['backup', 'prune', slug, other, '--keep-daily', '0', '--keep-weekly', '0', '--keep-monthly', '0', '--json'], {env, timeoutMs: 240_000})
    expect(pruned.code, pruned.stdout + pruned.stderr).to.equal(0)
    const deleted = pruned.json.tenants.flatMap((t: {deleted: {id: string}[]}) => t.deleted.map((b) => b.id))
    expect(deleted).to.include(first.id)
    const kept = (await runCli(['backup', 'list', '--json'], {env})).json.backups as {id: string; tenant: string; target: string}[]
    const needed = new Set<string>()
    for (const b of kept.filter((k) => k.target === 'default')) for (const h of blobsOf(b.id, b.tenant)) needed.add(h)
    expect(poolBlobs()).to.deep.equal(needed)
    expect(needed.has(removedSha1), 'the file removed before the second backup was only in the first').to.equal(false)
    expect(pruned.json.blobs.find((b: {target: string}) => b.target === 'default').removed).to.be.at.least(1)
  })

  it('verify re-checks every blob: a corrupted one fails, naming the backups that need it', async function () {
    this.timeout(600_000)
    const latest = await backup()
    const victim = [...blobsOf(latest.id)].find((h) => statSync(join(env.ODOOPS_DATA_DIR, 'backups', blobKey(h))).size > 100)!
    flipByte(join(env.ODOOPS_DATA_DIR, 'backups', blobKey(victim)))
    const needing = ((await runCli(['backup', 'list', '--json'], {env})).json.backups as {id: string; tenant: string}[]).filter((b) => blobsOf(b.id, b.tenant).has(victim))
    expect(needing.length).to.be.at.least(2)
    const result = await runCli(['backup', 'verify', latest.id, '--json'], {env, timeoutMs: 300_000})
    expect(result.code, result.stdout + result.stderr).to.equal(1)
    const reason = result.json.results[0].result.reason as string
    expect(reason).to.include(victim).and.to.include('corrupt')
    for (const b of needing) expect(reason).to.include(b.id)
  })
})

import {expect} from 'chai'
import {execa} from 'execa'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import {runCli} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun} from '../helpers/sandbox.js'
import {tenantWithAttachments} from '../helpers/tenant-with-data.js'

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** Every file under a directory, relative paths. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort()
}

/**
 * backup run on a real sandbox tenant (fixture Odoo) holding generated attachments: files,
 * manifest and catalog; an sftp target on the host; a pg_dump failing inside the remote
 * pipeline and a full target each leave no catalog entry and no partial file, and a plain
 * re-run then succeeds.
 */
describe('backup run on a prepared host @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const slug = `bk-${randomBytes(3).toString('hex')}`
  const domain = `${slug}.backup.example.test`
  const ATTACHMENTS = 40
  const backupsDir = () => join(env.ODOOPS_DATA_DIR, 'backups')
  const catalog = async (tenant: string) => (await runCli(['backup', 'list', tenant, '--json'], {env})).json.backups as {id: string}[]

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    env = a.env
    // 64 KiB of random bytes apiece (poorly compressible: 2.5 MiB in all).
    await tenantWithAttachments(a, slug, domain, {tag: 'bk', count: ATTACHMENTS, bytes: 65536})
  })

  it('stores the dump, the filestore and the manifest, checked, and records them in the catalog', async function () {
    this.timeout(300_000)
    const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    expect(run.json).to.include({succeeded: 1, failed: 0, target: 'default'})
    const backup = run.json.results[0].backup
    expect(backup).to.include({tenant: slug, host: a.host, database: domain, status: 'complete'})
    const dir = join(backupsDir(), slug, backup.id)
    expect(filesUnder(dir)).to.deep.equal([...backup.files.map((f: {name: string}) => f.name)].sort())
    for (const f of backup.files) expect(sha256File(join(dir, f.name)), f.name).to.equal(f.sha256)
    for (const f of backup.files) expect(statSync(join(dir, f.name)).size, f.name).to.equal(f.size)

    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
    expect(manifest).to.include({odoo_dump: '1', db_name: domain, version: '17.0', major_version: '17.0', pg_version: '15.0'})
    expect(manifest.modules).to.have.property('base')
    expect(manifest.odoops.counts.ir_attachment).to.be.at.least(ATTACHMENTS)
    expect(manifest.odoops.counts.res_users_active).to.be.at.least(1)
    expect(manifest.odoops.counts.res_company).to.equal(1)
    expect(manifest.odoops.filestore.files).to.be.at.least(ATTACHMENTS)
    expect(manifest.odoops.newestWriteDate).to.match(/^\d{4}-\d\d-\d\dT/)
    expect(manifest.odoops.pgDumpVersion).to.match(/^15\./)

    // The stored dump is pg_dump's custom format ("PGDMP" magic) once decompressed.
    const dbFile = backup.files.find((f: {role: string}) => f.role === 'database')
    const unpack = backup.codec === 'zstd' ? 'zstd -d -q -c' : 'gzip -d -c'
    const head = await execa('bash', ['-c', `${unpack} < '${join(dir, dbFile.name)}' | head -c 5`])
    expect(head.stdout).to.equal('PGDMP')
    // The filestore is blobs in the target's pool, each named by the SHA-1 of its bytes, listed by the manifest.
    expect(manifest.odoops.format).to.equal(2)
    expect(backup.files.map((f: {role: string}) => f.role).sort()).to.deep.equal(['database', 'manifest'])
    const listed = (manifest.odoops.blobs as [string, number, string?][]).filter(([path]) => /^[0-9a-f]{2}\/[0-9a-f]{40}$/.test(path))
    expect(listed.length).to.be.at.least(ATTACHMENTS)
    expect(backup.blobs).to.include({files: manifest.odoops.blobs.length})
    for (const [path, size] of listed) {
      const blob = join(backupsDir(), 'odoops_blobs', path)
      expect(createHash('sha1').update(readFileSync(blob)).digest('hex'), path).to.equal(path.slice(3))
      expect(statSync(blob).size, path).to.equal(size)
    }

    const shown = await runCli(['backup', 'show', backup.id, '--json'], {env})
    expect(shown.code).to.equal(0)
    expect(shown.json.backup.files).to.deep.equal(backup.files)
    expect((await catalog(slug)).map((b) => b.id)).to.include(backup.id)
  })

  it('writes to an sftp target on a registered host, checked there', async function () {
    this.timeout(300_000)
    const added = await runCli(['backup', 'target', 'add', 'remote', '--type', 'sftp', '--host', a.host, '--path', '/srv/odoops-backups', '--no-default', '--json'], {env})
    expect(added.code, added.stdout + added.stderr).to.equal(0)
    const run = await runCli(['backup', 'run', slug, '--target', 'remote', '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    const backup = run.json.results[0].backup
    expect(backup.target).to.equal('remote')
    const sums = await sshRun(a.sandbox, `cd /srv/odoops-backups/${slug}/${backup.id} && sha256sum * && ls -a`)
    for (const f of backup.files) expect(sums.stdout).to.include(`${f.sha256}  ${f.name}`)
    expect(sums.stdout).not.to.include('.partial')
    // The blobs were sent there too (the pool is per target), each checked against its name.
    const blobs = await sshRun(a.sandbox, `cd /srv/odoops-backups/odoops_blobs && find . -type f | wc -l && find . -type f -print0 | xargs -0 sha1sum | awk '{n = split($2, p, "/"); if (p[n] != $1) print "bad " $2}'`)
    expect(Number(blobs.stdout.split('\n')[0])).to.equal(backup.blobs.sent).and.to.be.at.least(ATTACHMENTS)
    expect(blobs.stdout).not.to.include('bad ')
    // Asked again (has() on the host, in batches): nothing left to send.
    const again = await runCli(['backup', 'run', slug, '--target', 'remote', '--json'], {env, timeoutMs: 240_000})
    expect(again.code, again.stdout + again.stderr).to.equal(0)
    expect(again.json.results[0].backup.blobs).to.include({sent: 0, sentBytes: 0, files: backup.blobs.files})
    // Read back from the sftp target, blob by blob (each hashed), into a scratch restore.
    const verified = await runCli(['backup', 'verify', again.json.results[0].backup.id, '--json'], {env, timeoutMs: 300_000})
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0)
    const removed = await runCli(['backup', 'target', 'remove', 'remote', '--confirm', 'remote', '--json'], {env})
    expect(removed.code, 'refused while backups are catalogued on it').to.equal(2)
    expect(removed.json.error.code).to.equal('BACKUP_TARGET_IN_USE')
  })

  it('a pg_dump failing inside the remote pipeline leaves no catalog entry and no file; other tenants still succeed (exit 3)', async function () {
    this.timeout(300_000)
    // A tenant whose database does not exist: pg_dump fails after the pipeline started.
    const ghost = `${slug}-ghost`
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    try {
      const real = await store.tenants.get(slug)
      await store.tenants.insert({...real!, id: ghost, domain: `${ghost}.example.test`, database: `${ghost}_missing`, createdAt: undefined, updatedAt: undefined})
    } finally {
      await store.close()
    }
    const run = await runCli(['backup', 'run', slug, ghost, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(3)
    const failed = run.json.results.find((r: {tenant: string}) => r.tenant === ghost)
    expect(failed.ok).to.equal(false)
    expect(failed.error.code).to.equal('BACKUP_DUMP_FAILED')
    expect(failed.error.message).to.match(/pg_dump.*does not exist/s)
    expect(run.json.results.find((r: {tenant: string}) => r.tenant === slug).ok).to.equal(true)
    expect(await catalog(ghost)).to.deep.equal([])
    expect(filesUnder(join(backupsDir(), ghost))).to.deep.equal([])
    const alone = await runCli(['backup', 'run', ghost, '--json'], {env, timeoutMs: 240_000})
    expect(alone.code, 'all failed: exit 1').to.equal(1)
  })

  it('a full target fails cleanly (no partial file, no entry), then a plain re-run to a good target succeeds', async function () {
    this.timeout(300_000)
    const tiny = mkdtempSync(join(tmpdir(), 'odoops-tiny-'))
    mkdirSync(tiny, {recursive: true})
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tiny])
    try {
      const added = await runCli(['backup', 'target', 'add', 'tiny', '--type', 'local', '--path', tiny, '--no-default', '--json'], {env})
      expect(added.code, added.stderr).to.equal(0)
      const before = (await catalog(slug)).length
      const run = await runCli(['backup', 'run', slug, '--target', 'tiny', '--json'], {env, timeoutMs: 240_000})
      expect(run.code, run.stdout + run.stderr).to.equal(1)
      expect(run.json.results[0].error.code).to.equal('BACKUP_TARGET_FULL')
      // Nothing of the backup itself; only whole blobs sent before the disk filled stay in the pool (the next run reuses them).
      const left = filesUnder(tiny)
      expect(left.filter((f) => !/^odoops_blobs\/[0-9a-f]{2}\/[0-9a-f]{40}$/.test(f))).to.deep.equal([])
      for (const f of left) expect(createHash('sha1').update(readFileSync(join(tiny, f))).digest('hex'), f).to.equal(f.split('/')[2])
      // The stopped pg_dump and tar did not linger on the host.
      const lingering = await sshRun(a.sandbox, 'sleep 1; pgrep -x pg_dump; pgrep -x tar; true')
      expect(lingering.stdout.trim()).to.equal('')
      expect((await catalog(slug)).length).to.equal(before)
      const again = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
      expect(again.code, again.stdout + again.stderr).to.equal(0)
      expect((await catalog(slug)).length).to.equal(before + 1)
    } finally {
      await execa('umount', [tiny], {reject: false})
    }
  })
  it('the SSH connection cut mid-stream (the session\'s sshd killed) leaves no entry, no partial file, no pg_dump; a re-run succeeds', async function () {
    this.timeout(300_000)
    const before = (await catalog(slug)).length
    // Hold a lock pg_dump must wait for, so the dump is surely mid-stream when the cut comes.
    const holder = sshRun(a.sandbox, `cd / && runuser -u postgres -- psql -X -q -d '${domain}' -c "BEGIN; LOCK TABLE res_partner IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;"`, {timeoutMs: 180_000})
    const run = runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    // Walk up from the waiting pg_dump to the sshd process serving odoops' connection, and kill it.
    const cut = await sshRun(
      a.sandbox,
      [
        // pgrep -x matches the process name only (a -f pattern would match this very script).
        'pid=; for i in $(seq 1 100); do for p in $(pgrep -x pg_dump); do grep -qF -- "' + domain + '" /proc/$p/cmdline && pid=$p; done; [ -n "$pid" ] && break; sleep 0.2; done',
        '[ -n "$pid" ] || { echo "no pg_dump"; exit 1; }',
        'while [ "$pid" -gt 1 ]; do case "$(ps -o args= -p "$pid")" in "sshd: root@notty"*) kill -9 "$pid"; echo killed; exit 0;; esac; pid=$(ps -o ppid= -p "$pid" | tr -d " "); done',
        'echo "no sshd session"; exit 1',
      ].join('\n'),
    )
    expect(cut.stdout.trim(), cut.stderr).to.equal('killed')
    const result = await run
    expect(result.code, result.stdout + result.stderr).to.equal(1)
    expect(result.json.results[0].ok).to.equal(false)
    expect(filesUnder(backupsDir()).filter((f) => f.endsWith('.partial'))).to.deep.equal([])
    expect((await catalog(slug)).length).to.equal(before)
    // The cut session's pipeline died with it (the script's HUP trap): nothing waits on the host.
    await sshRun(a.sandbox, `cd / && runuser -u postgres -- psql -X -q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${domain}' AND query LIKE '%pg_sleep%'"`)
    await holder
    const left = await sshRun(a.sandbox, 'sleep 1; pgrep -x pg_dump; true')
    expect(left.stdout.trim()).to.equal('')
    const again = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(again.code, again.stdout + again.stderr).to.equal(0)
    expect((await catalog(slug)).length).to.equal(before + 1)
  })
})

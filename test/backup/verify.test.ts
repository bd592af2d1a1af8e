import {expect} from 'chai'
import {execa} from 'execa'
import {createHash, randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import {runCli} from '../helpers/cli.js'
import {flipByte} from '../helpers/corrupt.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun} from '../helpers/sandbox.js'
import {tenantWithAttachments} from '../helpers/tenant-with-data.js'

interface StoredFile {
  role: string
  name: string
  size: number
  sha256: string
}

interface Backup {
  id: string
  codec: string
  files: StoredFile[]
}


/**
 * backup verify on a real sandbox tenant (fixture Odoo) with generated attachments: a good
 * backup verifies and leaves no scratch database or directory behind; a flipped byte in the
 * stored dump or filestore archive fails naming that file; a filestore whose archive is
 * intact but holds a corrupted attachment fails the filestore check.
 */
describe('backup verify on a prepared host @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const slug = `vf-${randomBytes(3).toString('hex')}`
  const domain = `${slug}.verify.example.test`
  const ATTACHMENTS = 12
  const dirOf = (b: Backup) => join(env.ODOOPS_DATA_DIR, 'backups', slug, b.id)
  const fileOf = (b: Backup, role: string) => b.files.find((f) => f.role === role) as StoredFile
  const backup = async (): Promise<Backup> => {
    const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    return run.json.results[0].backup as Backup
  }
  const verify = (id: string) => runCli(['backup', 'verify', id, '--json'], {env, timeoutMs: 300_000})
  /** A new backup with one byte flipped in its stored file of `role`, then verified: fails (exit 1). */
  const verifyFlipped = async (role: string) => {
    const b = await backup()
    const file = fileOf(b, role)
    flipByte(join(dirOf(b), file.name))
    const result = await verify(b.id)
    expect(result.code, result.stdout + result.stderr).to.equal(1)
    return {b, file, result}
  }
  const scratchLeft = async () => {
    const dbs = await sshRun(a.sandbox, "runuser -u postgres -- psql -X -At -c \"SELECT datname FROM pg_database WHERE datname LIKE 'odoops_verify_%'\"")
    const dirs = await sshRun(a.sandbox, 'ls -d /var/tmp/odoops_verify_* 2>/dev/null; true')
    return (dbs.stdout + dirs.stdout).trim()
  }

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    env = a.env
    await tenantWithAttachments(a, slug, domain, {tag: 'vf', count: ATTACHMENTS, bytes: 20000})
  })

  it('verifies a good backup by a scratch restore, records it, and leaves no scratch database or directory', async function () {
    this.timeout(600_000)
    const b = await backup()
    const result = await verify(b.id)
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const item = result.json.results[0].result
    expect(item).to.include({id: b.id, status: 'verified', host: a.host})
    expect(item.checks.map((c: {name: string; ok: boolean}) => `${c.name}:${c.ok}`)).to.deep.equal(['checksums:true', 'restore:true', 'counts:true', 'modules:true', 'filestore:true'])
    expect(await scratchLeft()).to.equal('')
    const shown = await runCli(['backup', 'show', b.id, '--json'], {env})
    expect(shown.json.backup.verification).to.include({status: 'verified', host: a.host})
    // --latest picks the same (newest) backup.
    const latest = await runCli(['backup', 'verify', '--latest', slug, '--json'], {env, timeoutMs: 300_000})
    expect(latest.code, latest.stderr).to.equal(0)
    expect(latest.json.results.map((r: {id: string}) => r.id)).to.deep.equal([b.id])
  })

  it('fails a backup whose stored dump has one flipped byte, naming the dump (exit 1)', async function () {
    this.timeout(600_000)
    const {b, file: dump, result} = await verifyFlipped('database')
    const item = result.json.results[0].result
    expect(item.status).to.equal('failed')
    expect(item.reason).to.include(dump.name).and.to.match(/checksum/)
    // Hashed as it streamed to the host: the restore was tried there, and is not what failed.
    expect(item.checks.filter((c: {ok: boolean}) => !c.ok).map((c: {name: string}) => c.name)).to.deep.equal(['checksums'])
    const shown = await runCli(['backup', 'show', b.id, '--json'], {env})
    expect(shown.json.backup.verification.status).to.equal('failed')
    expect(shown.json.backup.verification.reason).to.include(dump.name)
    expect(await scratchLeft()).to.equal('')
  })

  it('fails a backup whose stored filestore archive has one flipped byte, naming the filestore', async function () {
    this.timeout(600_000)
    const {file: fsFile, result} = await verifyFlipped('filestore')
    expect(result.json.results[0].result.status).to.equal('failed')
    expect(result.json.results[0].result.reason).to.include(fsFile.name)
  })

  it('fails a filestore whose archive checksums but holds an attachment with a flipped byte (SHA-1 ≠ name), and cleans up', async function () {
    this.timeout(600_000)
    const b = await backup()
    const fsFile = fileOf(b, 'filestore')
    const path = join(dirOf(b), fsFile.name)
    // Corruption that happened before the backup hashed it: rebuild the archive with one
    // attachment altered, and record the new archive's checksum in the catalog.
    const work = mkdtempSync(join(tmpdir(), 'odoops-vf-fs-'))
    const unpack = b.codec === 'zstd' ? 'zstd -d -q -c' : 'gzip -d -c'
    const pack = b.codec === 'zstd' ? 'zstd -q -c' : 'gzip -c'
    await execa('bash', ['-c', `${unpack} < '${path}' | tar -x -C '${work}'`])
    const victim = (await execa('bash', ['-c', `cd '${work}' && find . -type f | sort | head -n 1`])).stdout.trim()
    expect(victim).to.match(/^\.\/[0-9a-f]{2}\/[0-9a-f]{40}$/)
    flipByte(join(work, victim))
    await execa('bash', ['-c', `tar -c -C '${work}' . | ${pack} > '${path}'`])
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex')
    const size = statSync(path).size
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    try {
      await store.backups.update(b.id, (current) => ({...current, files: (current.files as StoredFile[]).map((f) => (f.role === 'filestore' ? {...f, size, sha256} : f))}))
    } finally {
      await store.close()
    }
    const result = await verify(b.id)
    expect(result.code, result.stdout + result.stderr).to.equal(1)
    const item = result.json.results[0].result
    expect(item.status).to.equal('failed')
    expect(item.checks.find((c: {name: string}) => c.name === 'checksums').ok).to.equal(true)
    expect(item.checks.find((c: {name: string}) => c.name === 'restore').ok).to.equal(true)
    expect(item.reason).to.include(fsFile.name).and.to.include(`sha1 ${victim.slice(2)}`)
    expect(await scratchLeft()).to.equal('')
  })
})

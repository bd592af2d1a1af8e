import {expect} from 'chai'
import {execa} from 'execa'
import {createHash, randomBytes} from 'node:crypto'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {blobKey, decodeBlob, type BlobTuple} from '../../src/lib/backup/blobs/layout.js'
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

  it('fails a backup whose filestore lacks an attachment\'s file (lost on the host before the backup), naming it: the blobs are checked against the restored rows', async function () {
    this.timeout(600_000)
    const store = `${a.prepare.service.dataDir}/filestore/${domain}`
    const lost = (await sshRun(a.sandbox, `runuser -u postgres -- psql -X -At -d ${domain} -c "SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id DESC LIMIT 1"`)).stdout.trim()
    expect(lost).to.match(/^[0-9a-f]{2}\/[0-9a-f]{40}$/)
    await sshRun(a.sandbox, `mv ${store}/${lost} /root/lost-attachment`)
    try {
      const b = await backup()
      const result = await verify(b.id)
      expect(result.code, result.stdout + result.stderr).to.equal(1)
      const item = result.json.results[0].result
      expect(item.checks.filter((c: {ok: boolean}) => !c.ok).map((c: {name: string}) => c.name)).to.deep.equal(['filestore'])
      expect(item.reason).to.include(`missing ${lost}`)
      expect(await scratchLeft()).to.equal('')
    } finally {
      await sshRun(a.sandbox, `mv /root/lost-attachment ${store}/${lost}`)
    }
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

  /**
   * Turns a new (format 2) backup into a format-1 one, as older odoops versions wrote them: its
   * blobs packed into `filestore.tar.zst` beside the dump (one attachment altered first when
   * asked), the archive recorded in the catalog entry and the blob summary removed from it.
   */
  const asFormat1 = async (b: Backup, options: {alterAttachment?: boolean} = {}) => {
    const work = mkdtempSync(join(tmpdir(), 'odoops-vf-fs-'))
    const manifest = JSON.parse(readFileSync(join(dirOf(b), 'manifest.json'), 'utf8'))
    for (const tuple of manifest.odoops.blobs as BlobTuple[]) {
      const ref = decodeBlob(tuple)
      mkdirSync(join(work, ref.path, '..'), {recursive: true})
      copyFileSync(join(env.ODOOPS_DATA_DIR, 'backups', blobKey(ref.sha1)), join(work, ref.path))
    }
    const victim = (await execa('bash', ['-c', `cd '${work}' && find . -type f | grep -E '^\\./[0-9a-f]{2}/[0-9a-f]{40}$' | sort | head -n 1`])).stdout.trim()
    expect(victim).to.match(/^\.\/[0-9a-f]{2}\/[0-9a-f]{40}$/)
    if (options.alterAttachment) flipByte(join(work, victim))
    const path = join(dirOf(b), 'filestore.tar.zst')
    await execa('bash', ['-c', `tar -c -C '${work}' . | zstd -q -c > '${path}'`])
    const file = {role: 'filestore', name: 'filestore.tar.zst', codec: 'zstd', size: statSync(path).size, sha256: createHash('sha256').update(readFileSync(path)).digest('hex')}
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    try {
      await store.backups.update(b.id, (current) => {
        const {blobs: _blobs, ...rest} = current
        return {...rest, codec: 'zstd', files: [...(current.files as StoredFile[]), file]}
      })
    } finally {
      await store.close()
    }
    return {file, victim}
  }

  it('still verifies a format-1 backup (filestore archive); one flipped byte in the archive fails, naming it', async function () {
    this.timeout(600_000)
    const b = await backup()
    const {file} = await asFormat1(b)
    const good = await verify(b.id)
    expect(good.code, good.stdout + good.stderr).to.equal(0)
    expect(good.json.results[0].result.checks.find((c: {name: string}) => c.name === 'checksums').detail).to.include('filestore.tar.zst')
    flipByte(join(dirOf(b), file.name))
    const result = await verify(b.id)
    expect(result.code, result.stdout + result.stderr).to.equal(1)
    expect(result.json.results[0].result.status).to.equal('failed')
    expect(result.json.results[0].result.reason).to.include(file.name)
  })

  it('fails a format-1 filestore whose archive checksums but holds an attachment with a flipped byte (SHA-1 ≠ name), and cleans up', async function () {
    this.timeout(600_000)
    const b = await backup()
    const {file, victim} = await asFormat1(b, {alterAttachment: true})
    const result = await verify(b.id)
    expect(result.code, result.stdout + result.stderr).to.equal(1)
    const item = result.json.results[0].result
    expect(item.status).to.equal('failed')
    expect(item.checks.find((c: {name: string}) => c.name === 'checksums').ok).to.equal(true)
    expect(item.checks.find((c: {name: string}) => c.name === 'restore').ok).to.equal(true)
    expect(item.reason).to.include(file.name).and.to.include(`sha1 ${victim.slice(2)}`)
    expect(await scratchLeft()).to.equal('')
  })

  it('refuses a filestore file whose bytes do not hash to its name on arrival: no blob under that name, no catalog entry', async function () {
    this.timeout(600_000)
    const before = (await runCli(['backup', 'list', slug, '--json'], {env})).json.backups.length as number
    const store = `${a.prepare.service.dataDir}/filestore/${domain}`
    // A file named by a SHA-1 its bytes do not have (bit rot on the host); never sent before.
    const named = createHash('sha1').update(randomBytes(16)).digest('hex')
    await sshRun(a.sandbox, `mkdir -p '${store}/${named.slice(0, 2)}' && head -c 5000 /dev/urandom > '${store}/${named.slice(0, 2)}/${named}'`)
    try {
      const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
      expect(run.code, run.stdout + run.stderr).to.equal(1)
      expect(run.json.results[0].error.code).to.equal('BACKUP_BLOB_MISMATCH')
      expect(run.json.results[0].error.message).to.include(named)
      expect(existsSync(join(env.ODOOPS_DATA_DIR, 'backups', blobKey(named)))).to.equal(false)
      expect(existsSync(join(env.ODOOPS_DATA_DIR, 'backups', blobKey(named) + '.partial'))).to.equal(false)
      expect((await runCli(['backup', 'list', slug, '--json'], {env})).json.backups.length).to.equal(before)
    } finally {
      await sshRun(a.sandbox, `rm -f '${store}/${named.slice(0, 2)}/${named}'`)
    }
  })
})

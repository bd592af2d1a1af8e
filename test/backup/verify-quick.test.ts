import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {readFileSync, renameSync} from 'node:fs'
import {basename, join} from 'node:path'
import {runCli} from '../helpers/cli.js'
import {flipByte} from '../helpers/corrupt.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {withStore} from '../helpers/store.js'
import {tenantWithAttachments} from '../helpers/tenant-with-data.js'

interface Backup {
  id: string
  files: {role: string; name: string}[]
}

/**
 * `backup verify --quick` (the nightly tier) on backups made on a real sandbox: the catalog
 * against the manifest and every stored file against its checksum, on the target alone. A
 * damaged file fails it and becomes the backup's verification; a passing one never replaces a
 * full verification.
 */
describe('backup verify --quick (on the target only) @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const slug = `vq-${randomBytes(3).toString('hex')}`
  const backup = async (): Promise<Backup> => {
    const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    return run.json.results[0].backup as Backup
  }
  const verify = (id: string, ...flags: string[]) => runCli(['backup', 'verify', id, ...flags, '--json'], {env, timeoutMs: 300_000})
  const shown = async (id: string) => (await runCli(['backup', 'show', id, '--json'], {env})).json.backup
  const checkNames = (item: {checks: {name: string; ok: boolean}[]}) => item.checks.map((c) => `${c.name}:${c.ok}`)

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    env = a.env
    await tenantWithAttachments(a, slug, `${slug}.verify.example.test`, {tag: 'vq', count: 6, bytes: 20000})
  })

  it('checks a good backup without a host or a restore, and keeps the full verification as the verdict', async function () {
    this.timeout(600_000)
    const b = await backup()
    const quick = await verify(b.id, '--quick')
    expect(quick.code, quick.stdout + quick.stderr).to.equal(0)
    const item = quick.json.results[0].result
    expect(item).to.include({id: b.id, tier: 'quick', status: 'verified'})
    expect(item).to.not.have.property('host')
    expect(checkNames(item)).to.deep.equal(['catalog:true', 'checksums:true', 'blobs:true'])
    const first = await shown(b.id)
    expect(first.verification).to.equal(undefined)
    expect(first.verifications.quick.status).to.equal('verified')

    const full = await verify(b.id)
    expect(full.code, full.stdout + full.stderr).to.equal(0)
    expect(full.json.results[0].result).to.include({tier: 'full', status: 'verified', host: a.host})
    expect(await verify(b.id, '--quick')).to.have.property('code', 0)
    const after = await shown(b.id)
    expect(after.verification).to.include({status: 'verified', tier: 'full', host: a.host})
    expect(after.verifications.quick.at > after.verifications.full.at).to.equal(true)
  })

  it('fails a backup with one flipped byte in its stored dump, naming the file; the failure becomes its verification (exit 1)', async function () {
    this.timeout(600_000)
    const b = await backup()
    expect(await verify(b.id)).to.have.property('code', 0)
    const dump = b.files.find((f) => f.role === 'database')!
    flipByte(join(env.ODOOPS_DATA_DIR, 'backups', slug, b.id, dump.name))
    const quick = await verify(b.id, '--quick')
    expect(quick.code, quick.stdout + quick.stderr).to.equal(1)
    const item = quick.json.results[0].result
    expect(item.status).to.equal('failed')
    expect(item.reason).to.include(dump.name).and.to.match(/checksum/)
    expect(checkNames(item)).to.deep.equal(['catalog:true', 'checksums:false'])
    const entry = await shown(b.id)
    expect(entry.verification).to.include({status: 'failed', tier: 'quick'})
    expect(entry.verifications.full.status).to.equal('verified')
  })

  it('fails a catalog entry that no longer matches the manifest stored with the backup', async function () {
    this.timeout(600_000)
    const b = await backup()
    await withStore(env, (store) => store.backups.update(b.id, (current) => ({...current, counts: {...(current.counts as Record<string, number>), res_company: 99}})))
    const quick = await verify(b.id, '--quick')
    expect(quick.code, quick.stdout + quick.stderr).to.equal(1)
    const item = quick.json.results[0].result
    expect(item.reason).to.match(/manifest\.json and the catalog entry differ: row counts/)
    expect(checkNames(item)).to.deep.equal(['catalog:false'])
  })

  it('fails a backup whose filestore blob is gone from the pool, naming every backup that needs it', async function () {
    this.timeout(600_000)
    const older = await backup()
    const newer = await backup()
    // One of this tenant's own random attachments (the pool is shared with the other tenants of the target).
    const manifest = JSON.parse(readFileSync(join(env.ODOOPS_DATA_DIR, 'backups', slug, newer.id, 'manifest.json'), 'utf8')) as {odoops: {blobs: [string, number][]}}
    const [path] = manifest.odoops.blobs.find(([, size]) => size === 20000)!
    const victim = join(env.ODOOPS_DATA_DIR, 'backups', 'odoops_blobs', path)
    // Set aside and put back after: the pool is the target's, and other suites check it whole.
    renameSync(victim, `${victim}.aside`)
    const quick = await verify(newer.id, '--quick').finally(() => renameSync(`${victim}.aside`, victim))
    expect(quick.code, quick.stdout + quick.stderr).to.equal(1)
    const item = quick.json.results[0].result
    expect(checkNames(item)).to.deep.equal(['catalog:true', 'checksums:true', 'blobs:false'])
    expect(item.reason).to.include('1 blob(s) of the filestore missing').and.include(basename(victim)).and.include(older.id).and.include(newer.id)
    expect(await verify(newer.id, '--quick')).to.have.property('code', 0)
  })

  it('refuses --quick with --on (a quick check runs on no host)', async () => {
    const refused = await runCli(['backup', 'verify', '--latest', slug, '--quick', '--on', a.host, '--json'], {env})
    expect(refused.code).to.equal(2)
    expect(refused.stderr + refused.stdout).to.match(/--on|--quick/)
  })
})

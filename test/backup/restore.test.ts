import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runCli} from '../helpers/cli.js'
import {flipByte} from '../helpers/corrupt.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {addData, dataFingerprint, sandboxScript, tenantWithData, type TenantWithData} from '../helpers/tenant-with-data.js'
import {mapDomains, passwordFrom, probeTenant} from '../tenants/remote-checks.js'

interface Backup {
  id: string
  files: {role: string; name: string}[]
}


/**
 * backup restore on a real sandbox (fixture Odoo): a backup of a tenant holding generated
 * contacts and attachments is restored as a new dedicated tenant that answers through nginx
 * with the same rows and files; a corrupted backup is refused before any database exists;
 * a restore over a live tenant needs --force, takes a safety backup and brings back the data.
 */
describe('backup restore on a prepared host @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  let source: TenantWithData
  let good: Backup

  const backup = async (slug: string): Promise<Backup> => {
    const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    return run.json.results[0].backup as Backup
  }
  const databases = async (like: string) => (await sandboxScript(a.sandbox, [`cd / && runuser -u postgres -- psql -X -At -c "SELECT datname FROM pg_database WHERE datname LIKE '${like}' ORDER BY 1"`])).trim()

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    env = a.env
    source = await tenantWithData(a, {prefix: 'rs', attachments: 15})
    good = await backup(source.slug)
  })

  it('restores as a new dedicated tenant: healthy through nginx, same rows and files, a copy with its own uuid, neutralized', async function () {
    this.timeout(900_000)
    const slug = `rn-${randomBytes(3).toString('hex')}`
    const domain = `${slug}.restored.example.test`
    const credentials = join(mkdtempSync(join(tmpdir(), 'odoops-rs-')), 'creds.txt')
    const restored = await runCli(
      ['backup', 'restore', good.id, '--new-tenant', slug, '--host', a.host, '--mode', 'dedicated', '--domain', domain, '--as-copy', '--neutralize', '--credentials-file', credentials, '--json'],
      {env, timeoutMs: 600_000},
    )
    expect(restored.code, restored.stdout + restored.stderr).to.equal(0)
    expect(restored.json.verification).to.include({status: 'verified', host: a.host})
    expect(restored.json.tenant).to.include({slug, mode: 'dedicated', state: 'active', database: slug})
    expect(restored.json.steps.map((s: {name: string}) => s.name)).to.include.members(['restore-database', 'restore-filestore', 'restore-identity', 'health'])

    // Same data, read with psql and sha1sum on the host.
    const before = await dataFingerprint(a.sandbox, source.database, source.filestore)
    const after = await dataFingerprint(a.sandbox, slug, `${restored.json.tenant.service.dataDir}/filestore/${slug}`)
    expect(after).to.deep.equal(before)
    expect(after.files).to.have.length(15)

    // Users reach it through nginx with the new password; admin/admin is refused.
    await mapDomains(a.sandbox, [domain])
    const probe = await probeTenant(a.sandbox, domain, slug, passwordFrom(credentials))
    expect(probe.health[0]).to.equal(200)
    expect(probe.uid).to.be.a('number')
    expect(probe.default_uid).to.equal(false)
    // The original's password does not open the copy (its own admin password).
    expect((await probeTenant(a.sandbox, domain, slug, source.password)).uid).to.equal(false)

    // --as-copy: a new database.uuid; --neutralize: no cron but the autovacuum, flag set.
    const params = await sandboxScript(a.sandbox, [
      `cd /`,
      `for db in '${source.database}' '${slug}'; do runuser -u postgres -- psql -X -At -d "$db" -c "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'"; done`,
      `runuser -u postgres -- psql -X -At -d '${slug}' -c "SELECT count(*) FILTER (WHERE active) || ' ' || coalesce((SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'), 'none') || ' ' || (SELECT value FROM ir_config_parameter WHERE key = 'web.base.url') FROM ir_cron"`,
      `runuser -u postgres -- psql -X -At -d '${source.database}' -c "SELECT count(*) FILTER (WHERE active) FROM ir_cron"`,
    ])
    const [uuidSource, uuidCopy, neutral, sourceCrons] = params.trim().split('\n')
    expect(uuidCopy).to.not.equal(uuidSource)
    expect(neutral).to.equal(`1 true https://${domain}`)
    expect(sourceCrons).to.equal('2')

    const removed = await runCli(['tenant', 'remove', slug, '--confirm', slug, '--json'], {env, timeoutMs: 300_000})
    expect(removed.code, removed.stderr).to.equal(0)
  })

  it('refuses a backup with one flipped byte before creating anything (exit 1), naming the check', async function () {
    this.timeout(900_000)
    const bad = await backup(source.slug)
    const dump = bad.files.find((f) => f.role === 'database')!
    flipByte(join(env.ODOOPS_DATA_DIR, 'backups', source.slug, bad.id, dump.name))
    const slug = `rx-${randomBytes(3).toString('hex')}`
    const credentials = join(mkdtempSync(join(tmpdir(), 'odoops-rs-')), 'creds.txt')
    const refused = await runCli(['backup', 'restore', bad.id, '--new-tenant', slug, '--host', a.host, '--domain', `${slug}.restored.example.test`, '--credentials-file', credentials, '--json'], {env, timeoutMs: 600_000})
    expect(refused.code, refused.stdout + refused.stderr).to.equal(1)
    expect(refused.json.error.code).to.equal('BACKUP_VERIFY_FAILED')
    expect(refused.json.error.message).to.include(dump.name)
    const shown = await runCli(['tenant', 'show', slug, '--json'], {env})
    expect(shown.code).to.equal(2)
    expect(await databases(`${slug}%`)).to.equal('')
    expect(await databases('odoops_%')).to.equal('')
    // The catalog entry now carries the failed verdict.
    const entry = await runCli(['backup', 'show', bad.id, '--json'], {env})
    expect(entry.json.backup.verification.status).to.equal('failed')
  })

  it('restores over a live tenant only with --force, after a safety backup, bringing back the backed-up data', async function () {
    this.timeout(900_000)
    const refused = await runCli(['backup', 'restore', good.id, '--tenant', source.slug, '--json'], {env, timeoutMs: 120_000})
    expect(refused.code).to.equal(2)
    expect(refused.json.error.code).to.equal('RESTORE_WOULD_OVERWRITE')

    const before = await dataFingerprint(a.sandbox, source.database, source.filestore)
    await addData(a.sandbox, source.database, source.filestore, 3, 'later')
    expect((await dataFingerprint(a.sandbox, source.database, source.filestore)).files).to.have.length(18)

    const restored = await runCli(['backup', 'restore', good.id, '--tenant', source.slug, '--force', '--json'], {env, timeoutMs: 600_000})
    expect(restored.code, restored.stdout + restored.stderr).to.equal(0)
    expect(restored.json.kind).to.equal('in-place')
    expect(await dataFingerprint(a.sandbox, source.database, source.filestore)).to.deep.equal(before)
    // The replaced data is in the safety backup, which verifies.
    const safety = await runCli(['backup', 'verify', restored.json.safetyBackup, '--json'], {env, timeoutMs: 300_000})
    expect(safety.code, safety.stdout).to.equal(0)
    // The tenant still serves with its own password, and no staging copy is left.
    await mapDomains(a.sandbox, [source.domain])
    const probe = await probeTenant(a.sandbox, source.domain, source.database, source.password)
    expect(probe.health[0]).to.equal(200)
    expect(probe.uid).to.be.a('number')
    expect(await databases('odoops_%')).to.equal('')
    expect((await sandboxScript(a.sandbox, [`ls -d ${source.filestore.replace(/\/[^/]+$/, '')}/odoops_* 2>/dev/null || true`])).trim()).to.equal('')
  })
})

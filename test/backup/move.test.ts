import {expect} from 'chai'
import {execa} from 'execa'
import {BIN, runCli} from '../helpers/cli.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS, type PreparedHost} from '../helpers/prepared-host.js'
import {requireSandboxes} from '../helpers/sandbox.js'
import {dataFingerprint, sandboxScript, tenantWithData, type TenantWithData} from '../helpers/tenant-with-data.js'
import {mapDomains, probeTenant} from '../tenants/remote-checks.js'

/**
 * tenant move on two real sandboxes of one fleet (fixture Odoo): a shared tenant on `ma`
 * holding generated contacts and attachments moves to its own dedicated service on `mb`.
 * Killed midway, the original keeps serving and --abort removes the half-built copy; run
 * to the end, the tenant answers at its domain through mb's nginx with identical data, and
 * nothing of it is left on ma.
 */
describe('tenant move between hosts @host', function () {
  let ma: PreparedHost
  let mb: PreparedHost
  let env: Record<string, string>
  let tenant: TenantWithData

  const show = async () => (await runCli(['tenant', 'show', tenant.slug, '--json'], {env})).json
  const servesOn = async (host: PreparedHost, database: string) => {
    const probe = await probeTenant(host.sandbox, tenant.domain, database, tenant.password)
    return probe.health[0] === 200 && typeof probe.uid === 'number'
  }
  const databasesOn = async (host: PreparedHost) =>
    (await sandboxScript(host.sandbox, [`cd / && runuser -u postgres -- psql -X -At -c "SELECT datname FROM pg_database WHERE datname IN ('${tenant.slug}', '${tenant.domain}') OR datname LIKE 'odoops_%' ORDER BY 1"`])).trim()

  before(async function () {
    this.timeout(PREPARED_HOST_TIMEOUT_MS + 300_000)
    requireSandboxes(this)
    ;[ma, mb] = await Promise.all([preparedHost('ma', {store: 'move'}), preparedHost('mb', {store: 'move'})])
    env = ma.env
    tenant = await tenantWithData(ma, {prefix: 'mv', attachments: 10})
    await mapDomains(ma.sandbox, [tenant.domain])
    await mapDomains(mb.sandbox, [tenant.domain])
  })

  it('killed midway: the original keeps serving, untouched; --abort removes the half-built copy', async function () {
    this.timeout(900_000)
    const before = await dataFingerprint(ma.sandbox, tenant.database, tenant.filestore)
    const child = execa('node', [BIN, 'tenant', 'move', tenant.slug, '--to-host', mb.host, '--mode', 'dedicated'], {env: {...env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        if (stderr.includes('[restore-filestore] ')) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => reject(new Error(`the move ended before restore-filestore:\n${stderr}`)))
    })
    await child
    const record = await show()
    expect(record).to.include({host: ma.host, mode: 'shared', state: 'active'})
    expect(await servesOn(ma, tenant.database)).to.equal(true)
    expect(await dataFingerprint(ma.sandbox, tenant.database, tenant.filestore)).to.deep.equal(before)
    // The half-built copy exists on mb (its database was restored) until --abort.
    expect(await databasesOn(mb)).to.equal(tenant.slug)
    const aborted = await runCli(['tenant', 'move', tenant.slug, '--abort', '--json'], {env, timeoutMs: 300_000})
    expect(aborted.code, aborted.stdout + aborted.stderr).to.equal(0)
    expect(aborted.json.outcome).to.equal('aborted')
    expect(await databasesOn(mb)).to.equal('')
    const unit = await sandboxScript(mb.sandbox, [`{ systemctl list-unit-files 'odoops-${tenant.slug}*' --no-legend || true; } | wc -l`])
    expect(unit.trim()).to.equal('0')
    expect(await servesOn(ma, tenant.database)).to.equal(true)
  })

  it('moves shared → dedicated on another host: same data, served at its domain by the new host, nothing left on the old', async function () {
    this.timeout(900_000)
    const before = await dataFingerprint(ma.sandbox, tenant.database, tenant.filestore)
    const moved = await runCli(['tenant', 'move', tenant.slug, '--to-host', mb.host, '--mode', 'dedicated', '--json'], {env, timeoutMs: 600_000})
    expect(moved.code, moved.stdout + moved.stderr).to.equal(0)
    expect(moved.json).to.include({outcome: 'moved', from: ma.host, to: mb.host, retiredOk: true})
    const record = await show()
    expect(record).to.include({host: mb.host, mode: 'dedicated', state: 'active', database: tenant.slug})
    // Same rows and files on the new host, and the same admin password opens it.
    expect(await dataFingerprint(mb.sandbox, tenant.slug, `${record.service.dataDir}/filestore/${tenant.slug}`)).to.deep.equal(before)
    expect(await servesOn(mb, tenant.slug)).to.equal(true)
    // Nothing of it is left on ma: database, filestore, vhost.
    expect(await databasesOn(ma)).to.equal('')
    const left = await sandboxScript(ma.sandbox, [`{ ls -d '${tenant.filestore}' /etc/nginx/sites-enabled/*${tenant.slug}* 2>/dev/null || true; } | wc -l`])
    expect(left.trim()).to.equal('0')
    // ma's nginx no longer knows the domain: its catch-all refuses the TLS handshake.
    const refused = await probeTenant(ma.sandbox, tenant.domain, tenant.database, tenant.password).then(() => 'served', (error: Error) => error.message)
    expect(refused).to.match(/UNRECOGNIZED_NAME/)
    // Backups follow the tenant to its new host.
    const backup = await runCli(['backup', 'run', tenant.slug, '--json'], {env, timeoutMs: 240_000})
    expect(backup.code, backup.stdout + backup.stderr).to.equal(0)
    expect(backup.json.results[0].backup.host).to.equal(mb.host)
  })
})

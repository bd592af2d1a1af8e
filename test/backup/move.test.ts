import {expect} from 'chai'
import {execa} from 'execa'
import {BIN, runCli} from '../helpers/cli.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS, type PreparedHost} from '../helpers/prepared-host.js'
import {requireSandboxes, sshRun} from '../helpers/sandbox.js'
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
      child.stderr.on('data', (chunk: Buffer) => {
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

/**
 * The growth path on one host (fixture Odoo): a shared tenant on `ma` moves to its own
 * dedicated service on the same host and back. The data is identical after each move, the
 * domain and certificate stay, the old database is retired, the switch time is reported, and
 * a probe hammering /web/health through nginx during both moves never sees a failure.
 */
describe('tenant move on the same host, shared → dedicated → shared @host', function () {
  let ma: PreparedHost
  let tenant: TenantWithData

  const show = async () => (await runCli(['tenant', 'show', tenant.slug, '--json'], {env: ma.env})).json
  const servesWith = async (database: string) => {
    const probe = await probeTenant(ma.sandbox, tenant.domain, database, tenant.password)
    return probe.health[0] === 200 && typeof probe.uid === 'number' && probe.default_uid === false
  }
  const sh = (lines: string[]) => sandboxScript(ma.sandbox, lines)
  const databases = async () => (await sh([`cd / && runuser -u postgres -- psql -X -At -c "SELECT datname FROM pg_database WHERE datname IN ('${tenant.slug}', '${tenant.domain}') ORDER BY 1"`])).trim()
  const ownerOf = async (database: string) => (await sh([`cd / && runuser -u postgres -- psql -X -At -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${database}'"`])).trim()
  const certificate = async () => (await sh([`sha256sum /etc/odoops/tls/${tenant.domain}.crt /etc/odoops/tls/${tenant.domain}.key`])).trim()
  const upstream = async () => (await sh([`grep -o 'server 127.0.0.1:[0-9]*' /etc/nginx/conf.d/odoops-${tenant.slug}.conf | head -1`])).trim()
  const stopFile = () => `/run/odoops-probe-${tenant.slug}.stop`

  /** GET /web/health through nginx (new connection each time) every 20 ms until the stop file appears: counts of answers and failures. */
  const probeUntilStopped = () =>
    sshRun(
      ma.sandbox,
      `python3 - '${tenant.domain}' '${stopFile()}' <<'PY'
import json, os, socket, ssl, sys, time
dom, stop = sys.argv[1:3]
ctx = ssl._create_unverified_context()
ok, fails = 0, []
deadline = time.time() + 900
while not os.path.exists(stop) and time.time() < deadline:
    try:
        c = ctx.wrap_socket(socket.create_connection(('127.0.0.1', 443), timeout=10), server_hostname=dom)
        c.sendall(('GET /web/health HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' % dom).encode())
        data = b''
        while True:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        c.close()
        if data.startswith(b'HTTP/1.1 200'):
            ok += 1
        else:
            fails.append('%.3f %s' % (time.time(), data[:60]))
    except Exception as e:
        fails.append('%.3f %r' % (time.time(), e))
    time.sleep(0.02)
print(json.dumps({'ok': ok, 'fails': fails[:20], 'failed': len(fails)}))
PY`,
      {timeoutMs: 1_000_000},
    )

  before(async function () {
    this.timeout(PREPARED_HOST_TIMEOUT_MS + 300_000)
    requireSandboxes(this)
    ma = await preparedHost('ma', {store: 'move'})
    tenant = await tenantWithData(ma, {prefix: 'ms', attachments: 8})
    await mapDomains(ma.sandbox, [tenant.domain])
  })

  it('moves to a dedicated service on its own host and back: same data, domain and certificate, nginx switched without a failed request, the old database retired', async function () {
    this.timeout(900_000)
    const data = await dataFingerprint(ma.sandbox, tenant.database, tenant.filestore)
    const cert = await certificate()
    const sharedUpstream = await upstream()
    expect(await servesWith(tenant.database)).to.equal(true)
    const probe = probeUntilStopped()
    try {
      // shared → dedicated (--to-host defaults to the tenant's own host with --mode)
      const up = await runCli(['tenant', 'move', tenant.slug, '--mode', 'dedicated', '--json'], {env: ma.env, timeoutMs: 600_000})
      expect(up.code, up.stdout + up.stderr).to.equal(0)
      expect(up.json).to.include({outcome: 'moved', from: ma.host, to: ma.host, fromMode: 'shared', sameHost: true, retiredOk: true})
      expect(up.json.switchMs).to.be.a('number').within(0, 60_000)
      expect(up.json.steps.map((s: {name: string}) => s.name)).to.include.members(['copy-health', 'switch'])
      // Same domain: the vhost (now pointing at the new service) and the certificate are not retired.
      const retired = up.json.retired.map((s: {name: string}) => s.name)
      expect(retired).to.include('database')
      expect(retired).to.not.include('vhost')
      expect(retired).to.not.include('tls')
      const dedicated = await show()
      expect(dedicated).to.include({host: ma.host, mode: 'dedicated', state: 'active', database: tenant.slug, domain: tenant.domain})
      expect(dedicated.tls.certificate).to.equal(`/etc/odoops/tls/${tenant.domain}.crt`)
      expect(await dataFingerprint(ma.sandbox, tenant.slug, `${dedicated.service.dataDir}/filestore/${tenant.slug}`)).to.deep.equal(data)
      expect(await ownerOf(tenant.slug)).to.equal(dedicated.service.role)
      expect(await servesWith(tenant.slug)).to.equal(true)
      expect(await upstream()).to.equal(`server 127.0.0.1:${dedicated.service.httpPort}`)
      // The old copy is retired: the shared database and filestore are gone, and db_name no longer lists it.
      expect(await databases()).to.equal(tenant.slug)
      expect((await sh([`test -e '${tenant.filestore}' && echo present || echo gone`, `grep -c -F '${tenant.domain}' ${ma.prepare.service.config} || true`])).trim().split('\n')).to.deep.equal(['gone', '0'])
      expect(await certificate()).to.equal(cert)

      // dedicated → shared, with human output: the switch time is printed.
      const back = await runCli(['tenant', 'move', tenant.slug, '--mode', 'shared'], {env: ma.env, timeoutMs: 600_000})
      expect(back.code, back.stdout + back.stderr).to.equal(0)
      expect(back.stdout).to.match(/served by the shared service on .+ \(was dedicated\)\. nginx switched to it in \d+\.\d\d s/)
      const shared = await show()
      expect(shared).to.include({host: ma.host, mode: 'shared', state: 'active', database: tenant.database})
      expect(await dataFingerprint(ma.sandbox, tenant.database, tenant.filestore)).to.deep.equal(data)
      expect(await ownerOf(tenant.database)).to.equal(ma.prepare.service.role)
      expect(await servesWith(tenant.database)).to.equal(true)
      expect(await upstream()).to.equal(sharedUpstream)
      // Nothing of the dedicated copy is left: database, role, unit, data directory, config.
      expect(await databases()).to.equal(tenant.database)
      const left = await sh([
        `cd / && runuser -u postgres -- psql -X -At -c "SELECT count(*) FROM pg_roles WHERE rolname = '${dedicated.service.role}'"`,
        `{ systemctl list-unit-files '${dedicated.service.unit}' --no-legend || true; } | wc -l`,
        `{ ls -d '${dedicated.service.dataDir}' '${dedicated.service.config}' 2>/dev/null || true; } | wc -l`,
      ])
      expect(left.trim().split('\n').map(Number)).to.deep.equal([0, 0, 0])
      expect(await certificate()).to.equal(cert)
    } finally {
      await sshRun(ma.sandbox, `touch '${stopFile()}'`)
    }
    const probed = await probe
    expect(probed.exitCode, probed.stderr).to.equal(0)
    const result = JSON.parse(probed.stdout) as {ok: number; failed: number; fails: string[]}
    // The old service answers until the new one does: no request through nginx fails.
    expect(result.failed, result.fails.join('\n')).to.equal(0)
    expect(result.ok).to.be.greaterThan(10)
  })
})

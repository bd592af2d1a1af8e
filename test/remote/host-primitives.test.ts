import {expect} from 'chai'
import {execa} from 'execa'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {connectHost} from '../../src/lib/hosts/connect.js'
import {freeBytes} from '../../src/lib/remote/disk.js'
import {ensureDirectory, ensureRemoteFile, readRemoteFile, removeRemotePath} from '../../src/lib/remote/files.js'
import {applyNginxSite, removeNginxSite} from '../../src/lib/remote/nginx.js'
import {listeningPorts} from '../../src/lib/remote/ports.js'
import {databaseExists, databaseSize, dropDatabase, dropRole, ensureLoginRole, pgCluster, psqlAsPostgres, roleExists} from '../../src/lib/remote/postgres-admin.js'
import {ensureUnitActive, ensureUnitFile, ensureUnitStopped, systemctl, unitStatus} from '../../src/lib/remote/systemd.js'
import {ensureSelfSignedCertificate, installCertificate} from '../../src/lib/remote/tls.js'
import {installedVersion} from '../../src/lib/remote/apt.js'
import {SshPool} from '../../src/lib/ssh/pool.js'
import type {SshConnection} from '../../src/lib/ssh/connection.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS} from '../helpers/prepared-host.js'
import {requireSandboxes, sshRun, type SandboxInfo} from '../helpers/sandbox.js'

/**
 * The remote primitives on a real host (the shared prepared sandbox). Every test works on
 * names of its own (`odoops-test-<pid>-…`) and cleans up, so the shared host stays intact.
 */
describe('remote primitives on a host @host', function () {
  this.timeout(PREPARED_HOST_TIMEOUT_MS)
  const pool = new SshPool()
  const tag = `odoops-test-${process.pid}`
  let conn: SshConnection
  let sandbox: SandboxInfo

  async function onHost(command: string): Promise<string> {
    const result = await sshRun(sandbox, command)
    expect(result.exitCode, `${command}\n${result.stderr}`).to.equal(0)
    return result.stdout.trim()
  }

  before(async function () {
    requireSandboxes(this)
    const prepared = await preparedHost()
    sandbox = prepared.sandbox
    const store = await openStore(parseStateLocation(undefined, prepared.env.ODOOPS_DATA_DIR))
    try {
      conn = await connectHost(store, prepared.host, pool)
    } finally {
      await store.close()
    }
  })

  after(async () => {
    if (conn) await removeRemotePath(conn, `/tmp/${tag}`).catch(() => {})
    await pool.closeAll()
  })

  it('ensureRemoteFile: changed, then unchanged; content, mode and owner each count; atomic rename', async () => {
    const dir = `/tmp/${tag}`
    expect(await ensureDirectory(conn, dir, {mode: 0o755})).to.equal('changed')
    expect(await ensureDirectory(conn, dir, {mode: 0o755})).to.equal('unchanged')
    expect(await ensureDirectory(conn, dir, {mode: 0o750, owner: 'odoo'})).to.equal('changed')
    expect(await onHost(`stat -c '%a %U:%G' ${dir}`)).to.equal('750 odoo:odoo')

    const path = `${dir}/it's a file.conf`
    const content = "line 1\nquote ' \" $HOME `x` \\\nünï\n"
    expect(await readRemoteFile(conn, path)).to.equal(undefined)
    expect(await ensureRemoteFile(conn, path, content, {mode: 0o640, owner: 'root', group: 'odoo'})).to.equal('changed')
    expect(await readRemoteFile(conn, path)).to.equal(content)
    expect(await ensureRemoteFile(conn, path, content, {mode: 0o640, owner: 'root', group: 'odoo'})).to.equal('unchanged')
    expect(await ensureRemoteFile(conn, path, content, {mode: 0o600, owner: 'root', group: 'odoo'}), 'mode').to.equal('changed')
    expect(await ensureRemoteFile(conn, path, content, {mode: 0o600}), 'group').to.equal('changed')
    expect(await ensureRemoteFile(conn, path, content + 'more\n', {mode: 0o600}), 'content').to.equal('changed')
    expect(await onHost(`stat -c '%a %U:%G' "${path}"; ls -A ${dir} | wc -l`)).to.equal('600 root:root\n1')
    // A binary file round trip (keyrings are binary).
    const binary = Buffer.from([0, 1, 2, 255, 10, 13, 39])
    expect(await ensureRemoteFile(conn, `${dir}/bin`, binary, {mode: 0o644})).to.equal('changed')
    expect(await onHost(`od -An -tx1 ${dir}/bin | tr -d ' \\n'`)).to.equal('000102ff0a0d27')
    expect(await removeRemotePath(conn, dir)).to.equal('changed')
    expect(await removeRemotePath(conn, dir)).to.equal('unchanged')
  })

  it('systemd: a unit written, started, stopped; a failing one reports its journal', async () => {
    const unit = `${tag}.service`
    expect((await unitStatus(conn, unit)).exists).to.equal(false)
    expect(await ensureUnitFile(conn, unit, `[Service]\nExecStart=/usr/bin/sleep 600\n[Install]\nWantedBy=multi-user.target\n`)).to.equal('changed')
    expect(await ensureUnitActive(conn, unit)).to.equal('changed')
    const status = await unitStatus(conn, unit)
    expect(status).to.include({exists: true, active: 'active', enabled: 'enabled'})
    expect(status.mainPid).to.be.a('number')
    expect(await ensureUnitActive(conn, unit)).to.equal('unchanged')
    expect(await ensureUnitActive(conn, unit, {restart: true})).to.equal('changed')
    expect(await ensureUnitStopped(conn, unit)).to.equal('changed')
    expect(await ensureUnitStopped(conn, unit)).to.equal('unchanged')

    const broken = `${tag}-broken.service`
    await ensureUnitFile(conn, broken, `[Service]\nExecStart=/bin/sh -c 'echo odoops-test-marker-$$ >&2; exit 3'\n`)
    try {
      await ensureUnitActive(conn, broken, {timeoutMs: 20_000})
      expect.fail('a failing unit was reported active')
    } catch (error) {
      expect((error as {code: string}).code).to.equal('UNIT_FAILED')
      expect((error as Error).message).to.include('odoops-test-marker-')
    }
    for (const name of [unit, broken]) {
      await ensureUnitStopped(conn, name)
      await removeRemotePath(conn, `/etc/systemd/system/${name}`)
    }
    await systemctl(conn, 'daemon-reload')
    await systemctl(conn, 'reset-failed')
  })

  it('postgres-admin: role with a verifiable password, never a superuser; databases', async () => {
    const cluster = await pgCluster(conn)
    expect(cluster).to.include({major: 15, port: 5432, running: true})
    const role = `odoops_test_${process.pid}`
    const db = `${tag}-db`
    expect(await ensureLoginRole(conn, role, 'first-Password-123', {createdb: true})).to.equal('changed')
    expect(await ensureLoginRole(conn, role, 'first-Password-123', {createdb: true})).to.equal('unchanged')
    expect(await ensureLoginRole(conn, role, 'second-Password-456', {createdb: true}), 'new password').to.equal('changed')
    expect(await ensureLoginRole(conn, role, 'second-Password-456', {createdb: false}), 'attributes').to.equal('changed')
    // Someone made it a superuser behind odoops' back: the next ensure takes it away.
    await psqlAsPostgres(conn, 'ALTER ROLE :"role" SUPERUSER', {vars: {role}})
    expect(await ensureLoginRole(conn, role, 'second-Password-456', {createdb: true})).to.equal('changed')
    expect(await psqlAsPostgres(conn, "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = :'role'", {vars: {role}})).to.equal('f|t\n')
    // The password really works over TCP with scram (Debian's pg_hba for 127.0.0.1).
    const login = await sshRun(sandbox, `PGPASSWORD=second-Password-456 psql -X -At -h 127.0.0.1 -U ${role} -d postgres -c 'SELECT current_user'`)
    expect(login.stdout.trim(), login.stderr).to.equal(role)

    expect(await databaseExists(conn, db)).to.equal(false)
    await psqlAsPostgres(conn, 'CREATE DATABASE :"db" OWNER :"role"', {vars: {db, role}})
    expect(await databaseExists(conn, db)).to.equal(true)
    expect(await databaseSize(conn, db)).to.be.greaterThan(1_000_000)
    expect(await dropDatabase(conn, db)).to.equal('changed')
    expect(await dropDatabase(conn, db)).to.equal('unchanged')
    expect(await databaseSize(conn, db)).to.equal(0)
    expect(await dropRole(conn, role)).to.equal('changed')
    expect(await dropRole(conn, role)).to.equal('unchanged')
    expect(await roleExists(conn, role)).to.equal(false)
  })

  it('psqlAsPostgres: a failing statement is PG_COMMAND_FAILED with PostgreSQL message', async () => {
    try {
      await psqlAsPostgres(conn, 'SELECT * FROM no_such_table')
      expect.fail('no error')
    } catch (error) {
      expect((error as {code: string}).code).to.equal('PG_COMMAND_FAILED')
      expect((error as Error).message).to.include('no_such_table')
    }
  })

  it('nginx: a site applied, unchanged on re-apply, a broken one rolled back, removed', async () => {
    const file = `${tag}.conf`
    const site = (port: number) => `server {\n  listen 127.0.0.1:${port};\n  server_name ${tag}.test;\n  return 204;\n}\n`
    expect(await applyNginxSite(conn, file, site(18080))).to.equal('changed')
    expect(await applyNginxSite(conn, file, site(18080))).to.equal('unchanged')
    expect(await onHost(`python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:18080/').status)"`)).to.equal('204')
    try {
      await applyNginxSite(conn, file, 'server { this is not nginx }\n')
      expect.fail('nginx accepted a broken file')
    } catch (error) {
      expect((error as {code: string}).code).to.equal('NGINX_CONFIG_INVALID')
      expect((error as Error).message).to.match(/rolled back/)
    }
    // The previous file is back, nginx still runs and still serves it.
    expect(await readRemoteFile(conn, `/etc/nginx/conf.d/${file}`)).to.equal(site(18080))
    expect(await onHost('systemctl is-active nginx')).to.equal('active')
    expect(await onHost(`ls /etc/nginx/conf.d | grep -c '${tag}' || true`)).to.equal('1')
    // A broken NEW file is removed.
    try {
      await applyNginxSite(conn, `${tag}-new.conf`, 'server { listen nope; }\n')
      expect.fail('nginx accepted a broken file')
    } catch (error) {
      expect((error as {code: string}).code).to.equal('NGINX_CONFIG_INVALID')
    }
    expect(await readRemoteFile(conn, `/etc/nginx/conf.d/${tag}-new.conf`)).to.equal(undefined)
    expect(await removeNginxSite(conn, file)).to.equal('changed')
    expect(await removeNginxSite(conn, file)).to.equal('unchanged')
    expect(await onHost('nginx -t 2>&1 | tail -n 1')).to.match(/successful/)
  })

  it('tls: a self-signed certificate made once (key 0600), an operator pair installed, a mismatched pair refused', async () => {
    const domain = `${tag}.example.com`
    const made = await ensureSelfSignedCertificate(conn, domain)
    expect(made).to.deep.equal({certificate: `/etc/odoops/tls/${domain}.crt`, key: `/etc/odoops/tls/${domain}.key`, change: 'changed'})
    expect((await ensureSelfSignedCertificate(conn, domain)).change).to.equal('unchanged')
    expect(await onHost(`stat -c '%a %U' ${made.key}; openssl x509 -in ${made.certificate} -noout -ext subjectAltName | tail -n 1`)).to.equal(`600 root\n    DNS:${domain}`)

    const dir = mkdtempSync(join(tmpdir(), 'odoops-tls-'))
    const makePair = async (name: string) => {
      await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)])
      return {cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8')}
    }
    const one = await makePair('one')
    const two = await makePair('two')
    try {
      await installCertificate(conn, domain, one.cert, two.key)
      expect.fail('a mismatched pair was installed')
    } catch (error) {
      expect((error as {code: string}).code).to.equal('TLS_KEY_MISMATCH')
    }
    expect((await installCertificate(conn, domain, one.cert, one.key)).change).to.equal('changed')
    expect((await installCertificate(conn, domain, one.cert, one.key)).change).to.equal('unchanged')
    expect(await readRemoteFile(conn, made.certificate)).to.equal(one.cert)
    await removeRemotePath(conn, made.certificate)
    await removeRemotePath(conn, made.key)
  })

  it('disk, ports and packages', async () => {
    expect(await freeBytes(conn, '/var/lib/odoops/does/not/exist')).to.be.greaterThan(100 * 2 ** 20)
    const ports = await listeningPorts(conn)
    expect(ports).to.include.members([22, 5432, 80])
    expect(await installedVersion(conn, 'odoo')).to.match(/^17\.0\.\d{8}$/)
    expect(await installedVersion(conn, 'no-such-package-odoops')).to.equal(undefined)
  })
})

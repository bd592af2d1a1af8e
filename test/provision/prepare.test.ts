import {expect} from 'chai'
import {defaultAptSource, parseOdooVersion, recordedPorts, validateSeries, versionInSeries} from '../../src/lib/provision/prepare.js'
import {sharedNames} from '../../src/lib/provision/service-names.js'
import {allocatePortPair} from '../../src/lib/provision/port-allocation.js'
import {FIXTURE_APT_SOURCE} from '../../src/lib/sandbox/index.js'
import type {HostRecord, SharedServiceRecord, TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {isolatedEnv, runCli, type CliResult} from '../helpers/cli.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS} from '../helpers/prepared-host.js'
import {dedicatedSandbox, requireSandboxes, SANDBOX_BOOT_TIMEOUT_MS, sshRun, type DedicatedSandbox, type SandboxInfo} from '../helpers/sandbox.js'
import {withStore} from '../helpers/store.js'

const STEPS = ['packages', 'postgresql', 'odoo-source', 'odoo-package', 'default-service', 'role', 'directories', 'shared-config', 'shared-unit', 'nginx']

async function addHost(env: Record<string, string>, sandbox: SandboxInfo): Promise<void> {
  const add = await runCli(['host', 'add', sandbox.name, '--address', sandbox.address, '--user', sandbox.user, '--identity', sandbox.identityFile, '--host-key', sandbox.hostKey], {env})
  expect(add.code, add.stderr).to.equal(0)
}

/** Runs a shell command on the sandbox as root and returns its trimmed stdout (fails the test on a non-zero exit). */
async function onHost(sandbox: SandboxInfo, command: string): Promise<string> {
  const result = await sshRun(sandbox, command)
  expect(result.exitCode, `${command}\n${result.stderr}`).to.equal(0)
  return result.stdout.trim()
}

/** GET a URL from inside the sandbox (python3 is in every image; curl is not). */
function httpGetOnHost(sandbox: SandboxInfo, url: string): Promise<string> {
  const script = `import urllib.request, urllib.error\ntry:\n  r = urllib.request.urlopen(${JSON.stringify(url)}, timeout=10)\n  print(r.status, r.read().decode())\nexcept urllib.error.HTTPError as e:\n  print(e.code, e.read().decode())`
  return onHost(sandbox, `python3 -c '${script}'`)
}

function changes(result: CliResult): Record<string, string> {
  return Object.fromEntries((result.json.steps as {name: string; change: string}[]).map((s) => [s.name, s.change]))
}

describe('host prepare: pure parts', () => {
  it('accepts major Odoo series only', () => {
    for (const series of ['14.0', '16.0', '17.0', '18.0']) expect(validateSeries(series)).to.equal(series)
    for (const bad of ['17', '17.1', 'saas-17.2', 'master', '9.0', '17.0; rm -rf /', '']) {
      expect(() => validateSeries(bad), bad).to.throw(/not an Odoo series/)
    }
  })

  it("defaults to Odoo's nightly repository of the series, signed by its keyring", () => {
    expect(defaultAptSource('17.0')).to.equal('deb [signed-by=/usr/share/keyrings/odoo-archive-keyring.gpg] https://nightly.odoo.com/17.0/nightly/deb/ ./')
  })

  it('reads odoo --version and tells versions of a series apart', () => {
    expect(parseOdooVersion('Odoo Server 17.0-20240101\n')).to.equal('17.0-20240101')
    expect(versionInSeries('17.0-20240101', '17.0')).to.equal(true)
    expect(versionInSeries('17.0.20240101', '17.0'), 'Debian package version of the nightly').to.equal(true)
    expect(versionInSeries('17.0', '17.0')).to.equal(true)
    expect(versionInSeries('16.0-20240101', '17.0')).to.equal(false)
    expect(versionInSeries('170.0', '17.0')).to.equal(false)
  })

  it('gives every series its own role, unit, config, data dir and log', () => {
    const all = ['16.0', '17.0', '18.0'].map(sharedNames)
    for (const key of ['role', 'unit', 'config', 'dataDir', 'logFile'] as const) expect(new Set(all.map((n) => n[key])).size, key).to.equal(3)
  })

  it('allocates ports clear of the other series and the dedicated tenants recorded for the host', async () => {
    const service = (httpPort: number): SharedServiceRecord => ({
      ...sharedNames('16.0'),
      series: '16.0',
      odooVersion: '16.0-1',
      httpPort,
      geventPort: httpPort + 1,
      pgHost: '127.0.0.1',
      pgPort: 5432,
      databases: [],
      preparedAt: '',
    })
    const host: HostRecord = {id: 'h1', address: '10.0.0.1', port: 22, user: 'root', services: {'16.0': service(8100), '17.0': service(8300)}}
    const tenants: TenantRecord[] = [
      {id: 'd1', host: 'h1', mode: 'dedicated', domain: 'd1.example.com', series: '17.0', database: 'd1', state: 'active', service: {unit: 'u', config: 'c', dataDir: 'd', httpPort: 8102, geventPort: 8103, role: 'r'}},
    ]
    const store = {tenants: {list: async (filter?: Partial<TenantRecord>) => tenants.filter((t) => !filter?.host || t.host === filter.host)}} as unknown as StateStore
    const used = await recordedPorts(store, host, '17.0')
    expect(used.sort()).to.deep.equal([8100, 8101, 8102, 8103])
    expect(allocatePortPair([...used, 8104])).to.deep.equal({httpPort: 8106, geventPort: 8107})
  })
})

describe('host prepare on a BARE sandbox, through apt @host', function () {
  this.timeout(SANDBOX_BOOT_TIMEOUT_MS + 1_200_000)
  let sandbox: DedicatedSandbox
  let env: Record<string, string>
  let first: CliResult

  before(async function () {
    requireSandboxes(this)
    sandbox = await dedicatedSandbox({image: 'base', fixtureOdoo: true})
    env = isolatedEnv()
    await addHost(env, sandbox)
  })

  after(async () => {
    await sandbox?.down()
  })

  it('installs PostgreSQL, nginx and the fixture odoo package and starts the shared service', async () => {
    expect(await onHost(sandbox, 'ls /usr/bin/psql /usr/sbin/nginx /usr/bin/odoo 2>/dev/null | wc -l'), 'a bare host').to.equal('0')
    const started = Date.now()
    first = await runCli(['host', 'prepare', sandbox.name, '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE, '--json'], {env, timeoutMs: 1_200_000})
    const seconds = (Date.now() - started) / 1000
    expect(first.code, first.stdout + first.stderr).to.equal(0)
    console.log(`      (bare host prepare: ${seconds.toFixed(1)} s; steps ${first.json.steps.map((s: {name: string; durationMs: number}) => `${s.name} ${(s.durationMs / 1000).toFixed(1)}s`).join(', ')})`)
    expect(first.json.steps.map((s: {name: string}) => s.name)).to.deep.equal(STEPS)
    expect(changes(first)).to.include({packages: 'changed', 'odoo-package': 'changed', role: 'changed', 'shared-unit': 'changed'})
    expect(first.json.odooVersion).to.match(/^17\.0-\d{8}$/)
    expect(await onHost(sandbox, "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' postgresql nginx odoo | sort")).to.equal('nginx installed\nodoo installed\npostgresql installed')
  })

  it('runs the shared service under systemd, answering /web/health on its port as the odoo user', async () => {
    const service = first.json.service as SharedServiceRecord
    expect(service).to.include({unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', role: 'odoops_shared_17', pgPort: 5432})
    expect(await onHost(sandbox, `systemctl is-active ${service.unit}; systemctl is-enabled ${service.unit}`)).to.equal('active\nenabled')
    expect(await onHost(sandbox, `ps -o user= -p "$(systemctl show -p MainPID --value ${service.unit})"`)).to.equal('odoo')
    expect(await httpGetOnHost(sandbox, `http://127.0.0.1:${service.httpPort}/web/health`)).to.equal('200 {"status": "pass"}')
    // db_server_status connects to PostgreSQL with the config's role and password (scram over TCP).
    expect(await httpGetOnHost(sandbox, `http://127.0.0.1:${service.httpPort}/web/health?db_server_status=1`)).to.match(/^200 .*"db_server_status": true/)
    expect(await onHost(sandbox, `stat -c '%a %U:%G' ${service.config} ${service.dataDir} /var/log/odoops`)).to.equal('640 root:odoo\n750 odoo:odoo\n750 odoo:odoo')
    const config = await onHost(sandbox, `cat ${service.config}`)
    for (const line of ['list_db = False', 'dbfilter = ^%h$', 'db_host = 127.0.0.1', 'http_interface = 127.0.0.1', 'workers = 2', `http_port = ${service.httpPort}`, `gevent_port = ${service.geventPort}`]) {
      expect(config).to.include(line)
    }
  })

  it('connects as a role that is not a superuser, and leaves the package odoo.service stopped and disabled', async () => {
    expect(await onHost(sandbox, `runuser -u postgres -- psql -X -At -c "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'odoops_shared_17'"`)).to.equal('f|t|f')
    const state = await sshRun(sandbox, 'systemctl is-active odoo.service; systemctl is-enabled odoo.service')
    expect(state.stdout.trim()).to.equal('inactive\ndisabled')
    expect((await onHost(sandbox, 'ss -Hltn')).split('\n').some((l) => /:8069\s/.test(l)), 'nothing on 8069').to.equal(false)
  })

  it('records the service on the host in the state store', async () => {
    const record = await withStore(env, async (store) => (await store.hosts.get(sandbox.name))?.services?.['17.0'])
    expect(record).to.deep.equal(first.json.service)
  })

  it('a second run changes nothing: every step unchanged, exit 0', async () => {
    const again = await runCli(['host', 'prepare', sandbox.name, '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE, '--json'], {env, timeoutMs: 600_000})
    expect(again.code, again.stdout + again.stderr).to.equal(0)
    expect(Object.values(changes(again))).to.deep.equal(STEPS.map(() => 'unchanged'))
    expect(again.json.changed).to.equal(0)
    expect(again.json.service).to.deep.equal(first.json.service)
    // And the human output is the step table.
    const text = await runCli(['host', 'prepare', sandbox.name, '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE], {env, timeoutMs: 600_000})
    expect(text.code).to.equal(0)
    for (const step of STEPS) expect(text.stdout).to.match(new RegExp(`^${step}\\s+unchanged`, 'm'))
    expect(text.stdout).to.include('nothing changed')
  })
})

describe('host prepare on the postgres-nginx image: ports, series @host', function () {
  this.timeout(SANDBOX_BOOT_TIMEOUT_MS + 900_000)
  let sandbox: DedicatedSandbox
  let env: Record<string, string>

  before(async function () {
    requireSandboxes(this)
    sandbox = await dedicatedSandbox({image: 'postgres-nginx', fixtureOdoo: '17.0'})
    env = isolatedEnv()
    await addHost(env, sandbox)
  })

  after(async () => {
    await sandbox?.down()
  })

  it('allocates ports nothing on the host listens on', async () => {
    // Something else already serves 8100 (the first port of odoops' range).
    await onHost(sandbox, 'systemd-run --unit=squatter python3 -m http.server 8100 --bind 127.0.0.1 >/dev/null 2>&1; for i in $(seq 50); do ss -Hltn | grep -q ":8100 " && break; sleep 0.2; done; ss -Hltn | grep -c ":8100 "')
    const result = await runCli(['host', 'prepare', sandbox.name, '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE, '--json'], {env, timeoutMs: 900_000})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    expect(result.json.service).to.include({httpPort: 8102, geventPort: 8103, dataDir: '/var/lib/odoops/shared-17'})
    expect(await httpGetOnHost(sandbox, 'http://127.0.0.1:8102/web/health')).to.equal('200 {"status": "pass"}')
  })

  it('keeps its recorded ports on a re-run, even once the other port is free', async () => {
    await onHost(sandbox, 'systemctl stop squatter')
    const again = await runCli(['host', 'prepare', sandbox.name, '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE, '--json'], {env, timeoutMs: 600_000})
    expect(again.code, again.stderr).to.equal(0)
    expect(again.json.service).to.include({httpPort: 8102, geventPort: 8103})
    expect(again.json.changed).to.equal(0)
  })

  it('refuses a second series from apt before any change: one "odoo" package serves one series', async () => {
    const before = await onHost(sandbox, 'sha256sum /etc/apt/sources.list.d/odoo.list; ls /etc/odoops; ls /etc/systemd/system | grep odoops')
    const result = await runCli(['host', 'prepare', sandbox.name, '--odoo', '16.0', '--apt-source', FIXTURE_APT_SOURCE, '--json'], {env, timeoutMs: 300_000})
    expect(result.code).to.equal(1)
    expect(result.json.error.code).to.equal('ODOO_SERIES_CONFLICT')
    expect(result.json.error.message).to.match(/17\.0.*16\.0/)
    expect(await onHost(sandbox, 'sha256sum /etc/apt/sources.list.d/odoo.list; ls /etc/odoops; ls /etc/systemd/system | grep odoops')).to.equal(before)
    const services = await withStore(env, async (store) => (await store.hosts.get(sandbox.name))?.services)
    expect(Object.keys(services ?? {})).to.deep.equal(['17.0'])
  })
})

describe('host prepare: bad input, refused before any change @host', function () {
  this.timeout(PREPARED_HOST_TIMEOUT_MS)
  let env: Record<string, string>
  let host: string
  let sandbox: SandboxInfo
  let serviceBefore: SharedServiceRecord | undefined

  before(async function () {
    requireSandboxes(this)
    ;({env, host, sandbox} = await preparedHost())
    serviceBefore = await withStore(env, async (store) => (await store.hosts.get(host))?.services?.['17.0'])
  })

  it('an unknown host: HOST_NOT_FOUND, exit 2, nothing recorded', async () => {
    const fresh = isolatedEnv()
    const result = await runCli(['host', 'prepare', 'nowhere', '--odoo', '17.0', '--json'], {env: fresh})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('HOST_NOT_FOUND')
    expect(result.json.error.suggestions.join(' ')).to.include('odoops host add nowhere')
    expect(await withStore(fresh, (store) => store.hosts.count())).to.equal(0)
  })

  it('an unreachable host: an SSH error, exit 1, nothing recorded', async () => {
    const fresh = isolatedEnv()
    await withStore(fresh, (store) => store.hosts.put({id: 'ghost', address: '127.0.0.1', port: 1, user: 'root', identityFile: sandbox.identityFile, hostKey: 'SHA256:' + 'A'.repeat(43)}))
    const result = await runCli(['host', 'prepare', 'ghost', '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE, '--json'], {env: fresh})
    expect(result.code).to.equal(1)
    expect(result.json.error.code).to.match(/^SSH_(REFUSED|UNREACHABLE|TIMEOUT)$/)
    expect((await withStore(fresh, (store) => store.hosts.get('ghost')))?.services).to.equal(undefined)
  })

  it('a malformed --apt-source: APT_SOURCE_INVALID, exit 2, the host untouched', async () => {
    const listBefore = await onHost(sandbox, 'cat /etc/apt/sources.list.d/odoo.list')
    for (const line of ['https://nightly.odoo.com/17.0/nightly/deb/ ./', 'deb [trusted=yes file:/srv/x ./', 'deb http://deb.debian.org/debian bookworm']) {
      const result = await runCli(['host', 'prepare', host, '--odoo', '17.0', '--apt-source', line, '--json'], {env})
      expect(result.code, line).to.equal(2)
      expect(result.json.error.code).to.equal('APT_SOURCE_INVALID')
      expect(result.json.error.message).to.include(line)
    }
    expect(await onHost(sandbox, 'cat /etc/apt/sources.list.d/odoo.list')).to.equal(listBefore)
    expect(await withStore(env, async (store) => (await store.hosts.get(host))?.services?.['17.0'])).to.deep.equal(serviceBefore)
  })

  it('a series that is not one: ODOO_SERIES_INVALID, exit 2', async () => {
    for (const series of ['17', 'latest', '17.0 ']) {
      const result = await runCli(['host', 'prepare', host, '--odoo', series, '--json'], {env})
      expect(result.code, series).to.equal(2)
      expect(result.json.error.code).to.equal('ODOO_SERIES_INVALID')
    }
  })

  it('--apt-key with a source that has no signed-by: APT_KEY_UNUSED, exit 2', async () => {
    const result = await runCli(['host', 'prepare', host, '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE, '--apt-key', '/etc/hostname', '--json'], {env})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('APT_KEY_UNUSED')
  })
})

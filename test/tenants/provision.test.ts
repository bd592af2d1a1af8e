import {expect} from 'chai'
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BIN, runCli} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schema.js'
import {preparedHost, type PreparedHost} from '../helpers/prepared-host.js'
import {requireSandboxes, SANDBOX_BOOT_TIMEOUT_MS, sharedSandbox, sshRun, type SandboxInfo} from '../helpers/sandbox.js'
import {FIXTURE_APT_SOURCE} from '../../src/lib/sandbox/sandbox.js'
import {mapDomains, passwordFrom, probeTenant, traces} from './remote-checks.js'

const TENANT_TIMEOUT_MS = 240_000

/** The databases in the shared 17.0 service's db_name, as the file on the host says. */
async function sharedDbNames(sandbox: SandboxInfo): Promise<string[]> {
  const config = await sshRun(sandbox, 'grep ^db_name /etc/odoops/shared-17.conf')
  return config.stdout.trim().replace(/^db_name\s*=\s*/, '').split(',').filter(Boolean)
}

/**
 * Acceptance of the provisioning issue on two real sandboxes sharing one state store:
 * shared and dedicated tenants reached through nginx, isolation, fleet-wide slugs, ports,
 * and creations killed mid-way then resumed or removed.
 */
describe('tenant create / remove on prepared hosts @host', function () {
  let a: PreparedHost
  let b: SandboxInfo
  let env: Record<string, string>
  const credentials = mkdtempSync(join(tmpdir(), 'odoops-creds-'))
  const credFile = (slug: string) => join(credentials, `${slug}.txt`)

  const create = (slug: string, ...extra: string[]) =>
    runCli(['tenant', 'create', slug, '--json', '--credentials-file', credFile(slug), ...extra], {env, timeoutMs: TENANT_TIMEOUT_MS})

  before(async function () {
    this.timeout(SANDBOX_BOOT_TIMEOUT_MS * 2)
    requireSandboxes(this)
    a = await preparedHost('pa')
    env = a.env
    // Host B joins the same state store (slugs are unique across the fleet).
    b = await sharedSandbox('pb', {image: 'postgres-nginx', fixtureOdoo: true})
    const added = await runCli(['host', 'add', 'pb', '--address', b.address, '--identity', b.identityFile, '--host-key', b.hostKey, '--json'], {env})
    expect(added.code, added.stderr).to.equal(0)
    const prepared = await runCli(['host', 'prepare', 'pb', '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE, '--json'], {env, timeoutMs: 600_000})
    expect(prepared.code, prepared.stderr).to.equal(0)
  })

  const shared = ['one', 'two', 'three'].map((n) => ({slug: `shop-${n}`, domain: `${n}.shops.example.test`}))

  it('creates three shared tenants and one dedicated one, each healthy through nginx with its own password', async function () {
    this.timeout(TENANT_TIMEOUT_MS * 4)
    for (const t of shared) {
      const result = await create(t.slug, '--host', a.host, '--domain', t.domain, '--modules', 'crm', '--customer', `Shop ${t.slug}`, '--country', 'BE')
      expect(result.code, result.stdout + result.stderr).to.equal(0)
      expect(result.json.tenant).to.include({slug: t.slug, state: 'active', mode: 'shared', database: t.domain})
      expect(result.json.adminLogin).to.deep.equal({login: 'admin', file: credFile(t.slug), shown: false})
      expect(schemaErrors('tenant:create', result.json)).to.deep.equal([])
    }
    const dedicated = await create('solo', '--host', a.host, '--mode', 'dedicated', '--domain', 'solo.example.test')
    expect(dedicated.code, dedicated.stdout + dedicated.stderr).to.equal(0)
    expect(dedicated.json.tenant.service.unit).to.equal('odoops-solo.service')

    await mapDomains(a.sandbox, [...shared.map((t) => t.domain), 'solo.example.test'])
    const all = [...shared.map((t) => ({...t, database: t.domain})), {slug: 'solo', domain: 'solo.example.test', database: 'solo'}]
    for (const [i, t] of all.entries()) {
      const other = all[(i + 1) % all.length]
      const probe = await probeTenant(a.sandbox, t.domain, t.database, passwordFrom(credFile(t.slug)), other.database)
      expect(probe.health, t.slug).to.deep.equal([200, '{"status": "pass"}'])
      expect(probe.uid, `${t.slug} logs in with its new password`).to.be.a('number')
      expect(probe.default_uid, `${t.slug} refuses admin/admin`).to.equal(false)
      expect(probe.database_manager, 'the database manager is blocked at nginx').to.equal(403)
      // The login page served for this Host names this tenant's database, never another's.
      expect(probe.login_page[1]).to.include(t.database)
      expect(probe.login_page[1]).not.to.include(other.database)
      // A browser login through this Host that names another tenant's database is refused (dbfilter).
      expect(probe.cross[1], `${t.slug} → ${other.database}`).to.match(/Database not found|AccessDenied|Access Denied/i)
    }
  })

  it('refuses TLS for a name no tenant has instead of serving some tenant', async function () {
    this.timeout(60_000)
    await mapDomains(a.sandbox, ['nobody.example.test'])
    const handshake = await sshRun(
      a.sandbox,
      `python3 -c "import ssl, socket; c = ssl._create_unverified_context(); c.wrap_socket(socket.create_connection(('127.0.0.1', 443)), server_hostname='nobody.example.test')"`,
    )
    expect(handshake.exitCode).to.not.equal(0)
    expect(handshake.stderr).to.match(/SSL|alert/i)
  })

  it('gives the dedicated tenant its own active unit and a role that is not a superuser', async function () {
    this.timeout(60_000)
    const unit = await sshRun(a.sandbox, 'systemctl is-active odoops-solo.service')
    expect(unit.stdout.trim()).to.equal('active')
    const role = await sshRun(a.sandbox, `runuser -u postgres -- psql -XAtc "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = 'odoops_solo'"`)
    expect(role.stdout.trim()).to.equal('f|f')
    const owner = await sshRun(a.sandbox, `runuser -u postgres -- psql -XAtc "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'solo'"`)
    expect(owner.stdout.trim()).to.equal('odoops_solo')
  })

  it('lists the shared databases in the shared service db_name (so their crons run)', async function () {
    this.timeout(60_000)
    // The prepared host is shared with other test files, which add their own databases.
    const listed = await sharedDbNames(a.sandbox)
    for (const t of shared) expect(listed, t.domain).to.include(t.domain)
  })

  it('refuses a slug already used on another host, creating nothing there', async function () {
    this.timeout(TENANT_TIMEOUT_MS)
    const result = await create('shop-one', '--host', 'pb', '--domain', 'other.example.test')
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('TENANT_EXISTS')
    expect(result.json.error.message).to.include(a.host)
    const dbs = await sshRun(b, `runuser -u postgres -- psql -XAtc "SELECT count(*) FROM pg_database WHERE datname IN ('other.example.test', 'shop-one')"`)
    expect(dbs.stdout.trim()).to.equal('0')
    const show = await runCli(['tenant', 'show', 'shop-one', '--json'], {env})
    expect(show.json?.host ?? show.json?.tenant?.host).to.equal(a.host)
  })

  it('refuses bad input with exit 2 and nothing recorded', async function () {
    this.timeout(60_000)
    for (const [args, code] of [
      [['template1', '--host', a.host, '--domain', 'x.example.test'], 'TENANT_SLUG_RESERVED'],
      [['Bad_Slug', '--host', a.host, '--domain', 'x.example.test'], 'TENANT_SLUG_INVALID'],
      [['fine', '--host', a.host, '--domain', 'not a domain'], 'DOMAIN_INVALID'],
      [['fine', '--host', a.host, '--domain', shared[0].domain], 'DOMAIN_IN_USE'],
      [['fine', '--host', a.host, '--domain', 'y.example.test', '--odoo', '18.0'], 'HOST_SERIES_NOT_PREPARED'],
    ] as const) {
      const result = await create(...(args as unknown as [string, ...string[]]))
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(2)
      expect(result.json.error.code).to.equal(code)
    }
    const list = await runCli(['tenant', 'list', '--json'], {env})
    expect(list.json.tenants.map((t: {slug: string}) => t.slug)).not.to.include('fine')
  })

  /** Start `tenant create`, SIGKILL it as soon as `step` starts, and return what it printed. */
  async function killAt(slug: string, step: string, ...extra: string[]): Promise<string> {
    const child = execa('node', [BIN, 'tenant', 'create', slug, '--credentials-file', credFile(slug), ...extra], {env: {...env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        if (stderr.includes(`[${step}] `)) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => reject(new Error(`tenant create ${slug} ended before step ${step}:\n${stderr}`)))
    })
    await child
    return stderr
  }

  const killed = [
    {slug: 'kill-db', step: 'database', args: ['--mode', 'dedicated']},
    {slug: 'kill-list', step: 'db-list', args: ['--mode', 'shared']},
    {slug: 'kill-vhost', step: 'vhost', args: ['--mode', 'dedicated']},
  ]

  it('resumes creations killed at three different steps', async function () {
    this.timeout(TENANT_TIMEOUT_MS * 6)
    for (const k of killed) {
      const domain = `${k.slug}.example.test`
      await killAt(k.slug, k.step, '--host', a.host, '--domain', domain, ...k.args)
      const shown = await runCli(['tenant', 'show', k.slug, '--json'], {env})
      expect(shown.json.state, 'a killed creation is never active').to.be.oneOf(['creating', 'interrupted', 'failed'])
      const again = await create(k.slug, '--host', a.host, '--domain', domain)
      expect(again.json.error.code, 'a plain re-create points at --resume').to.equal('TENANT_EXISTS')
      expect(again.json.error.suggestions.join(' ')).to.include('--resume')
      const resumed = await runCli(['tenant', 'create', k.slug, '--resume', '--json', '--credentials-file', credFile(k.slug)], {env, timeoutMs: TENANT_TIMEOUT_MS})
      expect(resumed.code, resumed.stdout + resumed.stderr).to.equal(0)
      expect(resumed.json.resumed).to.equal(true)
      expect(resumed.json.tenant.state).to.equal('active')
      await mapDomains(a.sandbox, [domain])
      const probe = await probeTenant(a.sandbox, domain, resumed.json.tenant.database, passwordFrom(credFile(k.slug)))
      expect(probe.health[0]).to.equal(200)
      expect(probe.uid).to.be.a('number')
    }
  })

  it('removes a killed creation without leaving anything behind', async function () {
    this.timeout(TENANT_TIMEOUT_MS * 2)
    await killAt('kill-rm', 'service', '--host', a.host, '--mode', 'dedicated', '--domain', 'kill-rm.example.test')
    const before = await traces(a.sandbox, {slug: 'kill-rm', database: 'kill-rm', role: 'odoops_kill_rm'})
    expect(before, 'the killed run had created things').to.include({database: 1, role: 1, unit: 1, dataDir: 1})
    const removed = await runCli(['tenant', 'remove', 'kill-rm', '--confirm', 'kill-rm', '--json'], {env, timeoutMs: TENANT_TIMEOUT_MS})
    expect(removed.code, removed.stdout + removed.stderr).to.equal(0)
    expect(await traces(a.sandbox, {slug: 'kill-rm', database: 'kill-rm', role: 'odoops_kill_rm'})).to.deep.equal({database: 0, role: 0, unit: 0, vhost: 0, dataDir: 0})
    const show = await runCli(['tenant', 'show', 'kill-rm', '--json'], {env})
    expect(show.code).to.not.equal(0)
  })

  it('removes an active shared tenant: database, filestore, vhost and db_name entry gone, the others still healthy', async function () {
    this.timeout(TENANT_TIMEOUT_MS)
    const refused = await runCli(['tenant', 'remove', 'shop-three', '--json'], {env})
    expect(refused.code).to.equal(2)
    expect(refused.json.error.code).to.equal('CONFIRM_REQUIRED')
    const removed = await runCli(['tenant', 'remove', 'shop-three', '--confirm', 'shop-three', '--json'], {env, timeoutMs: TENANT_TIMEOUT_MS})
    expect(removed.code, removed.stdout + removed.stderr).to.equal(0)
    const left = await traces(a.sandbox, {slug: 'shop-three', database: shared[2].domain})
    expect(left).to.include({database: 0, vhost: 0})
    const filestore = await sshRun(a.sandbox, `test -e '/var/lib/odoops/shared-17/filestore/${shared[2].domain}' && echo 1 || echo 0`)
    expect(filestore.stdout.trim()).to.equal('0')
    const listed = await sharedDbNames(a.sandbox)
    expect(listed).not.to.include(shared[2].domain)
    expect(listed).to.include.members([shared[0].domain, shared[1].domain, 'kill-list.example.test'])
    const probe = await probeTenant(a.sandbox, shared[0].domain, shared[0].domain, passwordFrom(credFile(shared[0].slug)))
    expect(probe.uid).to.be.a('number')
  })

  it('never gives two dedicated services on one host the same ports (5 dedicated tenants)', async function () {
    this.timeout(TENANT_TIMEOUT_MS * 3)
    for (const n of ['p4', 'p5']) {
      const result = await create(`ded-${n}`, '--host', a.host, '--mode', 'dedicated', '--domain', `${n}.example.test`)
      expect(result.code, result.stdout + result.stderr).to.equal(0)
    }
    const list = await runCli(['tenant', 'list', '--host', a.host, '--json'], {env})
    const ours = ['solo', 'kill-db', 'kill-vhost', 'ded-p4', 'ded-p5']
    const dedicated = list.json.tenants.filter((t: {mode: string; slug: string}) => t.mode === 'dedicated' && ours.includes(t.slug))
    expect(dedicated).to.have.length(5)
    // Every dedicated service on the host (other test files add theirs) and the shared one: no port twice.
    const ports = list.json.tenants
      .filter((t: {mode: string}) => t.mode === 'dedicated')
      .flatMap((t: {service: {httpPort: number; geventPort: number}}) => [t.service.httpPort, t.service.geventPort])
    const sharedService = await sshRun(a.sandbox, "grep -E '^(http_port|gevent_port)' /etc/odoops/shared-17.conf | awk '{print $3}'")
    ports.push(...sharedService.stdout.split('\n').map(Number))
    expect(new Set(ports).size, `ports ${ports.join(',')}`).to.equal(ports.length)
    const listening = await sshRun(a.sandbox, 'ss -Hltn')
    for (const t of dedicated) expect(listening.stdout, t.slug).to.include(`127.0.0.1:${t.service.httpPort} `)
  })
})

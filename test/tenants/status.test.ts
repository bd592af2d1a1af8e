import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {runCli, type CliResult} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun} from '../helpers/sandbox.js'
import {passwordFrom} from './remote-checks.js'

const TENANT_TIMEOUT_MS = 240_000

interface StatusRow {
  slug: string
  verdict: string
  healthy: boolean
  service: {unit: string; active: string} | null
  http: {ok: boolean; status: number} | null
  databaseBytes: number | null
  diskFreeBytes: number | null
  problems: string[]
}

/**
 * tenant list/show/status/stop/start/update against real tenants on the shared prepared
 * sandbox (its state store is shared with other test files: slugs here start with `st-`,
 * and assertions about "every tenant" compare with `tenant list` rather than assume
 * these are the only ones).
 */
describe('tenant status / stop / start / update on a prepared host @host', function () {
  let host: PreparedHost
  let env: Record<string, string>
  const credentials = mkdtempSync(join(tmpdir(), 'odoops-st-creds-'))
  const tenants = {
    shared: {slug: 'st-shared', domain: 'st-shared.status.example.test', mode: 'shared'},
    ded1: {slug: 'st-ded1', domain: 'st-ded1.status.example.test', mode: 'dedicated'},
    ded2: {slug: 'st-ded2', domain: 'st-ded2.status.example.test', mode: 'dedicated'},
  }

  const cli = (args: string[], timeoutMs = TENANT_TIMEOUT_MS): Promise<CliResult> => runCli(args, {env, timeoutMs})
  const statusAll = async () => {
    const result = await cli(['tenant', 'status', '--all', '--json'])
    expect(result.json, result.stderr).to.have.property('tenants')
    return {code: result.code, report: result.json as {tenants: StatusRow[]; healthy: number; unhealthy: number}}
  }
  const row = (report: {tenants: StatusRow[]}, slug: string) => report.tenants.find((t) => t.slug === slug)!
  const onHost = (command: string) => sshRun(host.sandbox, command)

  before(async function () {
    host = await preparedHostFor(this, 3 * TENANT_TIMEOUT_MS)
    env = host.env
    for (const t of Object.values(tenants)) {
      const created = await cli(['tenant', 'create', t.slug, '--host', host.host, '--mode', t.mode, '--domain', t.domain, '--json', '--credentials-file', join(credentials, `${t.slug}.txt`)])
      expect(created.code, `${t.slug}: ${created.stderr}\n${created.stdout}`).to.equal(0)
    }
  })

  it('tenant list and show describe the tenants without secrets', async function () {
    this.timeout(60_000)
    const list = await cli(['tenant', 'list', '--host', host.host, '--json'])
    expect(list.code, list.stderr).to.equal(0)
    const ded1 = list.json.tenants.find((t: {slug: string}) => t.slug === 'st-ded1')
    expect(ded1).to.include({host: host.host, mode: 'dedicated', series: '17.0', domain: tenants.ded1.domain, state: 'active'})
    expect(ded1.service).to.include({unit: 'odoops-st-ded1.service'})
    expect(ded1.operation).to.include({kind: 'create'})
    const show = await cli(['tenant', 'show', 'st-shared', '--json'])
    expect(show.code, show.stderr).to.equal(0)
    expect(show.json).to.include({slug: 'st-shared', mode: 'shared', database: tenants.shared.domain})
    expect(show.json.steps.map((s: {name: string}) => s.name)).to.include.members(['database', 'vhost', 'health'])
    expect(show.json.steps.every((s: {state: string}) => s.state === 'done')).to.equal(true)
    // No secret: the admin password (in the credentials file) appears nowhere in the output.
    const password = passwordFrom(join(credentials, 'st-shared.txt'))
    expect(JSON.stringify([list.json, show.json])).to.not.contain(password)
  })

  it('tenant status --all --json reports every tenant: ours healthy, with service, HTTP, database size and disk free', async function () {
    this.timeout(120_000)
    const {code, report} = await statusAll()
    const listed = (await cli(['tenant', 'list', '--json'])).json.tenants.map((t: {slug: string}) => t.slug).sort()
    expect(report.tenants.map((t) => t.slug)).to.deep.equal(listed)
    expect(code).to.equal(report.unhealthy > 0 ? 1 : 0)
    expect(report.healthy + report.unhealthy).to.be.at.most(report.tenants.length)
    for (const t of Object.values(tenants)) {
      const r = row(report, t.slug)
      expect(r, JSON.stringify(r)).to.include({verdict: 'healthy', healthy: true})
      expect(r.problems).to.deep.equal([])
      expect(r.service).to.include({active: 'active'})
      expect(r.http).to.include({ok: true, status: 200})
      expect(r.databaseBytes).to.be.a('number').above(1000)
      expect(r.diskFreeBytes).to.be.a('number').above(0)
    }
    expect(row(report, 'st-shared').service!.unit).to.equal(host.prepare.service.unit)
    const one = await cli(['tenant', 'status', 'st-ded2', '--json'])
    expect(one.code, one.stderr).to.equal(0)
    expect(one.json).to.include({healthy: 1, unhealthy: 0})
  })

  it('stopping one dedicated unit with systemctl outside odoops turns exactly that tenant unhealthy (exit 1)', async function () {
    this.timeout(180_000)
    const before = await statusAll()
    const stop = await onHost('systemctl stop odoops-st-ded1.service')
    expect(stop.exitCode, stop.stderr).to.equal(0)
    try {
      const after = await statusAll()
      expect(after.code).to.equal(1)
      const changed = after.report.tenants.filter((t) => t.verdict !== row(before.report, t.slug)?.verdict).map((t) => t.slug)
      expect(changed).to.deep.equal(['st-ded1'])
      const ded1 = row(after.report, 'st-ded1')
      expect(ded1).to.include({verdict: 'unhealthy', healthy: false})
      expect(ded1.service).to.include({active: 'inactive'})
      expect(ded1.http!.ok).to.equal(false)
      expect(ded1.problems.join('\n')).to.contain('odoops-st-ded1.service is inactive')
      expect(after.report.unhealthy).to.equal(before.report.unhealthy + 1)
      const human = await cli(['tenant', 'status', 'st-ded1'])
      expect(human.code).to.equal(1)
      expect(human.stderr).to.contain('Problem: st-ded1: odoops-st-ded1.service is inactive')
    } finally {
      // tenant start brings back a unit stopped outside odoops.
      const start = await cli(['tenant', 'start', 'st-ded1', '--json'])
      expect(start.code, start.stderr).to.equal(0)
      expect(start.json.health).to.include({ok: true})
    }
    const again = await cli(['tenant', 'status', 'st-ded1', '--json'])
    expect(again.code, again.stderr).to.equal(0)
  })

  it('tenant stop / start round trip on a dedicated tenant; a shared tenant is refused', async function () {
    this.timeout(180_000)
    const stop = await cli(['tenant', 'stop', 'st-ded2', '--json'])
    expect(stop.code, stop.stderr).to.equal(0)
    expect(stop.json).to.include({unit: 'odoops-st-ded2.service', change: 'changed'})
    expect(stop.json.tenant.state).to.equal('stopped')
    expect((await onHost('systemctl is-active odoops-st-ded2.service')).stdout.trim()).to.equal('inactive')
    expect((await onHost('systemctl is-enabled odoops-st-ded2.service')).stdout.trim()).to.equal('disabled')
    const again = await cli(['tenant', 'stop', 'st-ded2', '--json'])
    expect(again.json.change).to.equal('unchanged')

    // Stopped on purpose: reported as stopped, not unhealthy (exit 0).
    const status = await cli(['tenant', 'status', 'st-ded2', '--json'])
    expect(status.code, status.stderr).to.equal(0)
    expect(status.json.tenants[0]).to.include({verdict: 'stopped', healthy: false, state: 'stopped'})
    expect(status.json).to.include({healthy: 0, unhealthy: 0, stopped: 1})
    expect((await cli(['tenant', 'list', '--in-state', 'stopped', '--json'])).json.tenants.map((t: {slug: string}) => t.slug)).to.include('st-ded2')

    const start = await cli(['tenant', 'start', 'st-ded2', '--json'])
    expect(start.code, start.stderr).to.equal(0)
    expect(start.json).to.include({change: 'changed'})
    expect(start.json.tenant.state).to.equal('active')
    expect(start.json.health).to.include({ok: true, status: 200})
    expect((await onHost('systemctl is-active odoops-st-ded2.service')).stdout.trim()).to.equal('active')
    expect((await onHost('systemctl is-enabled odoops-st-ded2.service')).stdout.trim()).to.equal('enabled')
    const healthy = await cli(['tenant', 'status', 'st-ded2', '--json'])
    expect(healthy.code, healthy.stderr).to.equal(0)
    expect(healthy.json.tenants[0]).to.include({verdict: 'healthy'})

    const shared = await cli(['tenant', 'stop', 'st-shared', '--json'])
    expect(shared.code).to.equal(2)
    expect(shared.json.error.code).to.equal('TENANT_SHARED_NO_OWN_SERVICE')
    expect((await onHost(`systemctl is-active ${host.prepare.service.unit}`)).stdout.trim()).to.equal('active')

    const audit = await cli(['audit', 'list', '--tenant', 'st-ded2', '--json'])
    expect(audit.json.events.map((e: {command: string}) => e.command)).to.include.members(['tenant:stop', 'tenant:start'])
  })

  const moduleState = async (database: string, module: string) =>
    (await onHost(`runuser -u postgres -- psql -XAt -d '${database}' -c "SELECT state FROM ir_module_module WHERE name = '${module}'"`)).stdout.trim()

  it('tenant update installs a new module on a shared tenant, restarts the shared service and stays healthy', async function () {
    this.timeout(TENANT_TIMEOUT_MS)
    expect(await moduleState(tenants.shared.domain, 'crm')).to.equal('uninstalled')
    const update = await cli(['tenant', 'update', 'st-shared', '--modules', 'crm', '--json'])
    expect(update.code, update.stderr).to.equal(0)
    expect(update.json).to.include({restarted: host.prepare.service.unit})
    expect(update.json.installed).to.deep.equal(['crm'])
    expect(update.json.modules).to.deep.equal({crm: 'installed'})
    expect(update.json.steps.map((s: {name: string}) => s.name)).to.deep.equal(['modules', 'restart', 'health'])
    expect(await moduleState(tenants.shared.domain, 'crm')).to.equal('installed')
    const show = await cli(['tenant', 'show', 'st-shared', '--json'])
    expect(show.json.modules).to.include('crm')
    expect(show.json.operation).to.include({kind: 'update'})
    expect(show.json.steps.every((s: {state: string}) => s.state === 'done')).to.equal(true)
    // Upgrading an installed module goes through -u.
    const upgrade = await cli(['tenant', 'update', 'st-shared', '--modules', 'crm', '--json'])
    expect(upgrade.code, upgrade.stderr).to.equal(0)
    expect(upgrade.json.updated).to.deep.equal(['crm'])
    expect((await cli(['tenant', 'status', 'st-shared', '--json'])).code).to.equal(0)
  })

  it('tenant update on a dedicated tenant stops its unit, installs, starts it again; a bad module fails and leaves it running', async function () {
    this.timeout(TENANT_TIMEOUT_MS * 2)
    const update = await cli(['tenant', 'update', 'st-ded1', '--modules', 'crm', '--json'])
    expect(update.code, update.stderr).to.equal(0)
    expect(update.json.steps.map((s: {name: string; change: string}) => `${s.name}:${s.change}`)).to.deep.equal(['stop:changed', 'modules:changed', 'start:changed', 'health:unchanged'])
    expect(update.json.modules).to.deep.equal({crm: 'installed'})
    expect(update.json).to.not.have.property('restarted')
    expect(await moduleState('st-ded1', 'crm')).to.equal('installed')
    expect((await onHost('systemctl is-active odoops-st-ded1.service')).stdout.trim()).to.equal('active')

    // Odoo exits 0 on an unknown module name: odoops reads ir_module_module and fails.
    const bad = await cli(['tenant', 'update', 'st-ded1', '--modules', 'no_such_module', '--json'])
    expect(bad.code).to.equal(1)
    expect(bad.json.error.code).to.equal('ODOO_MODULES_NOT_INSTALLED')
    expect(bad.json.error.data.failedStep).to.equal('modules')
    expect(bad.json.error.message).to.contain('odoops-st-ded1.service was started again')
    const show = await cli(['tenant', 'show', 'st-ded1', '--json'])
    expect(show.json.operation).to.include({kind: 'update', failedStep: 'modules'})
    expect(show.json.state).to.equal('active')
    const status = await cli(['tenant', 'status', 'st-ded1', '--json'])
    expect(status.code, JSON.stringify(status.json)).to.equal(0)
  })
})

import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {listTenants, showTenant, stateGivenLocks} from '../../src/lib/tenants/listing.js'
import {ownService} from '../../src/lib/tenants/lifecycle.js'
import {judgeTenant, probesFor, summarizeStatus, tenantStatus} from '../../src/lib/tenants/status.js'
import {parseModules, splitInstallUpdate} from '../../src/lib/tenants/update.js'
import {isolatedEnv, runCli} from '../helpers/cli.js'

/**
 * The parts of tenant list/show/status/stop/start/update that need no host: views,
 * verdicts, counts and exit codes, on records written straight into a local store.
 * The same commands against real tenants are in status.test.ts.
 */

const GiB = 1024 ** 3

function tenant(id: string, extra: Partial<TenantRecord> = {}): TenantRecord {
  const dedicated = (extra.mode ?? 'dedicated') === 'dedicated'
  return {
    id,
    host: 'web1',
    mode: 'dedicated',
    domain: `${id}.erp.example.com`,
    series: '17.0',
    database: dedicated ? id : `${id}.erp.example.com`,
    state: 'active',
    modules: ['crm'],
    service: dedicated
      ? {unit: `odoops-${id}.service`, config: `/etc/odoops/tenants/${id}.conf`, dataDir: `/var/lib/odoops/tenants/${id}`, httpPort: 18069, geventPort: 18072, role: `odoops_${id}`, size: 'small'}
      : {unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', dataDir: '/var/lib/odoops/shared-17', httpPort: 8069, geventPort: 8072, role: 'odoops_shared_17'},
    ...extra,
  }
}

const active = {exists: true, active: 'active', enabled: 'enabled', mainPid: 42}
const inactive = {exists: true, active: 'inactive', enabled: 'enabled'}
const healthyHttp = {ok: true, status: 200, detail: 'pass'}
const allGood = {unit: active, http: healthyHttp, databaseBytes: 9_000_000, diskFreeBytes: 20 * GiB}

describe('tenant status: verdicts (pure)', () => {
  it('an active tenant with everything in order is healthy', () => {
    const h = judgeTenant(tenant('acme'), 'active', allGood)
    expect(h).to.include({slug: 'acme', verdict: 'healthy', healthy: true, databaseBytes: 9_000_000, diskFreeBytes: 20 * GiB})
    expect(h.problems).to.deep.equal([])
    expect(h.service).to.deep.equal({unit: 'odoops-acme.service', active: 'active', enabled: 'enabled'})
  })

  it('a unit stopped outside odoops makes an active tenant unhealthy, naming the unit and the failed health check', () => {
    const h = judgeTenant(tenant('acme'), 'active', {...allGood, unit: inactive, http: {ok: false, status: 502, detail: 'HTTP 502'}})
    expect(h.verdict).to.equal('unhealthy')
    expect(h.healthy).to.equal(false)
    expect(h.problems.join('\n')).to.contain('odoops-acme.service is inactive').and.contain('/web/health through nginx: HTTP 502')
  })

  it('a missing database, low disk and probe errors are problems', () => {
    const h = judgeTenant(tenant('acme'), 'active', {...allGood, databaseBytes: 0, diskFreeBytes: 100 * 1024 ** 2})
    expect(h.verdict).to.equal('unhealthy')
    expect(h.databaseBytes).to.equal(null)
    expect(h.problems.join('\n')).to.contain('database acme does not exist').and.contain('only 100 MiB free under /var/lib/odoops/tenants/acme')
    const e = judgeTenant(tenant('acme'), 'active', {...allGood, http: 'connect ECONNREFUSED', unit: 'ssh channel closed'})
    expect(e.problems.join('\n')).to.contain('ECONNREFUSED').and.contain('could not read the state of odoops-acme.service')
    expect(e.service).to.equal(null)
  })

  it('an unreachable host makes its tenants unhealthy', () => {
    const h = judgeTenant(tenant('acme'), 'active', {unreachable: 'connect ETIMEDOUT'})
    expect(h.verdict).to.equal('unhealthy')
    expect(h.problems).to.deep.equal(['host web1 unreachable: connect ETIMEDOUT'])
  })

  it('a tenant stopped on purpose is "stopped", not unhealthy; but recorded stopped with its unit running is', () => {
    const rec = tenant('acme', {state: 'stopped'})
    const stopped = judgeTenant(rec, 'stopped', {unit: {...inactive, enabled: 'disabled'}, databaseBytes: 1000, diskFreeBytes: 20 * GiB})
    expect(stopped).to.include({verdict: 'stopped', healthy: false})
    expect(stopped.problems).to.deep.equal([])
    const running = judgeTenant(rec, 'stopped', {unit: active, databaseBytes: 1000, diskFreeBytes: 20 * GiB})
    expect(running.verdict).to.equal('unhealthy')
    expect(running.problems[0]).to.contain('recorded as stopped but odoops-acme.service is active')
    expect(probesFor('stopped').http).to.equal(false)
  })

  it('failed and interrupted tenants are unhealthy with their step; running operations are busy and not probed', () => {
    const op = {kind: 'create' as const, startedAt: '2026-01-01T00:00:00Z', steps: [], failedStep: 'database', error: 'odoo -i failed'}
    const failed = judgeTenant(tenant('acme', {state: 'failed', operation: op}), 'failed', {})
    expect(failed.verdict).to.equal('unhealthy')
    expect(failed.problems[0]).to.equal('its create failed at step "database": odoo -i failed')
    const interrupted = judgeTenant(tenant('acme', {state: 'creating', operation: {...op, error: undefined}}), 'interrupted', {})
    expect(interrupted.problems[0]).to.contain('interrupted at step "database"')
    expect(judgeTenant(tenant('acme', {state: 'creating'}), 'creating', {}).verdict).to.equal('busy')
    for (const s of ['failed', 'interrupted', 'creating', 'removing'] as const) expect(Object.values(probesFor(s)).some(Boolean)).to.equal(false)
  })

  it('counts per verdict, tenants in slug order', () => {
    const report = summarizeStatus([
      judgeTenant(tenant('zeta'), 'active', allGood),
      judgeTenant(tenant('alpha'), 'active', {unreachable: 'x'}),
      judgeTenant(tenant('mid', {state: 'stopped'}), 'stopped', {unit: inactive, databaseBytes: 1, diskFreeBytes: 20 * GiB}),
      judgeTenant(tenant('beta', {state: 'creating'}), 'creating', {}),
    ])
    expect(report.tenants.map((t) => t.slug)).to.deep.equal(['alpha', 'beta', 'mid', 'zeta'])
    expect(report).to.include({healthy: 1, unhealthy: 1, stopped: 1, busy: 1})
  })
})

describe('tenant update / stop / start: input rules (pure)', () => {
  it('parses module lists and refuses bad names', () => {
    expect(parseModules(' crm, sale_management ,crm')).to.deep.equal(['crm', 'sale_management'])
    expect(parseModules('all')).to.deep.equal(['all'])
    for (const bad of ['', ' , ', 'crm;rm -rf /', 'Sale', 'all,crm']) {
      expect(() => parseModules(bad), bad).to.throw().with.property('exit', 2)
    }
  })

  it('installs what is not installed (-i) and upgrades what is (-u): Odoo -u skips uninstalled modules', () => {
    expect(splitInstallUpdate(['crm', 'sale', 'stock'], {crm: 'installed', sale: 'uninstalled'})).to.deep.equal({install: ['sale', 'stock'], update: ['crm']})
    expect(splitInstallUpdate(['all'], {})).to.deep.equal({install: [], update: ['all']})
  })

  it('a shared tenant has no service of its own to stop or start', () => {
    const shared = tenant('acme', {mode: 'shared'})
    expect(() => ownService(shared, 'stop'))
      .to.throw(/shared service odoops-shared-17\.service together with other tenants/)
      .with.property('code', 'TENANT_SHARED_NO_OWN_SERVICE')
    expect(ownService(tenant('bigco'), 'start').unit).to.equal('odoops-bigco.service')
  })
})

describe('tenant list / show / status on recorded tenants (no host)', () => {
  let dir: string
  let store: StateStore

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'odoops-tenant-views-'))
    store = await openStore(parseStateLocation(dir, tmpdir()))
    await store.tenants.insert(tenant('acme', {mode: 'shared', database: 'acme.erp.example.com', customer: 'Acme Trading'}))
    await store.tenants.insert(tenant('bigco', {host: 'web2', state: 'stopped'}))
    const op = {kind: 'create' as const, startedAt: '2026-01-01T00:00:00Z', steps: [{name: 'role', state: 'done', change: 'changed', durationMs: 120}, {name: 'database', state: 'failed', error: 'odoo -i failed'}], failedStep: 'database', error: 'step "database" failed'}
    await store.tenants.insert(tenant('broken', {state: 'failed', operation: op}))
    await store.tenants.insert(tenant('ghost', {state: 'creating', operation: {...op, failedStep: undefined, error: undefined}}))
    await store.tenants.insert(tenant('busy', {state: 'creating'}))
    const lock = await store.locks.acquire('tenant:busy', {owner: 'test', ttlMs: 600_000})
    expect(lock.acquired).to.equal(true)
  })

  after(async () => {
    await store?.close()
  })

  it('a creation nobody holds the lock of reads as interrupted', async () => {
    const locks = await store.locks.list()
    expect(stateGivenLocks({id: 'ghost', state: 'creating'}, locks)).to.equal('interrupted')
    expect(stateGivenLocks({id: 'busy', state: 'creating'}, locks)).to.equal('creating')
    expect(stateGivenLocks({id: 'acme', state: 'active'}, [])).to.equal('active')
  })

  it('lists in slug order, filters by host and effective state, and shows no secrets', async () => {
    const all = await listTenants(store)
    expect(all.map((t) => `${t.slug}:${t.state}`)).to.deep.equal(['acme:active', 'bigco:stopped', 'broken:failed', 'busy:creating', 'ghost:interrupted'])
    expect(all.find((t) => t.slug === 'ghost')!.recordedState).to.equal('creating')
    expect(all.find((t) => t.slug === 'broken')!.operation).to.include({kind: 'create', failedStep: 'database'})
    expect(all.find((t) => t.slug === 'bigco')!.service).to.include({unit: 'odoops-bigco.service', httpPort: 18069})
    expect((await listTenants(store, {host: 'web2'})).map((t) => t.slug)).to.deep.equal(['bigco'])
    expect((await listTenants(store, {state: 'interrupted'})).map((t) => t.slug)).to.deep.equal(['ghost'])
    expect(JSON.stringify(all)).to.not.match(/password|secret/i)
  })

  it('show gives the steps of the last operation', async () => {
    const detail = await showTenant(store, 'broken')
    expect(detail.steps).to.deep.equal([
      {name: 'role', state: 'done', change: 'changed', durationMs: 120},
      {name: 'database', state: 'failed', error: 'odoo -i failed'},
    ])
    let code: unknown
    await showTenant(store, 'nope').catch((error: {code: string}) => (code = error.code))
    expect(code).to.equal('TENANT_NOT_FOUND')
  })

  it('status does not contact hosts for tenants that are not active or stopped', async () => {
    const report = await tenantStatus({store, connect: async () => expect.fail('no host should be contacted')}, {slugs: ['broken', 'busy', 'ghost']})
    expect(report.tenants.map((t) => `${t.slug}:${t.verdict}`)).to.deep.equal(['broken:unhealthy', 'busy:busy', 'ghost:unhealthy'])
  })

  it('status connects once per host and reports an unreachable host on each of its tenants', async () => {
    const calls: string[] = []
    const report = await tenantStatus({store, connect: async (host) => (calls.push(host), Promise.reject(new Error(`cannot reach ${host}`)))})
    expect(calls.sort()).to.deep.equal(['web1', 'web2'])
    const acme = report.tenants.find((t) => t.slug === 'acme')!
    expect(acme.verdict).to.equal('unhealthy')
    expect(acme.problems).to.deep.equal(['host web1 unreachable: cannot reach web1'])
    expect(report.tenants).to.have.length(5)
  })

  describe('through the built CLI', () => {
    let env: Record<string, string>
    before(async () => {
      // The store of this suite is read by the CLI processes; release the test's own handle first.
      env = isolatedEnv({ODOOPS_STATE: dir})
    })

    it('tenant list --json and the table', async () => {
      const json = await runCli(['tenant', 'list', '--json'], {env})
      expect(json.code, json.stderr).to.equal(0)
      expect(json.json.tenants.map((t: {slug: string; state: string}) => `${t.slug}:${t.state}`)).to.include.members(['ghost:interrupted', 'acme:active'])
      const table = await runCli(['tenant', 'list', '--in-state', 'failed'], {env})
      expect(table.code, table.stderr).to.equal(0)
      expect(table.stdout).to.contain('broken').and.contain('failed (create: database)').and.not.contain('acme')
      const bad = await runCli(['tenant', 'list', '--in-state', 'sleeping', '--json'], {env})
      expect(bad.code).to.equal(2)
    })

    it('tenant show --json gives the steps; an unknown tenant exits 2', async () => {
      const shown = await runCli(['tenant', 'show', 'broken', '--json'], {env})
      expect(shown.code, shown.stderr).to.equal(0)
      expect(shown.json).to.include({slug: 'broken', state: 'failed'})
      expect(shown.json.steps.map((s: {name: string}) => s.name)).to.deep.equal(['role', 'database'])
      const missing = await runCli(['tenant', 'show', 'nope', '--json'], {env})
      expect(missing.code).to.equal(2)
      expect(missing.json.error.code).to.equal('TENANT_NOT_FOUND')
    })

    it('tenant status of a failed tenant exits 1 with the report as JSON; a selection is required', async () => {
      const status = await runCli(['tenant', 'status', 'broken', '--json'], {env})
      expect(status.code, status.stderr).to.equal(1)
      expect(status.json).to.include({healthy: 0, unhealthy: 1})
      expect(status.json.tenants[0]).to.include({slug: 'broken', healthy: false, verdict: 'unhealthy'})
      const human = await runCli(['tenant', 'status', 'broken'], {env})
      expect(human.code).to.equal(1)
      expect(human.stderr).to.contain('Problem: broken: its create failed at step "database"')
      expect((await runCli(['tenant', 'status', '--json'], {env})).code).to.equal(2)
      expect((await runCli(['tenant', 'status', 'broken', '--all', '--json'], {env})).code).to.equal(2)
    })

    it('tenant stop/start refuse a shared tenant (exit 2) and a failed one, without contacting its host', async () => {
      const shared = await runCli(['tenant', 'stop', 'acme', '--json'], {env})
      expect(shared.code).to.equal(2)
      expect(shared.json.error.code).to.equal('TENANT_SHARED_NO_OWN_SERVICE')
      expect(shared.json.error.suggestions.join('\n')).to.contain('systemctl stop odoops-shared-17.service')
      const failed = await runCli(['tenant', 'start', 'broken', '--json'], {env})
      expect(failed.code).to.equal(2)
      expect(failed.json.error.code).to.equal('TENANT_NOT_SETTLED')
      const update = await runCli(['tenant', 'update', 'broken', '--modules', 'crm;x', '--json'], {env})
      expect(update.code).to.equal(2)
      expect(update.json.error.code).to.equal('TENANT_MODULE_INVALID')
    })
  })
})

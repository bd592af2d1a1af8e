import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import nock from 'nock'
import {PackCheckRegistry, type RegisteredPackCheck} from '../../src/lib/fleet/check-registry.js'
import type {TenantOdooOpener} from '../../src/lib/fleet/pack-checks.js'
import {fleetStatus, type FleetStatusReport, type FleetTenantRow} from '../../src/lib/fleet/status.js'
import {discoverPacks} from '../../src/lib/plugins/discover.js'
import {loadPack} from '../../src/lib/plugins/load.js'
import type {PackOdoo} from '../../src/lib/plugins/api.js'
import {scheduleNotifier} from '../../src/lib/schedule/invocation.js'
import {runJob} from '../../src/lib/schedule/run-job.js'
import type {JobSpec, ScheduleFile} from '../../src/lib/schedule/types.js'
import {openStore} from '../../src/lib/state/open.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {wholesaleDescriptor} from '../plugins/helpers.js'
import {scriptedHost} from './scripted-host.js'

/**
 * The packs' fleet checks run by `fleet status` and by the schedule's `status` jobs, through the
 * wholesale pack's own checks (loaded from its package.json, as odoops loads them) on an Odoo
 * double: no host, no sandbox. The host is a scripted connection (its unit active, disk and
 * database sizes read; nginx unreachable, so every tenant keeps one health-failed deduction
 * whatever the checks say); the admin session is the double. What `--json` prints is this
 * report (FleetStatusReport).
 */

interface OdooState {
  modules?: Record<string, string>
  pricelists?: boolean
  scope?: string | false
  /** Models whose calls throw (an Odoo fault), or never answer. */
  throws?: string[]
  hangs?: string[]
}

/** An admin session answering like a wholesale tenant's Odoo, per tenant slug. */
function odooDouble(states: Record<string, OdooState>, opened: string[] = []): TenantOdooOpener {
  return async (tenant, fn) => {
    opened.push(tenant.id)
    const s = states[tenant.id] ?? {}
    const odoo = {
      db: tenant.database,
      uid: 2,
      async call(model: string, method: string) {
        if (s.throws?.includes(model)) throw new Error(`Odoo fault: AccessError on ${model}.${method}`)
        if (s.hangs?.includes(model)) return new Promise(() => {})
        if (model === 'ir.module.module') return ['sale_management', 'purchase', 'stock', 'account', 'portal'].map((name) => ({name, state: s.modules?.[name] ?? 'installed'}))
        if (model === 'ir.model.data') return [{module: 'base', name: 'group_user', res_id: 1}, {module: 'product', name: 'group_product_pricelist', res_id: 42}]
        if (model === 'res.groups') return [{implied_ids: s.pricelists === false ? [7] : [7, 42]}]
        if (model === 'product.pricelist') return 2
        if (model === 'ir.config_parameter') return s.scope ?? 'b2b'
        throw new Error(`unexpected ${model}.${method}`)
      },
    } as PackOdoo
    return fn(odoo)
  }
}

const NOW = new Date('2026-03-10T12:00:00.000Z')

const tenant = (id: string, extra: Partial<TenantRecord> = {}): TenantRecord => ({
  id,
  host: 'web1',
  mode: 'shared',
  domain: `${id}.erp.example`,
  series: '17.0',
  database: `${id}.erp.example`,
  state: 'active',
  service: {unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', dataDir: '/var/lib/odoops/shared-17', httpPort: 8069, geventPort: 8072, role: 'odoops_shared_17'},
  ...extra,
})

const packDeductions = (row: FleetTenantRow) => row.deductions.filter((d) => d.code.startsWith('pack-'))
const rowOf = (report: FleetStatusReport, slug: string) => report.tenants.find((t) => t.tenant === slug)!

describe('pack fleet checks in fleet status and the schedule (wholesale pack, Odoo double)', function () {
  this.timeout(30_000)
  let store: StateStore
  let wholesale: RegisteredPackCheck[]
  const rpo = {defaultHours: 24, byPlan: {}}

  before(async () => {
    const registry = new PackCheckRegistry()
    const pack = await loadPack(discoverPacks([wholesaleDescriptor()])[0], ['checks'], registry)
    expect(pack.problems).to.deep.equal([])
    wholesale = registry.list()
    store = await openStore({backend: 'local', dir: mkdtempSync(join(tmpdir(), 'odoops-packchecks-'))})
    // acme and beta were onboarded with the wholesale template, plain was created without one, idle is stopped.
    for (const t of [tenant('acme'), tenant('beta'), tenant('plain'), tenant('idle', {state: 'stopped'})]) await store.tenants.put(t)
    for (const slug of ['acme', 'beta', 'idle']) {
      await store.onboardingRuns.insert({id: `run-${slug}`, template: 'wholesale/wholesale', templateVersion: 1, state: 'done', customer: slug, startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:05:00.000Z'})
    }
    // A fresh verified backup each: no backup deduction either.
    for (const slug of ['acme', 'beta', 'plain', 'idle']) {
      await store.backups.put({id: `${slug}-b1`, tenant: slug, target: 'default', status: 'complete', startedAt: '2026-03-10T02:00:00.000Z', verification: {status: 'verified', at: '2026-03-10T04:00:00.000Z'}})
    }
  })
  after(async () => store.close())

  const status = (states: Record<string, OdooState>, checks: readonly RegisteredPackCheck[] = wholesale, opened?: string[]) =>
    fleetStatus({store, rpo, now: () => NOW, connect: scriptedHost, packChecks: {checks, odoo: odooDouble(states, opened)}})

  it('--json: the checks ran are listed, and each tenant they concern has its results named per pack', async () => {
    const opened: string[] = []
    const report = JSON.parse(JSON.stringify(await status({}, wholesale, opened))) as FleetStatusReport
    expect(report.packChecks.map((c) => [c.name, c.pack, c.severity, c.templates])).to.deep.equal([
      ['wholesale/modules', '@odoops/wholesale', 'warning', ['wholesale/*']],
      ['wholesale/pricelists', '@odoops/wholesale', 'warning', ['wholesale/*']],
      ['wholesale/b2b-portal', '@odoops/wholesale', 'warning', ['wholesale/*']],
    ])
    const acme = rowOf(report, 'acme')
    expect(acme.packChecks.map((c) => [c.name, c.pack, c.status, c.detail])).to.deep.equal([
      ['wholesale/modules', '@odoops/wholesale', 'ok', '5 modules installed'],
      ['wholesale/pricelists', '@odoops/wholesale', 'ok', 'pricelists on, 2 active'],
      ['wholesale/b2b-portal', '@odoops/wholesale', 'ok', 'sign-up on invitation only'],
    ])
    expect(packDeductions(acme)).to.deep.equal([])
    // Only nginx is missing on this host; the checks reach the service on its loopback port anyway.
    expect(acme.deductions.map((d) => d.code)).to.deep.equal(['health-failed'])
    expect(acme.score).to.equal(70)
    // Not a wholesale tenant: not its checks. Stopped on purpose: not run, and no points lost for it.
    expect(rowOf(report, 'plain').packChecks).to.deep.equal([])
    expect(rowOf(report, 'idle').packChecks.map((c) => [c.name, c.status, c.detail])).to.deep.equal(
      ['wholesale/modules', 'wholesale/pricelists', 'wholesale/b2b-portal'].map((name) => [name, 'not-run', 'the tenant is stopped']),
    )
    expect(packDeductions(rowOf(report, 'idle'))).to.deep.equal([])
    expect(opened.sort()).to.deep.equal(['acme', 'beta'])
  })

  it('a failing check lowers the score and status with a reason naming the check and its pack', async () => {
    const report = await status({acme: {modules: {purchase: 'uninstalled'}, scope: 'b2c'}})
    const acme = rowOf(report, 'acme')
    expect(acme.packChecks.map((c) => [c.name, c.status])).to.deep.equal([
      ['wholesale/modules', 'failed'],
      ['wholesale/pricelists', 'ok'],
      ['wholesale/b2b-portal', 'failed'],
    ])
    expect(packDeductions(acme).map((d) => [d.code, d.points, d.breach])).to.deep.equal([
      ['pack-check-warning', 5, false],
      ['pack-check-warning', 5, false],
    ])
    expect(packDeductions(acme)[0].reason).to.equal('check wholesale/modules of pack @odoops/wholesale failed: not installed: purchase (uninstalled)')
    expect(packDeductions(acme)[1].reason).to.match(/^check wholesale\/b2b-portal of pack @odoops\/wholesale failed: free sign-up is on/)
    expect(acme.score).to.equal(70 - 10)
    // beta is fine: one tenant's failures stay its own.
    expect(packDeductions(rowOf(report, 'beta'))).to.deep.equal([])
  })

  it('a check that throws or hangs is its pack\'s failure, named; the others still answer and status completes', async () => {
    const fast = wholesale.map((c) => ({...c, timeoutMs: 300}))
    const started = Date.now()
    const report = await status({acme: {throws: ['ir.config_parameter'], hangs: ['ir.module.module']}}, fast)
    expect(Date.now() - started).to.be.below(5000)
    const acme = rowOf(report, 'acme')
    expect(acme.packChecks.map((c) => [c.name, c.status, c.detail])).to.deep.equal([
      ['wholesale/modules', 'error', 'no answer within 0.3 s'],
      ['wholesale/pricelists', 'ok', 'pricelists on, 2 active'],
      ['wholesale/b2b-portal', 'error', 'Odoo fault: AccessError on ir.config_parameter.get_param'],
    ])
    expect(packDeductions(acme).map((d) => [d.code, d.reason])).to.deep.equal([
      ['pack-check-error', 'check wholesale/modules of pack @odoops/wholesale could not run: no answer within 0.3 s'],
      ['pack-check-error', 'check wholesale/b2b-portal of pack @odoops/wholesale could not run: Odoo fault: AccessError on ir.config_parameter.get_param'],
    ])
    expect(packDeductions(rowOf(report, 'beta'))).to.deep.equal([])
  })

  it('a check that throws synchronously or answers nonsense is an error of its pack; severity breach makes a breach', async () => {
    const registry = new PackCheckRegistry()
    const pack = {name: 'odoops-pack-demo', namespace: 'demo', root: '/p/demo'}
    registry.register(pack, {name: 'sync-throw', description: 'x', templates: ['*'], check: () => { throw new Error('bug in the pack') }})
    registry.register(pack, {name: 'nonsense', description: 'x', templates: ['*'], check: async () => 'yes' as never})
    registry.register(pack, {name: 'strict', description: 'x', templates: ['*'], severity: 'breach', check: async ({tenant}) => ({ok: tenant.slug !== 'plain', detail: `looked at ${tenant.slug}`})})
    const report = await status({}, registry.list())
    const plain = rowOf(report, 'plain')
    expect(plain.packChecks.map((c) => [c.name, c.pack, c.status, c.detail])).to.deep.equal([
      ['demo/sync-throw', 'odoops-pack-demo', 'error', 'bug in the pack'],
      ['demo/nonsense', 'odoops-pack-demo', 'error', 'it returned no {ok, detail} outcome'],
      ['demo/strict', 'odoops-pack-demo', 'failed', 'looked at plain'],
    ])
    expect(packDeductions(plain).map((d) => [d.code, d.breach])).to.deep.equal([
      ['pack-check-error', false],
      ['pack-check-error', false],
      ['pack-check-failed', true],
    ])
    expect(plain.status).to.equal('breach')
    expect(rowOf(report, 'acme').packChecks.find((c) => c.name === 'demo/strict')?.status).to.equal('ok')
  })

  it('no admin session: the checks are not run, one deduction says why; no vault, no session', async () => {
    const refused: TenantOdooOpener = async () => {
      throw new Error('TENANT_ADMIN_PASSWORD_MISSING: The admin password of acme is not in the state store.')
    }
    const report = await fleetStatus({store, rpo, now: () => NOW, connect: scriptedHost, packChecks: {checks: wholesale, odoo: refused}})
    const acme = rowOf(report, 'acme')
    expect(acme.packChecks.every((c) => c.status === 'not-run' && c.detail.startsWith('could not log into its Odoo as admin: TENANT_ADMIN_PASSWORD_MISSING'))).to.equal(true)
    expect(packDeductions(acme).map((d) => [d.code, d.reason])).to.deep.equal([
      ['pack-checks-not-run', 'pack checks wholesale/modules, wholesale/pricelists, wholesale/b2b-portal not run: could not log into its Odoo as admin: TENANT_ADMIN_PASSWORD_MISSING: The admin password of acme is not in the state store.'],
    ])
    // The default session reads the vault: without a secret key it says so instead of failing the command.
    const noBox = await fleetStatus({store, rpo, now: () => NOW, connect: scriptedHost, packChecks: {checks: wholesale}})
    expect(rowOf(noBox, 'acme').packChecks[0].detail).to.include("odoops' secret key is needed")
  })

  it('an unreachable host: its tenants\' checks are not run, and only host-unreachable is deducted', async () => {
    const report = await fleetStatus({
      store,
      rpo,
      now: () => NOW,
      connect: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.1:22')
      },
      packChecks: {checks: wholesale, odoo: odooDouble({})},
    })
    const acme = rowOf(report, 'acme')
    expect(acme.packChecks.map((c) => c.status)).to.deep.equal(['not-run', 'not-run', 'not-run'])
    expect(acme.packChecks[0].detail).to.equal('host web1 unreachable')
    expect(packDeductions(acme)).to.deep.equal([])
  })

  describe('schedule status jobs', () => {
    const HOOK = 'http://hooks.example.test'
    const job = (options: JobSpec['options'] = {}): JobSpec => ({id: 'nightly-status', kind: 'status', cron: '0 7 * * *', select: {tenants: ['acme']}, options, notify: {failures: ['hook']}})
    const schedule = (j: JobSpec): ScheduleFile => ({version: 1, channels: {hook: {type: 'webhook', url: `${HOOK}/odoops`}}, jobs: [j]})
    let slot = 0
    const run = async (j: JobSpec, odoo: TenantOdooOpener) => {
      const emit = () => {}
      const result = await runJob({store, dataDir: '/nonexistent', setting: () => undefined, packChecks: wholesale, tenantOdoo: odoo}, j, {
        // A new slot per run: a (job, tenant, slot) is run once.
        slot: `2026-03-0${++slot}T07:00Z`,
        signal: new AbortController().signal,
        emit,
        notifier: scheduleNotifier({schedule: schedule(j), source: 'file', location: 'test'}, {store}, emit, {attempts: 1, baseDelayMs: 10, maxDelayMs: 10}),
        via: 'test',
      })
      return result
    }
    afterEach(() => nock.cleanAll())

    it('run the pack checks of the tenant; passing ones are in the unit detail, nothing is sent', async () => {
      const result = await run(job(), odooDouble({}))
      expect(result.units.map((u) => [u.unit, u.status])).to.deep.equal([['acme', 'ok']])
      const checks = (result.units[0].detail as {packChecks: {name: string; status: string}[]}).packChecks
      expect(checks.map((c) => [c.name, c.status])).to.deep.equal([
        ['wholesale/modules', 'ok'],
        ['wholesale/pricelists', 'ok'],
        ['wholesale/b2b-portal', 'ok'],
      ])
    })

    it('a failing or throwing check fails the unit and reaches the failure channel, naming the check and its pack', async () => {
      const bodies: Record<string, any>[] = []
      const scope = nock(HOOK)
        .post('/odoops', (body) => (bodies.push(body), true))
        .reply(200, 'ok')
      const result = await run(job(), odooDouble({acme: {pricelists: false, throws: ['ir.config_parameter']}}))
      expect(result.units.map((u) => [u.unit, u.status, u.error?.code])).to.deep.equal([['acme', 'failed', 'PACK_CHECK_FAILED']])
      expect(scope.isDone()).to.equal(true)
      expect(bodies).to.have.length(1)
      expect(bodies[0]).to.include({type: 'failure', job: 'nightly-status', kind: 'status', tenant: 'acme'})
      expect(bodies[0].error.code).to.equal('PACK_CHECK_FAILED')
      expect(bodies[0].error.message).to.include('check wholesale/pricelists of pack @odoops/wholesale failed: pricelists are turned off')
      expect(bodies[0].error.message).to.include('check wholesale/b2b-portal of pack @odoops/wholesale could not run: Odoo fault: AccessError')
      // The audit trail keeps each result.
      const [event] = (await store.audit.list({command: 'schedule:job'})).filter((e) => e.details?.run === result.run)
      expect((event.details?.result as {packChecks: {name: string; status: string}[]}).packChecks.map((c) => c.status)).to.deep.equal(['ok', 'failed', 'error'])
    })

    it('packChecks: false keeps the job on the records alone (no session opened)', async () => {
      const opened: string[] = []
      const result = await run(job({packChecks: false}), odooDouble({acme: {scope: 'b2c'}}, opened))
      expect(result.units.map((u) => u.status)).to.deep.equal(['ok'])
      expect(opened).to.deep.equal([])
    })
  })
})

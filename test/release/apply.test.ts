import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {applyRelease, releaseHostLockKey} from '../../src/lib/release/apply.js'
import {compareDebianVersions} from '../../src/lib/release/debian-version.js'
import {parseWindow, windowLeftMs} from '../../src/lib/release/window.js'
import type {ReleaseEnv} from '../../src/lib/release/ops.js'
import {getRelease, type Release, type ReleaseTenantPlan} from '../../src/lib/release/record.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {lockOwner} from '../../src/lib/tenants/lock.js'
import {FakeReleaseOps, fakeFleet} from './fake-release-ops.js'

const FROM = '17.0.20261101'
const TO = '17.0.20261120'

function tenant(slug: string, mode: 'shared' | 'dedicated', serving = true): ReleaseTenantPlan {
  return {slug, mode, database: slug, unit: mode === 'shared' ? 'odoo-17.service' : `odoo-t-${slug}.service`, config: `/etc/odoops/${slug}.conf`, role: slug, dataDir: '/var/lib/odoops/data', serving, modules: ['base'], changed: {base: ['17.0.1.3', '17.0.1.3.1']}}
}

function release(): Release {
  return {
    id: 'rel-1',
    series: '17.0',
    state: 'planned',
    hosts: [
      {host: 'h1', from: FROM, to: TO, sharedUnit: 'odoo-17.service', tenants: [tenant('a1', 'shared'), tenant('a2', 'shared'), tenant('d1', 'dedicated')]},
      {host: 'h2', from: FROM, to: TO, sharedUnit: 'odoo-17.service', tenants: [tenant('b1', 'shared'), tenant('e1', 'dedicated')]},
    ],
  }
}

describe('release apply (hosts in memory)', () => {
  let store: StateStore
  let ops: FakeReleaseOps
  let env: ReleaseEnv
  const tenants = ['a1', 'a2', 'd1', 'b1', 'e1']

  beforeEach(async () => {
    const base = mkdtempSync(join(tmpdir(), 'odoops-release-'))
    store = await openStore(parseStateLocation(undefined, join(base, 'data')))
    ops = fakeFleet(FROM, ['h1', 'h2'], tenants, {dedicatedUnits: ['h1:odoo-t-d1.service', 'h2:odoo-t-e1.service']})
    env = {store, box: {} as SecretBox, dataDir: base, ops}
    await store.releases.insert(release())
  })

  afterEach(async () => {
    await store.close()
  })

  it('applies host by host: backups first, one shared stop, -u per database, dedicated one at a time, checks and downtime recorded', async () => {
    const report = await applyRelease(env, 'rel-1')
    expect(report.release.state).to.equal('applied')
    expect(report.hosts.map((h) => h.outcome)).to.deep.equal(['applied', 'applied'])
    for (const slug of tenants) expect(ops.data[slug]).to.equal(`${slug}-data+${TO}`)
    expect(ops.installed).to.deep.equal({h1: TO, h2: TO})
    expect(ops.recorded).to.deep.equal({h1: TO, h2: TO})
    const h1 = ops.log.filter((l) => !l.startsWith('h2') && !['backup b1', 'backup e1'].includes(l))
    expect(h1).to.deep.equal([
      'backup a1',
      'backup a2',
      'backup d1',
      'h1: stop odoo-17.service',
      'h1: install 17.0.20261120',
      'h1: -u a1',
      'h1: -u a2',
      'h1: start odoo-17.service',
      'h1: stop odoo-t-d1.service',
      'h1: -u d1',
      'h1: start odoo-t-d1.service',
    ])
    // Host 2 starts only once host 1 is done.
    expect(ops.log.indexOf('backup b1')).to.be.greaterThan(ops.log.indexOf('h1: start odoo-t-d1.service'))
    const saved = await getRelease(store, 'rel-1')
    for (const t of report.hosts[0].tenants) {
      expect(t.downtimeMs, t.slug).to.be.a('number')
      expect(t.check?.ok).to.equal(true)
      expect(saved.apply!.hosts.h1.tenants[t.slug].backup).to.match(/-b\d+$/)
    }
    expect(saved.apply!.hosts.h1.phase).to.equal('done')
  })

  it('a failed -u rolls its host back by itself: old build, every touched database restored, services started, checks again; the rollout stops', async () => {
    ops.failUpgrade.add('a2')
    const error = await applyRelease(env, 'rel-1').then(
      () => undefined,
      (e: unknown) => e as {code: string; message: string; data?: {notReached?: string[]}},
    )
    expect(error?.code).to.equal('RELEASE_HOST_ROLLED_BACK')
    expect(error?.message).to.contain('a2').and.contain('KeyError')
    // The hosts after it, not h1 itself.
    expect(error?.message).to.match(/\nNot reached: h2\.$/)
    expect(error?.data?.notReached).to.deep.equal(['h2'])
    expect(ops.installed.h1).to.equal(FROM)
    // a1 (upgraded) and a2 (half upgraded) are back to their safety backups; d1 was never touched.
    for (const slug of ['a1', 'a2', 'd1']) expect(ops.data[slug]).to.equal(`${slug}-data`)
    expect(ops.log).to.include.members(['h1: restore a1 from a1-b1', 'h1: restore a2 from a2-b2'])
    expect(ops.log.some((l) => l.includes('restore d1'))).to.equal(false)
    expect(ops.active.has('h1:odoo-17.service') && ops.active.has('h1:odoo-t-d1.service')).to.equal(true)
    // h2 not reached.
    expect(ops.installed.h2).to.equal(FROM)
    expect(ops.log.some((l) => l.startsWith('h2') || l === 'backup b1')).to.equal(false)
    const saved = await getRelease(store, 'rel-1')
    expect(saved.state).to.equal('failed')
    expect(saved.apply!.hosts.h1.phase).to.equal('rolled-back')
    expect(Object.keys(saved.apply!.hosts.h1.rollback!.checks).sort()).to.deep.equal(['a1', 'a2', 'd1'])
    // A failed release is not applied again.
    const again = await applyRelease(env, 'rel-1').catch((e: {code: string}) => e)
    expect((again as {code: string}).code).to.equal('RELEASE_FAILED')
  })

  it('an unhealthy dedicated tenant after its -u rolls back the whole host, shared tenants included', async () => {
    ops.failCheck.add('d1')
    await applyRelease(env, 'rel-1').catch(() => {})
    ops.failCheck.clear()
    expect(ops.installed.h1).to.equal(FROM)
    for (const slug of ['a1', 'a2', 'd1']) expect(ops.data[slug]).to.equal(`${slug}-data`)
  })

  it('an update that changes how many rows a customer table holds is a failure: the host rolls back', async () => {
    ops.dropRows.add('d1')
    const error = await applyRelease(env, 'rel-1').catch((e: {code: string; message: string}) => e)
    expect((error as {message: string}).message).to.contain('res_partner 3 → 2')
    expect(ops.installed.h1).to.equal(FROM)
    expect(ops.data.d1).to.equal('d1-data')
  })

  it('a rollback that leaves a problem keeps the release resumable: --resume rolls back again and does not re-apply', async () => {
    ops.failUpgrade.add('a2')
    ops.failCheck.add('a1')
    const first = await applyRelease(env, 'rel-1').catch((e: {code: string}) => e)
    expect((first as {code: string}).code).to.equal('RELEASE_ROLLBACK_INCOMPLETE')
    let saved = await getRelease(store, 'rel-1')
    expect([saved.state, saved.apply!.hosts.h1.phase]).to.deep.equal(['applying', 'rolling-back'])
    ops.failCheck.clear()
    ops.failUpgrade.clear()
    const resumed = await applyRelease(env, 'rel-1', {resume: true}).catch((e: {code: string}) => e)
    expect((resumed as {code: string}).code).to.equal('RELEASE_HOST_ROLLED_BACK')
    saved = await getRelease(store, 'rel-1')
    expect([saved.state, saved.apply!.hosts.h1.phase]).to.deep.equal(['failed', 'rolled-back'])
    expect(ops.installed).to.deep.equal({h1: FROM, h2: FROM})
    for (const slug of ['a1', 'a2', 'd1']) expect(ops.data[slug]).to.equal(`${slug}-data`)
  })

  it('a template smoke check that fails on the new build rolls the host back; passing ones are recorded per tenant', async () => {
    const checks = [{read: 'sale.order'}, {report: 'sale.report_saleorder'}, {count: 'sale.order'}]
    await store.releases.update('rel-1', (r) => {
      const planned = r as Release
      return {...planned, hosts: planned.hosts.map((h) => ({...h, tenants: h.tenants.map((t) => (['a1', 'd1'].includes(t.slug) ? {...t, checks, template: 'retail'} : t))}))}
    })
    ops.failSmoke.add('d1')
    const error = await applyRelease(env, 'rel-1').catch((e: {code: string; message: string}) => e)
    expect((error as {code: string}).code).to.equal('RELEASE_HOST_ROLLED_BACK')
    expect((error as {message: string}).message).to.contain("d1 fails its template's smoke checks on the new build: read sale.order: KeyError: sale.order; report sale.report_saleorder: KeyError")
    const saved = await getRelease(store, 'rel-1')
    expect(saved.apply!.hosts.h1.tenants.a1.smoke).to.deep.equal([
      {check: 'read sale.order', ok: true, detail: 'rendered'},
      {check: 'report sale.report_saleorder', ok: true, detail: 'rendered'},
    ])
    expect(saved.apply!.hosts.h1.tenants.d1.smoke!.every((r) => !r.ok)).to.equal(true)
    expect(ops.log).to.include.members(['h1: smoke a1', 'h1: smoke d1'])
    expect(ops.installed.h1).to.equal(FROM)
    for (const slug of ['a1', 'a2', 'd1']) expect(ops.data[slug]).to.equal(`${slug}-data`)
  })

  it('runs the shared databases\' -u side by side on a host with 2 CPUs; one that fails lets the other finish, then the host rolls back', async () => {
    await store.hosts.insert({id: 'h1', address: '192.0.2.1', port: 22, user: 'root', facts: {cpus: 2}})
    const report = await applyRelease(env, 'rel-1', {canary: 1})
    expect(report.hosts[0].outcome).to.equal('applied')
    expect(ops.mostRunning).to.equal(2)

    // The next release on the same host: a1's -u fails while a2's runs.
    ops.mostRunning = 0
    await store.releases.insert({...release(), id: 'rel-2', hosts: [{...release().hosts[0], from: TO, to: FROM}]})
    ops.failUpgrade.add('a1')
    ops.log = []
    const error = await applyRelease(env, 'rel-2').catch((e: {code: string}) => e)
    expect((error as {code: string}).code).to.equal('RELEASE_HOST_ROLLED_BACK')
    expect(ops.mostRunning).to.equal(2)
    const saved = await getRelease(store, 'rel-2')
    expect([saved.apply!.hosts.h1.tenants.a1.upgrade, saved.apply!.hosts.h1.tenants.a2.upgrade]).to.deep.equal(['failed', 'done'])
    // Both restored from their safety backups; the dedicated tenant was never reached.
    expect(ops.log.filter((l) => l.includes('restore')).map((l) => l.replace(/ from .*/, ''))).to.have.members(['h1: restore a1', 'h1: restore a2'])
    for (const slug of ['a1', 'a2']) expect(ops.data[slug]).to.equal(`${slug}-data+${TO}`)
    expect(ops.log).to.not.include('h1: -u d1')
  })

  it('a safety backup that fails changes nothing on the host', async () => {
    ops.failBackup.add('d1')
    await applyRelease(env, 'rel-1').catch(() => {})
    expect(ops.installed.h1).to.equal(FROM)
    expect(ops.log.filter((l) => l.startsWith('h1'))).to.deep.equal([])
    expect((await getRelease(store, 'rel-1')).apply!.hosts.h1.phase).to.equal('rolled-back')
  })

  it('killed between two tenants\' -u: --resume rolls the host back to its start, then applies it again', async () => {
    ops.hangUpgrade.add('a2')
    void applyRelease(env, 'rel-1')
    // Wait until a1 is upgraded and a2's -u runs, then "kill": the lock is left behind by a dead run.
    for (let i = 0; i < 200 && (await getRelease(store, 'rel-1')).apply?.hosts.h1.tenants.a2?.upgrade !== 'started'; i++) await new Promise((r) => setTimeout(r, 10))
    expect(ops.installed.h1).to.equal(TO)
    expect(ops.data.a1).to.equal(`a1-data+${TO}`)
    await store.locks.release(releaseHostLockKey('h1'), lockOwner('release apply rel-1'))
    const refused = await applyRelease(env, 'rel-1').catch((e: {code: string}) => e)
    expect((refused as {code: string}).code).to.equal('RELEASE_INTERRUPTED')

    ops.hangUpgrade.clear()
    ops.log = []
    const report = await applyRelease(env, 'rel-1', {resume: true})
    expect(report.release.state).to.equal('applied')
    // The rollback came first: old build, a1 and a2 restored from their backups; then the update again.
    expect(ops.log.slice(0, 6)).to.deep.equal(['h1: settle a1', 'h1: settle a2', 'h1: stop odoo-17.service', 'h1: install 17.0.20261101', 'h1: restore a1 from a1-b1', 'h1: restore a2 from a2-b2'])
    expect(ops.log.filter((l) => l === 'backup a1')).to.deep.equal([])
    for (const slug of tenants) expect(ops.data[slug]).to.equal(`${slug}-data+${TO}`)
  })

  it('--canary 1 updates the first host only; the next run goes on with the rest', async () => {
    const first = await applyRelease(env, 'rel-1', {canary: 1})
    expect(first.hosts.map((h) => h.host)).to.deep.equal(['h1'])
    expect(first.remaining).to.deep.equal(['h2'])
    expect(first.release.state).to.equal('applying')
    expect(ops.installed).to.deep.equal({h1: TO, h2: FROM})
    const rest = await applyRelease(env, 'rel-1')
    expect(rest.hosts.map((h) => h.host)).to.deep.equal(['h2'])
    expect(rest.release.state).to.equal('applied')
  })

  it('a host with a tenant that failed rehearsal is left out unless --include-failed', async () => {
    await store.releases.update('rel-1', (r) => ({...r, state: 'rehearsed', rehearsal: {at: new Date().toISOString(), tenants: {b1: {ok: false, host: 'h2', error: 'boom'}, a1: {ok: true, host: 'h1'}}}}))
    const report = await applyRelease(env, 'rel-1')
    expect(report.hosts.map((h) => [h.host, h.outcome])).to.deep.equal([
      ['h1', 'applied'],
      ['h2', 'skipped'],
    ])
    expect(ops.installed.h2).to.equal(FROM)
    expect(report.release.state).to.equal('applying')
    expect(report.remaining).to.deep.equal(['h2'])
    const forced = await applyRelease(env, 'rel-1', {includeFailed: true})
    expect(forced.hosts.map((h) => [h.host, h.outcome])).to.deep.equal([['h2', 'applied']])
    expect(forced.release.state).to.equal('applied')
  })

  it('a stopped tenant is upgraded and left stopped, and not checked', async () => {
    const [h1] = release().hosts
    await store.releases.update('rel-1', (r) => ({...r, hosts: [{...h1, tenants: [tenant('a1', 'shared'), tenant('d1', 'dedicated', false)]}]}))
    ops.active.delete('h1:odoo-t-d1.service')
    await applyRelease(env, 'rel-1')
    expect(ops.data.d1).to.equal(`d1-data+${TO}`)
    expect(ops.active.has('h1:odoo-t-d1.service')).to.equal(false)
  })
})

describe('release apply --window', () => {
  let store: StateStore
  let ops: FakeReleaseOps
  let env: ReleaseEnv

  beforeEach(async () => {
    const base = mkdtempSync(join(tmpdir(), 'odoops-release-window-'))
    store = await openStore(parseStateLocation(undefined, join(base, 'data')))
    ops = new FakeReleaseOps()
    for (const host of ['h1', 'h2']) ops.installed[host] = FROM
    for (const slug of ['a1', 'a2', 'd1', 'b1', 'e1']) ops.data[slug] = slug
    env = {store, box: {} as SecretBox, dataDir: base, ops}
    const planned = release()
    // h1 needs 20 min (shared window 10 + d1 10), h2 needs 50 min.
    for (const t of planned.hosts[0].tenants) t.estimatedDowntimeMs = 10 * 60_000
    planned.hosts[1].tenants[0].estimatedDowntimeMs = 10 * 60_000
    planned.hosts[1].tenants[1].estimatedDowntimeMs = 40 * 60_000
    await store.releases.insert(planned)
  })

  afterEach(async () => {
    await store.close()
  })

  const at = (hhmm: string) => () => new Date(`2026-12-05T${hhmm}:00`)

  it('parses daily windows, across midnight too, and refuses others', () => {
    expect(windowLeftMs(parseWindow('02:00-05:00'), new Date('2026-12-05T04:30:00'))).to.equal(30 * 60_000)
    expect(windowLeftMs(parseWindow('02:00-05:00'), new Date('2026-12-05T05:00:00'))).to.equal(0)
    expect(windowLeftMs(parseWindow('22:00-02:00'), new Date('2026-12-05T23:00:00'))).to.equal(3 * 3_600_000)
    expect(windowLeftMs(parseWindow('22:00-02:00'), new Date('2026-12-05T01:00:00'))).to.equal(3_600_000)
    expect(windowLeftMs(parseWindow('22:00-02:00'), new Date('2026-12-05T12:00:00'))).to.equal(0)
    for (const bad of ['2-5', '02:00-02:00', '24:00-01:00', '02:00 05:00']) expect(() => parseWindow(bad), bad).to.throw().with.property('code', 'RELEASE_WINDOW_INVALID')
  })

  it('outside the window nothing starts (exit 2)', async () => {
    const error = await applyRelease(env, 'rel-1', {window: parseWindow('02:00-05:00'), now: at('12:00')}).catch((e: {code: string; exit: number}) => e)
    expect(error).to.include({code: 'RELEASE_OUTSIDE_WINDOW', exit: 2})
    expect(ops.log).to.deep.equal([])
  })

  it('a host whose expected downtime does not fit before the window closes is left for the next window', async () => {
    const report = await applyRelease(env, 'rel-1', {window: parseWindow('02:00-05:00'), now: at('04:15')})
    expect(report.hosts.map((h) => h.host)).to.deep.equal(['h1'])
    expect(report.remaining).to.deep.equal(['h2'])
    expect(report.stopped?.reason).to.equal('window')
    expect(report.stopped?.detail).to.contain('h2 needs about 50 min')
    expect(ops.installed).to.deep.equal({h1: TO, h2: FROM})
    const next = await applyRelease(env, 'rel-1', {window: parseWindow('02:00-05:00'), now: at('02:00')})
    expect(next.release.state).to.equal('applied')
  })
})

describe('Debian version order', () => {
  it('orders as dpkg --compare-versions does', () => {
    const sorted = ['17.0.20261120', '1:16.0', '17.0.20261101', '17.0.20261120.1', '17.0~rc1', '17.0.20261120-1'].sort(compareDebianVersions)
    expect(sorted).to.deep.equal(['17.0~rc1', '17.0.20261101', '17.0.20261120', '17.0.20261120-1', '17.0.20261120.1', '1:16.0'])
  })
})

describe("Odoo's failure summary", () => {
  it("keeps a traceback's last line, whatever the exception's class", async () => {
    const {odooFailureSummary} = await import('../../src/lib/tenants/odoo-cli.js')
    const log = ['2026-12-05 INFO t1 odoo.modules.migration: module base: Running migration [1.3.2>] post-odoops_build', 'Traceback (most recent call last):', '  File "x.py", line 3, in migrate', 'Exception: odoops test build 19.0.2: this update fails on purpose', '2026-12-05 INFO t1 odoo.service.server: Stopping'].join('\n')
    expect(odooFailureSummary(log)).to.contain('Exception: odoops test build 19.0.2: this update fails on purpose')
  })
})

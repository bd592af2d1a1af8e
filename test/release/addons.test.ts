import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {applyRelease, releaseHostLockKey} from '../../src/lib/release/apply.js'
import {addonModuleChanges, assertAddonsDeployed, parseAddonsSpec, releaseByLabel, replacedSet, resolveAddonsSpecs, serviceAddonsChanges, switchedRepos} from '../../src/lib/release/addons.js'
import type {ReleaseEnv} from '../../src/lib/release/ops.js'
import {getRelease, type Release, type ReleaseAddonsChange, type ReleaseTenantPlan} from '../../src/lib/release/record.js'
import {rehearsalAddonsPath} from '../../src/lib/release/tenant-ops.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {AddonModuleInfo, AddonReleaseRecord, AddonRepoRecord, HostRecord, TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {lockOwner} from '../../src/lib/tenants/lock.js'
import {FakeReleaseOps, fakeFleet} from './fake-release-ops.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const C = 'c'.repeat(64)
const FROM = '17.0.20261101'
const TO = '17.0.20261120'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (error) {
    return (error as {code?: string}).code
  }
  return undefined
}

function module(name: string, version?: string): AddonModuleInfo {
  return {name, title: name, ...(version ? {version} : {}), license: 'LGPL-3', depends: ['base'], installable: true, externalPython: [], externalBin: []}
}

function release(sha256: string, modules: AddonModuleInfo[], extra: Partial<AddonReleaseRecord> = {}): AddonReleaseRecord {
  return {sha256, pinnedAt: '2026-12-01T00:00:00Z', sizeBytes: 1, fileCount: 1, modules, ...extra}
}

const repos: AddonRepoRecord[] = [
  {id: 'ptn', source: {kind: 'dir', path: '/src/ptn'}, releases: [release(A, [module('ptn_sale', '1.0')], {commit: '1234567abcdef', ref: 'v1'}), release(B, [module('ptn_sale', '1.1')], {commit: '7654321fedcba', ref: 'main'})], current: B},
  {id: 'oca', source: {kind: 'dir', path: '/src/oca'}, releases: [release(C, [module('oca_tool')], {ref: 'main'}), release('c'.repeat(7) + 'd'.repeat(57), [], {ref: 'main'})], current: C},
]

describe('release plan --addons: what the flag names (pure)', () => {
  it('parses <repo>@<release>, <repo>, <repo>@current; refuses the rest', () => {
    expect(parseAddonsSpec('ptn@abc1234')).to.deep.equal({repo: 'ptn', release: 'abc1234'})
    expect(parseAddonsSpec('ptn')).to.deep.equal({repo: 'ptn'})
    expect(parseAddonsSpec('ptn@current')).to.deep.equal({repo: 'ptn'})
    for (const bad of ['ptn@', '@abc1234', 'Bad_Name@abc1234', '']) expect(code(() => parseAddonsSpec(bad)), bad).to.equal('RELEASE_ADDONS_INVALID')
  })

  it('finds a release by SHA-256 or commit prefix (7+), by the ref it was pinned from when one release has it, or the current one', () => {
    const [ptn, oca] = repos
    expect(releaseByLabel(ptn, 'aaaaaaa').sha256).to.equal(A)
    expect(releaseByLabel(ptn, '7654321').sha256).to.equal(B)
    expect(releaseByLabel(ptn, 'v1').sha256).to.equal(A)
    expect(releaseByLabel(ptn, undefined).sha256).to.equal(B)
    // Too short a prefix, unknown, and a ref two releases were pinned from.
    expect(code(() => releaseByLabel(ptn, 'aaaa'))).to.equal('RELEASE_ADDONS_RELEASE_UNKNOWN')
    expect(code(() => releaseByLabel(ptn, 'eeeeeeee'))).to.equal('RELEASE_ADDONS_RELEASE_UNKNOWN')
    expect(code(() => releaseByLabel(oca, 'main'))).to.equal('RELEASE_ADDONS_RELEASE_UNKNOWN')
    expect(code(() => releaseByLabel(oca, 'ccccccc'))).to.equal('RELEASE_ADDONS_RELEASE_UNKNOWN')
  })

  it('refuses an unknown repository and one named twice', () => {
    expect(resolveAddonsSpecs(repos, [{repo: 'ptn', release: 'aaaaaaa'}]).map((w) => [w.repo, w.release.sha256])).to.deep.equal([['ptn', A]])
    expect(code(() => resolveAddonsSpecs(repos, [{repo: 'nope'}]))).to.equal('RELEASE_ADDONS_REPO_UNKNOWN')
    expect(code(() => resolveAddonsSpecs(repos, [{repo: 'ptn'}, {repo: 'ptn', release: 'aaaaaaa'}]))).to.equal('RELEASE_ADDONS_INVALID')
  })

  const host = (id: string, addons?: {repo: string; sha256: string}[]): HostRecord => ({id, address: id, port: 22, user: 'root', services: {'17.0': {series: '17.0', unit: 'odoo-17.service', config: '/etc/odoo/odoo-17.conf', ...(addons ? {addons} : {})} as never}})
  const dedicated = (id: string, hostId: string, addons?: {repo: string; sha256: string}[], state: TenantRecord['state'] = 'active'): TenantRecord => ({
    id,
    host: hostId,
    mode: 'dedicated',
    domain: `${id}.test`,
    series: '17.0',
    database: id,
    state,
    service: {unit: `odoo-t-${id}.service`, config: `/etc/odoops/${id}.conf`, dataDir: '/d', httpPort: 1, geventPort: 2, role: id},
    ...(addons ? {addons} : {}),
  })

  it('changes every service of the selected hosts that runs the repository at another release, keeping each set\'s order', () => {
    const wanted = resolveAddonsSpecs(repos, [{repo: 'ptn'}])
    const hosts = [host('h1', [{repo: 'oca', sha256: C}, {repo: 'ptn', sha256: A}]), host('h2', [{repo: 'ptn', sha256: B}]), host('h3')]
    const tenants = [dedicated('d1', 'h1', [{repo: 'ptn', sha256: A}]), dedicated('d2', 'h2', [{repo: 'ptn', sha256: A}], 'stopped'), dedicated('d3', 'h3', [{repo: 'oca', sha256: C}]), dedicated('d4', 'h3', [{repo: 'ptn', sha256: A}], 'removing')]
    const changes = serviceAddonsChanges({series: '17.0', hosts, tenants, wanted})
    expect(Object.fromEntries([...changes].map(([h, c]) => [h, c.map((x) => x.service)]))).to.deep.equal({h1: ['shared', 'd1'], h2: ['d2']})
    const shared = changes.get('h1')![0]
    expect(shared).to.deep.include({unit: 'odoo-17.service', config: '/etc/odoo/odoo-17.conf'})
    expect(shared.to).to.deep.equal([{repo: 'oca', sha256: C}, {repo: 'ptn', sha256: B}])
    expect(switchedRepos(shared)).to.deep.equal([{repo: 'ptn', from: A, to: B}])
    expect(replacedSet([{repo: 'oca', sha256: C}], wanted)).to.deep.equal([{repo: 'oca', sha256: C}])
  })

  it('refuses a repository no selected service runs (a release switches releases, it does not add a repository)', () => {
    const wanted = resolveAddonsSpecs(repos, [{repo: 'ptn'}, {repo: 'oca'}])
    const hosts = [host('h1', [{repo: 'ptn', sha256: A}])]
    expect(code(() => assertAddonsDeployed({series: '17.0', hosts, tenants: [], wanted}))).to.equal('RELEASE_ADDONS_NOT_DEPLOYED')
    // A dedicated tenant of a selected host counts; one elsewhere does not.
    expect(code(() => assertAddonsDeployed({series: '17.0', hosts, tenants: [dedicated('d1', 'h1', [{repo: 'oca', sha256: C}])], wanted}))).to.equal(undefined)
    expect(code(() => assertAddonsDeployed({series: '17.0', hosts, tenants: [dedicated('d1', 'h9', [{repo: 'oca', sha256: C}])], wanted}))).to.equal('RELEASE_ADDONS_NOT_DEPLOYED')
  })

  it('a tenant -u\'s its installed modules whose recorded version is not the new release\'s; one the new release drops is reported', () => {
    const from = release(A, [module('ptn_sale', '1.0'), module('ptn_old', '1.0'), module('ptn_same', '17.0.2.0')])
    const to = release(B, [module('ptn_sale', '1.1'), module('ptn_same', '2.0'), module('ptn_new', '1.0')])
    const installed = {base: '17.0.1.3', ptn_sale: '17.0.1.0', ptn_old: '17.0.1.0', ptn_same: '17.0.2.0'}
    expect(addonModuleChanges([{repo: 'ptn', from, to}], '17.0', installed)).to.deep.equal({changed: {ptn_sale: ['17.0.1.0', '17.0.1.1']}, repos: [{repo: 'ptn', modules: ['ptn_sale']}], dropped: [{repo: 'ptn', module: 'ptn_old'}]})
  })

  it("the rehearsal's addons_path: the build's own directories from the unpacked tree, the service's releases replaced by its new set", () => {
    const configured = ['/usr/lib/python3/dist-packages/odoo/addons', `/var/lib/odoops/addons/${C}`, `/var/lib/odoops/addons/${A}`]
    expect(rehearsalAddonsPath(configured, {tree: '/t'})).to.deep.equal(['/t/usr/lib/python3/dist-packages/odoo/addons', `/var/lib/odoops/addons/${C}`, `/var/lib/odoops/addons/${A}`])
    expect(rehearsalAddonsPath(configured, {addons: [{repo: 'oca', sha256: C}, {repo: 'ptn', sha256: B}]})).to.deep.equal(['/usr/lib/python3/dist-packages/odoo/addons', `/var/lib/odoops/addons/${C}`, `/var/lib/odoops/addons/${B}`])
    expect(rehearsalAddonsPath(undefined, {tree: '/t', addons: [{repo: 'ptn', sha256: B}]})).to.deep.equal(['/t/usr/lib/python3/dist-packages/odoo/addons', `/var/lib/odoops/addons/${B}`])
  })
})

function tenant(slug: string, mode: 'shared' | 'dedicated', modules = ['base', 'ptn_sale'], serving = true): ReleaseTenantPlan {
  return {slug, mode, database: slug, unit: mode === 'shared' ? 'odoo-17.service' : `odoo-t-${slug}.service`, config: `/etc/odoops/${slug}.conf`, role: slug, dataDir: '/d', serving, modules, changed: Object.fromEntries(modules.map((m) => [m, ['1', '2'] as [string, string]])), ...(modules.includes('ptn_sale') ? {addonsUpgrade: [{repo: 'ptn', modules: ['ptn_sale']}]} : {})}
}

const sharedChange: ReleaseAddonsChange = {service: 'shared', unit: 'odoo-17.service', config: '/etc/odoo/odoo-17.conf', from: [{repo: 'ptn', sha256: A}, {repo: 'oca', sha256: C}], to: [{repo: 'ptn', sha256: B}, {repo: 'oca', sha256: C}]}
const d1Change: ReleaseAddonsChange = {service: 'd1', unit: 'odoo-t-d1.service', config: '/etc/odoops/d1.conf', from: [{repo: 'ptn', sha256: A}], to: [{repo: 'ptn', sha256: B}]}

describe('release apply with addon releases (hosts in memory)', () => {
  let store: StateStore
  let ops: FakeReleaseOps
  let env: ReleaseEnv

  /** h1 (build and addons: shared a1, a2 and dedicated d1), h2 (build only: b1). */
  function withBuild(): Release {
    return {
      id: 'rel-1',
      series: '17.0',
      state: 'planned',
      addons: [{repo: 'ptn', sha256: B}],
      hosts: [
        {host: 'h1', from: FROM, to: TO, sharedUnit: 'odoo-17.service', tenants: [tenant('a1', 'shared'), tenant('a2', 'shared'), tenant('d1', 'dedicated')], addons: [sharedChange, d1Change]},
        {host: 'h2', from: FROM, to: TO, sharedUnit: 'odoo-17.service', tenants: [tenant('b1', 'shared', ['base'])]},
      ],
    }
  }

  /** The build kept: d1's addons switch (one module to -u), the shared service's too (a1 has nothing to -u). */
  function addonsOnly(): Release {
    return {
      id: 'rel-1',
      series: '17.0',
      state: 'planned',
      addons: [{repo: 'ptn', sha256: B}],
      hosts: [{host: 'h1', from: FROM, to: FROM, sharedUnit: 'odoo-17.service', tenants: [tenant('a1', 'shared', []), tenant('d1', 'dedicated', ['ptn_sale'])], addons: [sharedChange, d1Change]}],
    }
  }

  async function setUp(planned: Release) {
    const base = mkdtempSync(join(tmpdir(), 'odoops-release-addons-'))
    store = await openStore(parseStateLocation(undefined, join(base, 'data')))
    ops = fakeFleet(FROM, ['h1', 'h2'], ['a1', 'a2', 'd1', 'b1'], {dedicatedUnits: ['h1:odoo-t-d1.service']})
    ops.addons['h1:shared'] = sharedChange.from
    ops.addons['h1:d1'] = d1Change.from
    ops.releasesOnHost.add(`h1:${A}`)
    ops.releasesOnHost.add(`h1:${C}`)
    env = {store, box: {} as SecretBox, dataDir: base, ops}
    await store.releases.insert(planned)
  }

  afterEach(async () => {
    await store.close()
  })

  const h1 = () => ops.log.filter((l) => !l.startsWith('h2') && l !== 'backup b1')

  it('copies the new releases before anything stops and switches each service before the -u of its databases', async () => {
    await setUp(withBuild())
    const report = await applyRelease(env, 'rel-1')
    expect(report.release.state).to.equal('applied')
    expect(h1()).to.deep.equal([
      'backup a1',
      'backup a2',
      'backup d1',
      'h1: copy ptn@bbbb',
      'h1: stop odoo-17.service',
      'h1: install 17.0.20261120',
      'h1: addons shared ptn@bbbb,oca@cccc',
      'h1: -u a1',
      'h1: -u a2',
      'h1: start odoo-17.service',
      'h1: stop odoo-t-d1.service',
      'h1: addons d1 ptn@bbbb',
      'h1: -u d1',
      'h1: start odoo-t-d1.service',
    ])
    // Each -u ran with the new build and the new releases in addons_path.
    expect(ops.data.a1).to.equal(`a1-data+${TO}+ptn@bbbb+oca@cccc`)
    expect(ops.data.d1).to.equal(`d1-data+${TO}+ptn@bbbb`)
    expect(ops.data.b1).to.equal(`b1-data+${TO}`)
    expect(ops.addons['h1:shared']).to.deep.equal(sharedChange.to)
    expect((await getRelease(store, 'rel-1')).apply!.hosts.h1.addonsSwitched).to.deep.equal({shared: true, d1: true})
    // As addons deploy --upgrade notes it: which modules of which release, and the backup that gives the data back.
    expect(ops.upgradeRecords.a1.map(({at: _at, ...r}) => r)).to.deep.equal([{repo: 'ptn', release: B, previous: A, modules: ['ptn_sale'], backup: 'a1-b1', outcome: 'upgraded'}])
    expect(ops.upgradeRecords.b1).to.equal(undefined)
  })

  it('a failed -u rolls the host back: previous build, previous addon releases written back before the services start, databases restored', async () => {
    await setUp(withBuild())
    ops.failUpgrade.add('a2')
    const error = await applyRelease(env, 'rel-1').catch((e: {code: string}) => e)
    expect((error as {code: string}).code).to.equal('RELEASE_HOST_ROLLED_BACK')
    expect(ops.installed.h1).to.equal(FROM)
    expect(ops.addons['h1:shared']).to.deep.equal(sharedChange.from)
    // d1's service was never switched: nothing to write back there.
    expect(ops.addons['h1:d1']).to.deep.equal(d1Change.from)
    expect(ops.log.filter((l) => l.startsWith('h1: addons'))).to.deep.equal(['h1: addons shared ptn@bbbb,oca@cccc', 'h1: addons shared ptn@aaaa,oca@cccc'])
    const back = ops.log.indexOf('h1: addons shared ptn@aaaa,oca@cccc')
    expect(back).to.be.greaterThan(ops.log.indexOf('h1: install 17.0.20261101'))
    expect(back).to.be.lessThan(ops.log.lastIndexOf('h1: start odoo-17.service'))
    for (const slug of ['a1', 'a2', 'd1']) expect(ops.data[slug]).to.equal(`${slug}-data`)
    const saved = await getRelease(store, 'rel-1')
    expect(saved.apply!.hosts.h1.addonsSwitched).to.deep.equal({shared: false})
    expect(saved.state).to.equal('failed')
  })

  it('an unhealthy dedicated tenant after its switch: its unit stops before its addons are written back, every service back on the previous releases', async () => {
    await setUp(withBuild())
    ops.failCheck.add('d1')
    await applyRelease(env, 'rel-1').catch(() => {})
    ops.failCheck.clear()
    expect(ops.addons['h1:shared']).to.deep.equal(sharedChange.from)
    expect(ops.addons['h1:d1']).to.deep.equal(d1Change.from)
    expect(ops.active.has('h1:odoo-t-d1.service') && ops.active.has('h1:odoo-17.service')).to.equal(true)
    expect(ops.data.d1).to.equal('d1-data')
  })

  it('killed after the shared switch, mid -u: --resume writes the previous releases back with the old build, then applies the host again', async () => {
    await setUp(withBuild())
    ops.hangUpgrade.add('a2')
    void applyRelease(env, 'rel-1')
    for (let i = 0; i < 200 && (await getRelease(store, 'rel-1')).apply?.hosts.h1.tenants.a2?.upgrade !== 'started'; i++) await new Promise((r) => setTimeout(r, 10))
    expect(ops.addons['h1:shared']).to.deep.equal(sharedChange.to)
    await store.locks.release(releaseHostLockKey('h1'), lockOwner('release apply rel-1'))
    ops.hangUpgrade.clear()
    ops.log = []
    const report = await applyRelease(env, 'rel-1', {resume: true})
    expect(report.release.state).to.equal('applied')
    expect(ops.log.slice(0, 7)).to.deep.equal(['h1: settle a1', 'h1: settle a2', 'h1: stop odoo-17.service', 'h1: install 17.0.20261101', 'h1: addons shared ptn@aaaa,oca@cccc', 'h1: restore a1 from a1-b1', 'h1: restore a2 from a2-b2'])
    expect(ops.data.a1).to.equal(`a1-data+${TO}+ptn@bbbb+oca@cccc`)
    expect(ops.data.d1).to.equal(`d1-data+${TO}+ptn@bbbb`)
    expect(ops.addons['h1:d1']).to.deep.equal(d1Change.to)
  })

  it('a switch back that fails leaves the host rolling back (rollback incomplete); --resume writes the previous set back and marks the release failed', async () => {
    await setUp(withBuild())
    ops.failUpgrade.add('a2')
    ops.failSwitchBack.add('h1:shared')
    const error = await applyRelease(env, 'rel-1').catch((e: {code: string; message: string}) => e)
    expect((error as {code: string}).code).to.equal('RELEASE_ROLLBACK_INCOMPLETE')
    expect((error as {message: string}).message).to.contain('switch the shared service back')
    let saved = await getRelease(store, 'rel-1')
    expect([saved.state, saved.apply!.hosts.h1.phase]).to.deep.equal(['applying', 'rolling-back'])
    expect(saved.apply!.hosts.h1.addonsSwitched).to.deep.equal({shared: true})
    expect(ops.addons['h1:shared']).to.deep.equal(sharedChange.to)
    ops.failUpgrade.clear()
    ops.failSwitchBack.clear()
    const resumed = await applyRelease(env, 'rel-1', {resume: true}).catch((e: {code: string}) => e)
    expect((resumed as {code: string}).code).to.equal('RELEASE_HOST_ROLLED_BACK')
    saved = await getRelease(store, 'rel-1')
    expect([saved.state, saved.apply!.hosts.h1.phase]).to.deep.equal(['failed', 'rolled-back'])
    expect(ops.addons['h1:shared']).to.deep.equal(sharedChange.from)
    expect(saved.apply!.hosts.h1.addonsSwitched?.shared).to.equal(false)
    expect(ops.installed.h1).to.equal(FROM)
  })

  it('a service that runs other releases than planned (a deploy since) changes nothing on the host', async () => {
    await setUp(withBuild())
    ops.addons['h1:d1'] = [{repo: 'ptn', sha256: C}]
    const error = await applyRelease(env, 'rel-1').catch((e: {code: string; message: string}) => e)
    expect(error).to.include({code: 'RELEASE_HOST_ROLLED_BACK'})
    expect((error as {message: string}).message).to.contain('runs other addon releases than planned')
    expect(ops.log.filter((l) => l.startsWith('h1'))).to.deep.equal([])
    expect(ops.installed.h1).to.equal(FROM)
  })

  it('the build kept (addons only): no package kept or installed; a tenant with nothing to -u gets no backup and no -u, its service switched and restarted', async () => {
    await setUp(addonsOnly())
    const report = await applyRelease(env, 'rel-1')
    expect(report.release.state).to.equal('applied')
    expect(ops.log).to.deep.equal([
      'backup d1',
      'h1: copy ptn@bbbb',
      'h1: stop odoo-17.service',
      'h1: addons shared ptn@bbbb,oca@cccc',
      'h1: start odoo-17.service',
      'h1: stop odoo-t-d1.service',
      'h1: addons d1 ptn@bbbb',
      'h1: -u d1',
      'h1: start odoo-t-d1.service',
    ])
    expect(ops.kept.size).to.equal(0)
    expect(ops.recorded).to.deep.equal({})
    expect(ops.data).to.include({a1: 'a1-data', d1: `d1-data+${FROM}+ptn@bbbb`})
    const saved = await getRelease(store, 'rel-1')
    expect(saved.apply!.hosts.h1.packages).to.equal(undefined)
    expect(saved.apply!.hosts.h1.tenants.a1).to.deep.include({upgrade: 'pending'})
    expect(saved.apply!.hosts.h1.tenants.a1.backup).to.equal(undefined)
  })

  it('addons only, an unhealthy shared tenant: the releases written back, no database restored (none was touched), no package reinstalled', async () => {
    await setUp(addonsOnly())
    ops.failCheckOnce.add('a1')
    const error = await applyRelease(env, 'rel-1').catch((e: {code: string}) => e)
    expect((error as {code: string}).code).to.equal('RELEASE_HOST_ROLLED_BACK')
    expect(ops.addons['h1:shared']).to.deep.equal(sharedChange.from)
    expect(ops.log.some((l) => l.includes('restore') || l.includes('install'))).to.equal(false)
    expect(ops.log.slice(-4)).to.deep.equal(['h1: stop odoo-17.service', 'h1: addons shared ptn@aaaa,oca@cccc', 'h1: start odoo-17.service', 'h1: start odoo-t-d1.service'])
  })

  it('addons only, killed while a dedicated service switches: --resume writes its previous releases back, starts it, and applies again', async () => {
    await setUp(addonsOnly())
    ops.hangSwitch.add('h1:d1')
    void applyRelease(env, 'rel-1')
    for (let i = 0; i < 200 && !(await getRelease(store, 'rel-1')).apply?.hosts.h1.addonsSwitched?.d1; i++) await new Promise((r) => setTimeout(r, 10))
    expect(ops.active.has('h1:odoo-t-d1.service')).to.equal(false)
    await store.locks.release(releaseHostLockKey('h1'), lockOwner('release apply rel-1'))
    ops.hangSwitch.clear()
    ops.log = []
    const report = await applyRelease(env, 'rel-1', {resume: true})
    expect(report.release.state).to.equal('applied')
    expect(ops.log.slice(0, 6)).to.deep.equal([
      'h1: stop odoo-17.service',
      'h1: stop odoo-t-d1.service',
      'h1: addons shared ptn@aaaa,oca@cccc',
      'h1: addons d1 ptn@aaaa',
      'h1: start odoo-17.service',
      'h1: start odoo-t-d1.service',
    ])
    expect(ops.addons['h1:d1']).to.deep.equal(d1Change.to)
    expect(ops.data.d1).to.equal(`d1-data+${FROM}+ptn@bbbb`)
  })
})

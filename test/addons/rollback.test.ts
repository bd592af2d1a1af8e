import {expect} from 'chai'
import {cpSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {deployAddons, type AddonsDeployEnv} from '../../src/lib/addons/deploy/deploy.js'
import {addonsPathOf} from '../../src/lib/addons/deploy/addons-path.js'
import {releaseDir} from '../../src/lib/addons/deploy/layout.js'
import {releasesToSwitch, rollbackAddons, safetyUpgrade, upgradedModules} from '../../src/lib/addons/deploy/rollback.js'
import {upgradeRecords} from '../../src/lib/addons/deploy/upgrade.js'
import {addRepo, updateRepo, type AddonsEnv} from '../../src/lib/addons/repos.js'
import {ExitCode} from '../../src/lib/errors.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {AddonModuleInfo} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {ROOT} from '../helpers/cli.js'
import {CORE, FakeHost, SHARED_CONFIG, shared, tenant, thrownBy} from './fake-deploy-host.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')
const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const C = 'c'.repeat(64)
const module = (name: string, version: string): AddonModuleInfo => ({name, version, depends: ['base'], externalPython: [], installable: true}) as unknown as AddonModuleInfo
const hostRecord = {id: 'h1', address: '10.0.0.1', port: 22, user: 'root'}

describe('addons rollback: which release, which tenants', () => {
  it('the previous release is the newest other release of the repository in the history', () => {
    const target = {kind: 'shared' as const, series: '17.0', host: hostRecord, addons: [{repo: 'x', sha256: C}, {repo: 'y', sha256: A}], addonsHistory: [[{repo: 'x', sha256: A}], [{repo: 'x', sha256: B}, {repo: 'y', sha256: B}], [{repo: 'x', sha256: C}]]}
    expect(releasesToSwitch(target, 'x')).to.deep.equal({current: C, previous: B})
    expect(releasesToSwitch(target, 'y')).to.deep.equal({current: A, previous: B})
  })

  it('refuses a repository the service does not run, and one it never ran another release of (exit 2)', () => {
    const target = {kind: 'shared' as const, series: '17.0', host: hostRecord, addons: [{repo: 'x', sha256: A}], addonsHistory: [[{repo: 'x', sha256: A}], []]}
    for (const [repo, code] of [['z', 'ADDONS_ROLLBACK_NOT_DEPLOYED'], ['x', 'ADDONS_NO_PREVIOUS_RELEASE']]) {
      try {
        releasesToSwitch(target, repo)
        expect.fail('expected an error')
      } catch (error) {
        expect(error).to.include({code, exit: ExitCode.USAGE})
      }
    }
  })

  it('a tenant is upgraded when a module is at the newer version, or is one the previous release lacks', () => {
    const newer = [module('m1', '1.1'), module('m2', '17.0.2.0.0'), module('m3', '1.0'), module('m4', '1.0')]
    const previous = [module('m1', '1.0'), module('m2', '17.0.1.0.0'), module('m3', '1.0')]
    // m1 upgraded; m2 still at the previous version (deployed, not upgraded); m3 unchanged; m4 new and installed.
    const installed = {m1: '17.0.1.1', m2: '17.0.1.0.0', m3: '17.0.1.0', m4: '17.0.1.0'}
    expect(upgradedModules(newer, previous, installed, '17.0')).to.deep.equal([
      {module: 'm1', installed: '17.0.1.1', previous: '17.0.1.0'},
      {module: 'm4', installed: '17.0.1.0'},
    ])
    expect(upgradedModules(newer, previous, {m2: '17.0.1.0.0'}, '17.0')).to.deep.equal([])
  })

  it('records one upgrade per repository, and finds the newest for a release', () => {
    const records = upgradeRecords(
      {differs: [{module: 'm1', repo: 'x', installed: '1', release: '2'}, {module: 'm2', repo: 'y', installed: '1', release: '2'}, {module: 'm3', repo: 'x', installed: '1', release: '2'}]},
      [{repo: 'x', sha256: B}, {repo: 'y', sha256: C}],
      [{repo: 'x', sha256: A}, {repo: 'y', sha256: C}],
      'bk1',
      '2026-12-04T00:00:00Z',
    )
    expect(records).to.deep.equal([
      {repo: 'x', release: B, previous: A, modules: ['m1', 'm3'], backup: 'bk1', at: '2026-12-04T00:00:00Z', outcome: 'upgraded'},
      {repo: 'y', release: C, modules: ['m2'], backup: 'bk1', at: '2026-12-04T00:00:00Z', outcome: 'upgraded'},
    ])
    const t = tenant('t', {addonsUpgrades: [records[0], {...records[0], backup: 'bk2'}, records[1]]})
    expect(safetyUpgrade(t, 'x', B)?.backup).to.equal('bk2')
    expect(safetyUpgrade(t, 'x', A)).to.equal(undefined)
  })
})

describe('addons rollback (a host in memory)', () => {
  let store: StateStore
  let addonsEnv: AddonsEnv
  let host: FakeHost
  let env: AddonsDeployEnv
  let demoDir: string
  let sha10: string
  let sha11: string

  beforeEach(async () => {
    const base = mkdtempSync(join(tmpdir(), 'odoops-rollback-'))
    store = await openStore(parseStateLocation(undefined, join(base, 'data')))
    addonsEnv = {store, dataDir: join(base, 'data'), cacheDir: join(base, 'cache')}
    demoDir = join(base, 'demo')
    cpSync(join(FIXTURES, 'demo-1.0'), demoDir, {recursive: true})
    sha10 = (await addRepo(addonsEnv, {name: 'demo', source: {kind: 'dir', path: demoDir}, series: '17.0'})).release.sha256
    await store.hosts.insert({...hostRecord, services: {'17.0': shared}})
    await store.tenants.insert(tenant('acme'))
    await store.tenants.insert(tenant('beta'))
    host = new FakeHost()
    env = {store, box: {} as SecretBox, dataDir: addonsEnv.dataDir, hostOps: async () => host}
    await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
    cpSync(join(FIXTURES, 'demo-1.1'), demoDir, {recursive: true})
    sha11 = (await updateRepo(addonsEnv, 'demo')).release.sha256
    await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
  })

  afterEach(async () => {
    await store.close()
  })

  it('switches the service back to 1.0 when no tenant was upgraded: addons_path, restart, health, record', async () => {
    host.versions['acme.test'] = {odoops_demo: '17.0.1.0'}
    host.calls = []
    const result = await rollbackAddons(env, {host: 'h1', service: 'shared', repo: 'demo', restore: false})
    expect(result).to.deep.include({repo: 'demo', from: sha11, to: sha10, restored: []})
    expect(result.deploy).to.include({change: 'changed', restarted: true})
    expect(addonsPathOf(host.files.get(SHARED_CONFIG)!)).to.deep.equal([CORE, releaseDir(sha10)])
    expect(host.calls).to.include('restart odoops-shared-17.service')
    // 1.0 was still on the host (kept for rollback): nothing copied.
    expect(host.calls.filter((call) => call.startsWith('upload'))).to.deep.equal([])
    const service = (await store.hosts.get('h1'))!.services!['17.0']
    expect(service.addons).to.deep.equal([{repo: 'demo', sha256: sha10}])
    expect(service.addonsHistory!.at(-1)).to.deep.equal([{repo: 'demo', sha256: sha11}])
  })

  it('refuses without --restore when a tenant runs data of the newer release, changing nothing', async () => {
    host.versions['beta.test'] = {odoops_demo: '17.0.1.1'}
    const config = host.files.get(SHARED_CONFIG)
    host.calls = []
    const error = await thrownBy(rollbackAddons(env, {host: 'h1', service: 'shared', repo: 'demo', restore: false}))
    expect(error).to.include({code: 'ADDONS_ROLLBACK_UPGRADED', exit: ExitCode.USAGE})
    expect(error.message).to.include('beta: odoops_demo 17.0.1.1 (previous release: 17.0.1.0)')
    expect(error.suggestions.join('\n')).to.include('--restore')
    expect(host.files.get(SHARED_CONFIG)).to.equal(config)
    expect(host.calls.filter((call) => !call.startsWith('versions'))).to.deep.equal([])
  })

  it('refuses --restore when the upgrade has no recorded safety backup (done by hand), changing nothing', async () => {
    host.versions['beta.test'] = {odoops_demo: '17.0.1.1'}
    const error = await thrownBy(rollbackAddons(env, {host: 'h1', service: 'shared', repo: 'demo', restore: true}))
    expect(error).to.include({code: 'ADDONS_ROLLBACK_NO_SAFETY_BACKUP', exit: ExitCode.USAGE})
    expect(error.suggestions.join('\n')).to.include('backup list --tenant beta')
    expect(addonsPathOf(host.files.get(SHARED_CONFIG)!)).to.deep.equal([CORE, releaseDir(sha11)])
  })
})

import {expect} from 'chai'
import {cpSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {type AddonsDeployEnv} from '../../src/lib/addons/deploy/deploy.js'
import {addonsPathOf} from '../../src/lib/addons/deploy/addons-path.js'
import {releaseDir} from '../../src/lib/addons/deploy/layout.js'
import {deployMany} from '../../src/lib/addons/deploy/many.js'
import {addRepo, type AddonsEnv} from '../../src/lib/addons/repos.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {ROOT} from '../helpers/cli.js'
import {CORE, DEDICATED_CONFIG, FakeHost, SHARED_CONFIG, shared, tenant, thrownBy} from './fake-deploy-host.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')

describe('addons deploy to several services in one run (hosts in memory)', () => {
  let store: StateStore
  let addonsEnv: AddonsEnv
  let hosts: Record<string, FakeHost>
  let env: AddonsDeployEnv

  beforeEach(async () => {
    const base = mkdtempSync(join(tmpdir(), 'odoops-deploy-many-'))
    store = await openStore(parseStateLocation(undefined, join(base, 'data')))
    addonsEnv = {store, dataDir: join(base, 'data'), cacheDir: join(base, 'cache')}
    cpSync(join(FIXTURES, 'demo-1.0'), join(base, 'demo'), {recursive: true})
    await addRepo(addonsEnv, {name: 'demo', source: {kind: 'dir', path: join(base, 'demo')}, series: '17.0'})
    for (const id of ['h1', 'h2']) await store.hosts.insert({id, address: `10.77.0.${id === 'h1' ? 9 : 10}`, port: 22, user: 'root', services: {'17.0': shared}})
    await store.tenants.insert(tenant('acme'))
    await store.tenants.insert(tenant('beta', {host: 'h2'}))
    await store.tenants.insert(tenant('solo', {host: 'h2', mode: 'dedicated', service: {unit: 'odoops-solo.service', config: DEDICATED_CONFIG, dataDir: '/d', httpPort: 8200, geventPort: 8201, role: 'odoops_solo'}}))
    hosts = {h1: new FakeHost(), h2: new FakeHost()}
    env = {store, box: {} as SecretBox, dataDir: addonsEnv.dataDir, hostOps: async (host) => hosts[host]}
  })

  afterEach(async () => {
    await store.close()
  })

  it('checks every service first, copies each release once per host, then switches every service: shared on both hosts and a dedicated one', async () => {
    const sha = (await store.addonRepos.get('demo'))!.current
    const result = await deployMany(env, {hosts: ['h1', 'h2'], services: ['shared', 'solo'], repos: ['demo']})
    expect(result.copies).to.deep.equal([
      {host: 'h1', repo: 'demo', sha256: sha},
      {host: 'h2', repo: 'demo', sha256: sha},
    ])
    expect(result.services.map((o) => [o.host, o.service, o.ok, o.result?.restarted])).to.deep.equal([
      ['h1', 'shared', true, true],
      ['h2', 'shared', true, true],
      ['h2', 'solo', true, true],
    ])
    expect(hosts.h2.calls.filter((c) => c.startsWith('upload'))).to.have.length(1)
    expect(addonsPathOf(hosts.h2.files.get(DEDICATED_CONFIG)!)).to.deep.equal([CORE, releaseDir(sha)])
    expect(addonsPathOf(hosts.h1.files.get(SHARED_CONFIG)!)).to.deep.equal([CORE, releaseDir(sha)])
    expect((await store.tenants.get('solo'))!.addons).to.deep.equal([{repo: 'demo', sha256: sha}])
    expect((await store.hosts.get('h2'))!.services!['17.0'].addons).to.deep.equal([{repo: 'demo', sha256: sha}])

    // Again: nothing to copy (not even streamed), every service unchanged.
    for (const host of Object.values(hosts)) host.calls = []
    const again = await deployMany(env, {hosts: ['h1', 'h2'], services: ['shared', 'solo'], repos: ['demo']})
    expect(again.copies).to.deep.equal([])
    expect(again.services.map((o) => o.result?.change)).to.deep.equal(['unchanged', 'unchanged', 'unchanged'])
    for (const host of Object.values(hosts)) expect(host.calls.filter((c) => /^(upload|write|restart)/.test(c))).to.deep.equal([])
  })

  it('a check failing on one host refuses the whole run: nothing copied or written on any host, one report', async () => {
    hosts.h2.core = ['web', 'mail']
    const error = await thrownBy(deployMany(env, {hosts: ['h1', 'h2'], services: ['shared'], repos: ['demo']}))
    expect(error.code, error.message).to.equal('ADDONS_CHECK_FAILED')
    expect((error.data as {services: {host: string}[]}).services.map((s) => s.host)).to.deep.equal(['h2'])
    for (const host of Object.values(hosts)) expect(host.calls.filter((c) => !c.startsWith('probe'))).to.deep.equal([])
  })

  it('a service that fails is switched back by itself and does not stop the others', async () => {
    hosts.h1.restartFails = true
    const result = await deployMany(env, {hosts: ['h1', 'h2'], services: ['shared'], repos: ['demo']})
    expect(result.services.map((o) => [o.host, o.ok, o.error?.code])).to.deep.equal([
      ['h1', false, 'ADDONS_DEPLOY_FAILED'],
      ['h2', true, undefined],
    ])
    expect(addonsPathOf(hosts.h1.files.get(SHARED_CONFIG)!)).to.equal(undefined)
  })

  it('refuses bad requests before reaching any host', async () => {
    const cases: [Parameters<typeof deployMany>[1], string][] = [
      [{hosts: ['h1', 'h1'], services: ['shared'], repos: ['demo']}, 'ADDONS_HOST_DUPLICATE'],
      [{hosts: ['h1'], services: ['shared', 'shared'], repos: ['demo']}, 'ADDONS_SERVICE_DUPLICATE'],
      [{hosts: ['h1'], services: ['shared', 'solo'], repos: ['demo']}, 'ADDONS_TENANT_ELSEWHERE'],
      [{hosts: ['h1', 'h2'], services: ['acme'], repos: ['demo']}, 'ADDONS_TENANT_SHARED'],
    ]
    for (const [input, code] of cases) expect((await thrownBy(deployMany(env, input))).code, JSON.stringify(input)).to.equal(code)
    for (const host of Object.values(hosts)) expect(host.calls).to.deep.equal([])
  })
})

import {expect} from 'chai'
import {cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {deployAddons, type AddonsDeployEnv} from '../../src/lib/addons/deploy/deploy.js'
import {addonsPathOf} from '../../src/lib/addons/deploy/addons-path.js'
import {releaseDir} from '../../src/lib/addons/deploy/layout.js'
import {PRUNE_GRACE_SECONDS} from '../../src/lib/addons/deploy/prune.js'
import {sharedServiceLockKey} from '../../src/lib/addons/deploy/service.js'
import {addRepo, releaseTarPath, updateRepo, type AddonsEnv} from '../../src/lib/addons/repos.js'
import {OdoopsError} from '../../src/lib/errors.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {ROOT} from '../helpers/cli.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')
import {CORE, DEDICATED_CONFIG, FakeHost, SHARED_CONFIG, shared, tenant, thrownBy} from './fake-deploy-host.js'


describe('addons deploy (a host in memory)', () => {
  let store: StateStore
  let addonsEnv: AddonsEnv
  let host: FakeHost
  let env: AddonsDeployEnv
  let demoDir: string

  /** A repository of one module `name` whose manifest is `manifest`. */
  async function repoOf(repo: string, name: string, manifest: string): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'odoops-deploy-src-'))
    mkdirSync(join(dir, name))
    writeFileSync(join(dir, name, '__manifest__.py'), manifest)
    writeFileSync(join(dir, name, '__init__.py'), '')
    await addRepo(addonsEnv, {name: repo, source: {kind: 'dir', path: dir}})
  }

  beforeEach(async () => {
    const base = mkdtempSync(join(tmpdir(), 'odoops-deploy-'))
    store = await openStore(parseStateLocation(undefined, join(base, 'data')))
    addonsEnv = {store, dataDir: join(base, 'data'), cacheDir: join(base, 'cache')}
    demoDir = join(base, 'demo')
    cpSync(join(FIXTURES, 'demo-1.0'), demoDir, {recursive: true})
    await addRepo(addonsEnv, {name: 'demo', source: {kind: 'dir', path: demoDir}, series: '17.0'})
    await store.hosts.insert({id: 'h1', address: '10.77.0.9', port: 22, user: 'root', services: {'17.0': shared}})
    await store.tenants.insert(tenant('acme'))
    await store.tenants.insert(tenant('beta', {state: 'stopped'}))
    await store.tenants.insert(tenant('gone', {state: 'failed'}))
    host = new FakeHost()
    env = {store, box: {} as SecretBox, dataDir: addonsEnv.dataDir, hostOps: async () => host}
  })

  afterEach(async () => {
    await store.close()
  })

  const demoSha = async () => (await store.addonRepos.get('demo'))!.current

  it('deploys to the shared service: copy, addons_path core first, restart, health of its active tenants, record, versions', async () => {
    host.versions['acme.test'] = {odoops_demo: '17.0.0.9'}
    const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
    const sha = await demoSha()
    expect(result.releases).to.deep.equal([{repo: 'demo', sha256: sha, dir: releaseDir(sha), change: 'uploaded', modules: ['odoops_demo']}])
    expect(result.addonsPath).to.deep.equal([CORE, releaseDir(sha)])
    expect(addonsPathOf(host.files.get(SHARED_CONFIG)!)).to.deep.equal([CORE, releaseDir(sha)])
    expect(result).to.include({change: 'changed', restarted: true})
    expect(result.health).to.deep.equal([{tenant: 'acme', ok: true, detail: '/web/health passes, login ok', wasHealthy: true}])
    expect(host.calls).to.deep.equal([
      'probe',
      `read ${SHARED_CONFIG}`,
      // The check before the restart runs beside the copy.
      'health acme',
      `upload ${sha.slice(0, 8)}`,
      `write ${SHARED_CONFIG}`,
      'restart odoops-shared-17.service',
      'health acme',
      'versions acme.test',
      'versions beta.test',
    ])
    expect(result.versions).to.deep.equal([
      {tenant: 'acme', database: 'acme.test', differs: [{module: 'odoops_demo', repo: 'demo', installed: '17.0.0.9', release: '17.0.1.0'}]},
      {tenant: 'beta', database: 'beta.test', differs: []},
    ])
    const service = (await store.hosts.get('h1'))!.services!['17.0']
    expect(service.addons).to.deep.equal([{repo: 'demo', sha256: sha}])
    expect(service.addonsHistory).to.deep.equal([])
    expect(service.databases).to.deep.equal(['acme.test', 'beta.test'])
  })

  it('deploying the same releases again changes nothing: unchanged per release and for the service, no write, no restart', async () => {
    await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
    const before = host.files.get(SHARED_CONFIG)
    host.calls = []
    const again = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
    expect(again.change).to.equal('unchanged')
    expect(again.restarted).to.equal(false)
    expect(again.releases.map((r) => r.change)).to.deep.equal(['unchanged'])
    expect(host.calls).to.deep.equal(['probe', `read ${SHARED_CONFIG}`, 'versions acme.test', 'versions beta.test'])
    expect(host.files.get(SHARED_CONFIG)).to.equal(before)
  })

  it('refuses with ADDONS_CHECK_FAILED and every problem in its data when a check fails against the host, changing nothing', async () => {
    await repoOf('broken', 'needs_missing', "{'name': 'x', 'version': '1.0', 'depends': ['base', 'no_such_module'], 'external_dependencies': {'python': ['ldap']}}")
    host.missingPython = ['ldap']
    const before = host.files.get(SHARED_CONFIG)
    const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo', 'broken']}))
    expect(error).to.be.instanceOf(OdoopsError)
    expect(error.code).to.equal('ADDONS_CHECK_FAILED')
    expect(error.exit).to.equal(1)
    const problems = (error.data as {problems: {check: string; module: string; severity: string}[]}).problems
    expect(problems.map((p) => `${p.severity} ${p.check} ${p.module}`).sort()).to.deep.equal(['error depends needs_missing', 'error external-python needs_missing'])
    expect(error.message).to.include('no_such_module').and.to.include('ldap')
    expect(error.suggestions.join('\n')).to.include('apt-get install python3-ldap')
    expect(host.calls).to.deep.equal(['probe'])
    expect(host.files.get(SHARED_CONFIG)).to.equal(before)
    expect((await store.hosts.get('h1'))!.services!['17.0'].addons).to.equal(undefined)
  })

  it('checks module versions against the service\'s series and modules against the host\'s own Odoo', async () => {
    await repoOf('old', 'old_series', "{'name': 'x', 'version': '16.0.1.0.0', 'depends': ['contacts']}")
    const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['old']}))
    expect(error.code).to.equal('ADDONS_CHECK_FAILED')
    expect((error.data as {problems: {check: string}[]}).problems.map((p) => p.check)).to.deep.equal(['version'])

    // `contacts` is not among this host's modules here: now a depends error.
    host.core = ['base', 'web']
    await repoOf('fine', 'fine_mod', "{'name': 'x', 'version': '1.0', 'depends': ['contacts']}")
    const missing = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['fine']}))
    expect((missing.data as {problems: {check: string}[]}).problems.map((p) => p.check)).to.deep.equal(['depends'])
  })

  it('refuses a module named like one of the host\'s own Odoo modules (it would never load: Odoo\'s addons come first)', async () => {
    await repoOf('shadow', 'contacts', "{'name': 'x', 'version': '1.0', 'depends': ['base']}")
    const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['shadow']}))
    expect(error.code).to.equal('ADDONS_CHECK_FAILED')
    expect((error.data as {problems: {check: string; module: string}[]}).problems).to.deep.include.members([{severity: 'error', check: 'duplicate', repo: 'shadow', module: 'contacts', message: "module contacts is also one of Odoo's own modules; Odoo's addons come first in addons_path, so this one would never be loaded", fix: 'Rename the module (its folder and every reference to it), or leave it out.'}])
  })

  it('a module depending on a module of another repository deployed with it passes', async () => {
    await repoOf('ext', 'demo_ext', "{'name': 'x', 'version': '1.0', 'depends': ['odoops_demo']}")
    const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo', 'ext']})
    expect(result.addonsPath.slice(1).map((dir) => dir.slice(-64))).to.deep.equal([await demoSha(), (await store.addonRepos.get('ext'))!.current])
  })

  it('an unhealthy tenant after the restart puts the previous addons_path back, restarts again and fails with the journal lines', async () => {
    await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
    const first = await demoSha()
    const deployedConfig = host.files.get(SHARED_CONFIG)
    cpSync(join(FIXTURES, 'demo-1.1'), demoDir, {recursive: true})
    await updateRepo(addonsEnv, 'demo')
    host.breaks = (await store.addonRepos.get('demo'))!.current
    host.calls = []
    const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']}))
    expect(error.code).to.equal('ADDONS_DEPLOY_FAILED')
    expect(error.exit).to.equal(1)
    expect(error.message).to.include('ImportError: cannot import name broken')
    expect(error.message).to.include('acme: /web/health: HTTP 500')
    expect(error.data).to.deep.include({rolledBack: true, unit: 'odoops-shared-17.service'})
    expect((error.data as {journal: string[]}).journal).to.have.length(2)
    expect(host.files.get(SHARED_CONFIG)).to.equal(deployedConfig)
    expect(host.calls.filter((c) => c.startsWith('restart'))).to.have.length(2)
    // After the switch back, only reads (the versions, for the --upgrade hint).
    expect(host.calls.filter((c) => !c.startsWith('versions')).slice(-4)).to.deep.equal(['health acme', 'journal odoops-shared-17.service', `write ${SHARED_CONFIG}`, 'restart odoops-shared-17.service'])
    // The record still says the release that runs.
    expect((await store.hosts.get('h1'))!.services!['17.0'].addons).to.deep.equal([{repo: 'demo', sha256: first}])
  })

  it('a switch back while installed modules are behind the release names --upgrade (their tables lack the new fields)', async () => {
    host.versions['acme.test'] = {odoops_demo: '17.0.0.9'}
    host.breaks = await demoSha()
    const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']}))
    expect(error.code).to.equal('ADDONS_DEPLOY_FAILED')
    expect(error.message).to.include('odoops_demo 17.0.0.9 → 17.0.1.0')
    expect(error.suggestions[0]).to.equal('odoops addons deploy <repo>… --host h1 --upgrade   (upgrades them before the restart, each after a verified backup)')
  })

  it('a tenant already unhealthy before the restart is reported, not blamed on the new addons', async () => {
    host.alwaysUnhealthy.add('acme')
    const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
    expect(result.health).to.deep.equal([{tenant: 'acme', ok: false, detail: '/web/health: HTTP 500', wasHealthy: false}])
    expect(result.restarted).to.equal(true)
    // Checked once before, once after without waiting for it.
    expect(host.healthWaits).to.deep.equal([0, 0])
    expect(addonsPathOf(host.files.get(SHARED_CONFIG)!)).to.have.length(2)
    expect((await store.hosts.get('h1'))!.services!['17.0'].addons).to.have.length(1)
  })

  it('a service that does not start with the new addons is switched back the same way', async () => {
    const before = host.files.get(SHARED_CONFIG)
    host.restartFails = true
    const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']}))
    expect(error.code).to.equal('ADDONS_DEPLOY_FAILED')
    expect((error.data as {failure: string}).failure).to.include('did not become active')
    expect(host.files.get(SHARED_CONFIG)).to.equal(before)
    // Checked before the restart only: the service never came up.
    expect(host.calls.filter((c) => c.startsWith('health') || c.startsWith('restart'))).to.deep.equal(['health acme', 'restart odoops-shared-17.service', 'restart odoops-shared-17.service'])
    expect((await store.hosts.get('h1'))!.services!['17.0'].addons).to.equal(undefined)
  })

  it('a dedicated tenant\'s service: its config and record; a stopped one is not restarted', async () => {
    await store.tenants.insert(tenant('solo', {mode: 'dedicated', state: 'stopped', service: {unit: 'odoops-solo.service', config: DEDICATED_CONFIG, dataDir: '/d', httpPort: 8200, geventPort: 8201, role: 'odoops_solo'}}))
    const result = await deployAddons(env, {host: 'h1', service: 'solo', repos: ['demo']})
    const sha = await demoSha()
    expect(result.service).to.deep.equal({kind: 'dedicated', series: '17.0', unit: 'odoops-solo.service', config: DEDICATED_CONFIG, tenant: 'solo'})
    expect(result).to.include({change: 'changed', restarted: false})
    expect(result.restartSkipped).to.include('stopped')
    expect(addonsPathOf(host.files.get(DEDICATED_CONFIG)!)).to.deep.equal([CORE, releaseDir(sha)])
    expect(addonsPathOf(host.files.get(SHARED_CONFIG)!)).to.equal(undefined)
    expect(host.calls.some((c) => c.startsWith('restart'))).to.equal(false)
    expect((await store.tenants.get('solo'))!.addons).to.deep.equal([{repo: 'demo', sha256: sha}])
    expect((await store.hosts.get('h1'))!.services!['17.0'].addons).to.equal(undefined)
  })

  it('removes release directories no recorded set names once they are old, keeping history and young ones', async () => {
    const [stale, young, leftover] = ['e'.repeat(64), 'f'.repeat(64), '.upload-QwErTy']
    const historic = 'd'.repeat(64)
    await store.hosts.update('h1', (h) => ({...h, services: {'17.0': {...shared, addons: [{repo: 'demo', sha256: historic}]}}}))
    host.entries.set(stale, PRUNE_GRACE_SECONDS + 10)
    host.entries.set(historic, PRUNE_GRACE_SECONDS + 10)
    host.entries.set(young, 30)
    host.entries.set(leftover, PRUNE_GRACE_SECONDS + 10)
    const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
    expect(result.pruned).to.deep.equal([stale])
    expect(host.calls.at(-1)).to.equal(`remove ${stale.slice(0, 8)},.upload-`)
    expect([...host.entries.keys()].sort()).to.deep.equal([await demoSha(), historic, young].sort())
    expect((await store.hosts.get('h1'))!.services!['17.0'].addonsHistory).to.deep.equal([[{repo: 'demo', sha256: historic}]])
  })

  it('waits for no one: a deploy to a service another run holds fails with ADDONS_SERVICE_BUSY (exit 4) before touching the host', async () => {
    await store.locks.acquire(sharedServiceLockKey('h1', '17.0'), {owner: 'another deploy', ttlMs: 60_000})
    const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']}))
    expect(error.code).to.equal('ADDONS_SERVICE_BUSY')
    expect(error.exit).to.equal(4)
    expect(host.calls).to.deep.equal([])
  })

  it('refuses bad requests before reaching the host', async () => {
    await store.tenants.insert(tenant('far', {host: 'h2', mode: 'dedicated'}))
    const cases: [Parameters<typeof deployAddons>[1], string][] = [
      [{host: 'h1', service: 'shared', repos: []}, 'ADDONS_REPO_REQUIRED'],
      [{host: 'h1', service: 'shared', repos: ['demo', 'demo']}, 'ADDONS_REPO_DUPLICATE'],
      [{host: 'h1', service: 'shared', repos: ['nope']}, 'ADDONS_REPO_NOT_FOUND'],
      [{host: 'h1', service: 'acme', repos: ['demo']}, 'ADDONS_TENANT_SHARED'],
      [{host: 'h1', service: 'far', repos: ['demo']}, 'ADDONS_TENANT_ELSEWHERE'],
      [{host: 'h1', service: 'nobody', repos: ['demo']}, 'TENANT_NOT_FOUND'],
      [{host: 'h9', service: 'shared', repos: ['demo']}, 'HOST_NOT_FOUND'],
    ]
    for (const [input, code] of cases) expect((await thrownBy(deployAddons(env, input))).code, JSON.stringify(input)).to.equal(code)
    rmSync(releaseTarPath(addonsEnv.dataDir, await demoSha()))
    const notLocal = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']}))
    expect(notLocal.code).to.equal('ADDONS_RELEASE_NOT_LOCAL')
    expect(host.calls).to.deep.equal([])
  })

  describe('the whole set: a repository left out', () => {
    beforeEach(async () => {
      await repoOf('extra', 'odoops_extra', "{'name': 'extra', 'version': '1.0', 'depends': ['base']}")
      await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo', 'extra']})
      host.calls = []
    })

    it('is refused with the whole set named (ADDONS_SET_INCOMPLETE, exit 2), nothing changed', async () => {
      const before = host.files.get(SHARED_CONFIG)
      const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']}))
      expect(error.code).to.equal('ADDONS_SET_INCOMPLETE')
      expect(error.exit).to.equal(2)
      expect(error.suggestions[0]).to.equal('odoops addons deploy demo extra --host h1')
      expect(host.files.get(SHARED_CONFIG)).to.equal(before)
      expect(host.calls.filter((c) => /^(write|restart|upload)/.test(c))).to.deep.equal([])
    })

    it('--remove takes it away when no tenant has its modules installed, and is refused while one has', async () => {
      host.versions['beta.test'] = {odoops_extra: '17.0.1.0'}
      const blocked = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], remove: ['extra']}))
      expect(blocked.code).to.equal('ADDONS_REMOVE_INSTALLED')
      expect(blocked.message).to.include('beta: odoops_extra')
      expect(host.calls.filter((c) => /^(write|restart)/.test(c))).to.deep.equal([])

      delete host.versions['beta.test']
      const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], remove: ['extra']})
      expect(result.addonsPath).to.have.length(2)
      expect((await store.hosts.get('h1'))!.services!['17.0'].addons!.map((e) => e.repo)).to.deep.equal(['demo'])
    })

    it('--remove of a repository the service does not run, or one also deployed, is bad input', async () => {
      expect((await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo', 'extra'], remove: ['nope']}))).code).to.equal('ADDONS_REMOVE_NOT_DEPLOYED')
      expect((await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo', 'extra'], remove: ['extra']}))).code).to.equal('ADDONS_REMOVE_CONFLICT')
    })
  })

  describe('--upgrade: -u before the restart', () => {
    let backups: string[]
    beforeEach(() => {
      backups = []
      env.safetyBackup = async (slug, lockOwner) => {
        backups.push(`${slug}${lockOwner ? ' (tenant lock held)' : ''}`)
        return `bk-${slug}`
      }
      host.versions['acme.test'] = {odoops_demo: '17.0.0.9'}
      host.upgradeTo = {odoops_demo: '17.0.1.0'}
    })

    it('backs up, writes the config, runs -u with the new addons_path, then restarts once and checks health; the upgrade is recorded', async () => {
      const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], upgrade: true})
      const sha = await demoSha()
      expect(backups).to.deep.equal(['acme'])
      const order = host.calls.filter((c) => /^(write|upgrade|restart|health)/.test(c))
      expect(order).to.deep.equal(['health acme', `write ${SHARED_CONFIG}`, 'upgrade acme.test odoops_demo with 2 path(s)', 'restart odoops-shared-17.service', 'health acme'])
      expect(result.upgrades).to.have.length(1)
      expect(result.upgrades![0]).to.deep.include({tenant: 'acme', modules: ['odoops_demo'], backup: 'bk-acme', ok: true, upgraded: ['odoops_demo']})
      expect(result.versions.find((v) => v.tenant === 'acme')!.differs).to.deep.equal([])
      const records = (await store.tenants.get('acme'))!.addonsUpgrades!
      expect(records.map((r) => ({repo: r.repo, release: r.release, modules: r.modules, backup: r.backup, outcome: r.outcome}))).to.deep.equal([{repo: 'demo', release: sha, modules: ['odoops_demo'], backup: 'bk-acme', outcome: 'upgraded'}])
    })

    it('a tenant whose safety backup fails refuses the whole deploy with nothing written, upgraded or restarted', async () => {
      env.safetyBackup = async (slug) => {
        throw new OdoopsError('BACKUP_VERIFY_FAILED', `dump of ${slug} is corrupt`)
      }
      const before = host.files.get(SHARED_CONFIG)
      const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], upgrade: true}))
      expect(error.code).to.equal('ADDONS_SAFETY_BACKUP_FAILED')
      expect(error.message).to.include('acme').and.to.include('nothing was deployed')
      expect(host.files.get(SHARED_CONFIG)).to.equal(before)
      expect(host.calls.some((c) => /^(write|upgrade|restart)/.test(c))).to.equal(false)
      expect((await store.hosts.get('h1'))!.services!['17.0'].addons).to.equal(undefined)
      expect((await store.tenants.get('acme'))!.addonsUpgrades).to.equal(undefined)
    })

    it('versions that cannot be read refuse with ADDONS_VERSIONS_UNREADABLE before anything changes', async () => {
      host.installedVersions = async () => {
        throw new Error('psql: connection refused')
      }
      const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], upgrade: true}))
      expect(error.code).to.equal('ADDONS_VERSIONS_UNREADABLE')
      expect(backups).to.deep.equal([])
      expect(host.calls.some((c) => /^(write|upgrade|restart|upload)/.test(c))).to.equal(false)
    })

    it('a failed -u puts the previous config back, restarts on it, records the failure and names the backup to restore', async () => {
      host.upgradeFails.add('acme.test')
      const before = host.files.get(SHARED_CONFIG)
      const error = await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], upgrade: true}))
      expect(error.code).to.equal('ADDONS_UPGRADE_FAILED')
      expect(error.message).to.include('KeyError').and.to.include('runs its previous addons_path again')
      expect(error.suggestions).to.include('odoops backup restore bk-acme --tenant acme --force')
      expect(host.files.get(SHARED_CONFIG)).to.equal(before)
      expect(host.calls.slice(-2)).to.deep.equal([`write ${SHARED_CONFIG}`, 'restart odoops-shared-17.service'])
      expect((await store.hosts.get('h1'))!.services!['17.0'].addons).to.equal(undefined)
      expect((await store.tenants.get('acme'))!.addonsUpgrades!.map((r) => r.outcome)).to.deep.equal(['failed'])
    })

    it('a -u that leaves a module behind is reported as not done (ADDONS_UPGRADE_INCOMPLETE)', async () => {
      host.upgradeTo = {}
      const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], upgrade: true})
      expect(result.upgrades![0]).to.deep.include({ok: false, upgraded: []})
      expect(result.upgrades![0].error!.code).to.equal('ADDONS_UPGRADE_INCOMPLETE')
    })

    it('releases already deployed whose modules were never upgraded: -u and a restart, with no config write', async () => {
      await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']})
      host.calls = []
      const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], upgrade: true})
      expect(result).to.include({change: 'changed', restarted: true})
      expect(host.calls.filter((c) => /^(write|upgrade|restart)/.test(c))).to.deep.equal(['upgrade acme.test odoops_demo with 2 path(s)', 'restart odoops-shared-17.service'])
    })

    it('a dedicated service is stopped for the -u and started on the new code; its backup runs under the tenant lock the deploy holds', async () => {
      await store.tenants.insert(tenant('solo', {mode: 'dedicated', service: {unit: 'odoops-solo.service', config: DEDICATED_CONFIG, dataDir: '/d', httpPort: 8200, geventPort: 8201, role: 'odoops_solo'}}))
      host.versions['solo.test'] = {odoops_demo: '17.0.0.9'}
      const result = await deployAddons(env, {host: 'h1', service: 'solo', repos: ['demo'], upgrade: true})
      expect(backups).to.deep.equal(['solo (tenant lock held)'])
      expect(host.calls.filter((c) => /^(write|stop|upgrade|restart)/.test(c))).to.deep.equal([`write ${DEDICATED_CONFIG}`, 'stop odoops-solo.service', 'upgrade solo.test odoops_demo with 2 path(s)', 'restart odoops-solo.service'])
      expect(result.upgrades!.map((u) => [u.tenant, u.ok])).to.deep.equal([['solo', true]])
    })

    it('nothing drifted: no backup and the deploy is a plain one', async () => {
      host.versions = {}
      const result = await deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo'], upgrade: true})
      expect(backups).to.deep.equal([])
      expect(result.upgrades).to.deep.equal([])
      expect(host.calls.some((c) => c.startsWith('upgrade'))).to.equal(false)
    })
  })

  it('refuses a host whose python3 finds no Odoo', async () => {
    host.probe = async () => ({odooAddons: [], missingPython: [], entries: [], referenced: []})
    expect((await thrownBy(deployAddons(env, {host: 'h1', service: 'shared', repos: ['demo']}))).code).to.equal('ADDONS_ODOO_NOT_FOUND')
  })
})

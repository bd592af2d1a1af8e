import {expect} from 'chai'
import {addonsPathOf, withAddonsPath} from '../../src/lib/addons/deploy/addons-path.js'
import {nextAddonsRecord, releaseDir, releasesInRecords} from '../../src/lib/addons/deploy/layout.js'
import {planDeploy, type DeployPlanInput} from '../../src/lib/addons/deploy/plan.js'
import {pruneSelection, PRUNE_GRACE_SECONDS, releasesToKeep, serviceConfigs} from '../../src/lib/addons/deploy/prune.js'
import {parseVersionRows, releaseVersion, versionDrift} from '../../src/lib/addons/deploy/versions.js'
import type {AddonModuleInfo, HostRecord, SharedServiceRecord, TenantRecord} from '../../src/lib/state/records.js'

const sha = (c: string) => c.repeat(64)
const CORE = '/usr/lib/python3/dist-packages/odoo/addons'
const CONFIG = '; Managed by odoops\n[options]\ndb_host = 127.0.0.1\nworkers = 2\n'

function input(change: Partial<DeployPlanInput> = {}): DeployPlanInput {
  return {requested: [{repo: 'oca', sha256: sha('a')}, {repo: 'acme', sha256: sha('b')}], coreDirs: [CORE], configText: CONFIG, present: new Set(), ...change}
}

describe('addons deploy: the plan of what changes', () => {
  it('first deploy: both releases copied, addons_path written core first then in the order given, a restart, a record', () => {
    const plan = planDeploy(input())
    expect(plan.uploads).to.deep.equal([sha('a'), sha('b')])
    expect(plan.addonsPath).to.deep.equal([CORE, releaseDir(sha('a')), releaseDir(sha('b'))])
    expect(addonsPathOf(plan.configText)).to.deep.equal(plan.addonsPath)
    expect(plan).to.include({configChanged: true, addonsPathChanged: true, restart: true, record: true})
  })

  it('the same releases again, recorded and in the config: nothing to copy, write or restart', () => {
    const deployed = planDeploy(input())
    const again = planDeploy(input({configText: deployed.configText, recorded: input().requested, present: new Set([sha('a'), sha('b')])}))
    expect(again.uploads).to.deep.equal([])
    expect(again.configText).to.equal(deployed.configText)
    expect(again).to.include({configChanged: false, addonsPathChanged: false, restart: false, record: false})
  })

  it('copies only what the host lacks, each release once', () => {
    const plan = planDeploy(input({requested: [{repo: 'x', sha256: sha('a')}, {repo: 'y', sha256: sha('c')}, {repo: 'z', sha256: sha('c')}], present: new Set([sha('a')])}))
    expect(plan.uploads).to.deep.equal([sha('c')])
  })

  it('a new order is a new addons_path: restart', () => {
    const deployed = planDeploy(input())
    const swapped = planDeploy(input({requested: [...input().requested].reverse(), configText: deployed.configText, recorded: input().requested, present: new Set([sha('a'), sha('b')])}))
    expect(swapped.addonsPath).to.deep.equal([CORE, releaseDir(sha('b')), releaseDir(sha('a'))])
    expect(swapped).to.include({configChanged: true, restart: true, record: true})
  })

  it('Odoo\'s directories moved (an odoo package upgrade): the path changes, so the service restarts', () => {
    const deployed = planDeploy(input())
    const moved = planDeploy(input({coreDirs: ['/usr/lib/python3/dist-packages/odoo/addons', '/opt/extra'], configText: deployed.configText, recorded: input().requested, present: new Set([sha('a'), sha('b')])}))
    expect(moved).to.include({configChanged: true, addonsPathChanged: true, restart: true, record: false})
  })

  it('a config already right but a set not recorded (a run killed before its restart): no write, but a restart and a record', () => {
    const deployed = planDeploy(input())
    const resumed = planDeploy(input({configText: deployed.configText, recorded: [{repo: 'oca', sha256: sha('a')}], present: new Set([sha('a'), sha('b')])}))
    expect(resumed).to.include({configChanged: false, addonsPathChanged: false, restart: true, record: true})
  })

  it('the same directories written differently are rewritten but need no restart', () => {
    const deployed = planDeploy(input())
    const spaced = deployed.configText.replace(/^addons_path = (.*)$/m, (_line, value: string) => `addons_path=${value.split(',').join(', ')}`)
    const plan = planDeploy(input({configText: spaced, recorded: input().requested, present: new Set([sha('a'), sha('b')])}))
    expect(plan).to.include({configChanged: true, addonsPathChanged: false, restart: false})
    expect(plan.configText).to.equal(deployed.configText)
  })

  it('keeps the rest of the config as it was', () => {
    const plan = planDeploy(input())
    expect(withAddonsPath(plan.configText, undefined)).to.equal(CONFIG)
  })
})

describe('addons deploy: the recorded sets', () => {
  const one = [{repo: 'acme', sha256: sha('1')}]
  const two = [{repo: 'acme', sha256: sha('2')}]
  const three = [{repo: 'acme', sha256: sha('3')}]
  const four = [{repo: 'acme', sha256: sha('4')}]
  const five = [{repo: 'acme', sha256: sha('5')}]

  it('moves the replaced set to the end of the history and keeps the last three', () => {
    let record: {addons?: typeof one; addonsHistory?: (typeof one)[]} = {}
    record = nextAddonsRecord(record, one)
    expect(record).to.deep.equal({addons: one, addonsHistory: []})
    for (const next of [two, three, four, five]) record = nextAddonsRecord(record, next)
    expect(record.addons).to.deep.equal(five)
    expect(record.addonsHistory).to.deep.equal([two, three, four])
  })

  it('records the same set again without touching the history', () => {
    const record = nextAddonsRecord({addons: two, addonsHistory: [one]}, [{repo: 'acme', sha256: sha('2')}])
    expect(record).to.deep.equal({addons: two, addonsHistory: [one]})
  })

  it('every release of any recorded set, current or history', () => {
    expect([...releasesInRecords([{addons: one, addonsHistory: [two]}, {addons: three}, {}])].sort()).to.deep.equal([sha('1'), sha('2'), sha('3')])
  })
})

describe('addons deploy: prune', () => {
  const old = PRUNE_GRACE_SECONDS + 1
  const service = (config: string, addons?: {repo: string; sha256: string}[], history?: {repo: string; sha256: string}[][]): SharedServiceRecord =>
    ({series: '17.0', config, ...(addons ? {addons} : {}), ...(history ? {addonsHistory: history} : {})}) as SharedServiceRecord
  const tenant = (id: string, fields: Partial<TenantRecord>): TenantRecord => ({id, host: 'h1', mode: 'dedicated', domain: `${id}.test`, series: '17.0', database: id, state: 'active', ...fields})

  it('removes old release directories no recorded set names, and old upload leftovers; keeps the rest', () => {
    const entries = [
      {name: sha('a'), ageSeconds: old},
      {name: sha('b'), ageSeconds: old},
      {name: sha('c'), ageSeconds: 5},
      {name: sha('d'), ageSeconds: old},
      {name: '.upload-AbC123', ageSeconds: old},
      {name: '.upload-XyZ789', ageSeconds: 5},
      {name: 'lost+found', ageSeconds: old},
    ]
    const selection = pruneSelection(entries, new Set([sha('b'), sha('d')]))
    expect(selection).to.deep.equal({releases: [sha('a')], leftovers: ['.upload-AbC123']})
    expect(pruneSelection(entries, new Set(), 0).releases).to.deep.equal([sha('a'), sha('b'), sha('c'), sha('d')])
  })

  it('keeps what any service of the host uses or may roll back to, and what its configs name', () => {
    const host: Pick<HostRecord, 'services'> = {services: {'17.0': service('/etc/odoops/shared-17.conf', [{repo: 'x', sha256: sha('1')}], [[{repo: 'x', sha256: sha('2')}]])}}
    const tenants = [
      tenant('acme', {addons: [{repo: 'y', sha256: sha('3')}], addonsHistory: [[{repo: 'y', sha256: sha('4')}]], service: {unit: 'odoops-acme.service', config: '/etc/odoops/tenants/acme.conf', dataDir: '/d', httpPort: 1, geventPort: 2, role: 'r'}}),
      tenant('beta', {mode: 'shared'}),
    ]
    expect([...releasesToKeep(host, tenants, [sha('5')])].sort()).to.deep.equal([sha('1'), sha('2'), sha('3'), sha('4'), sha('5')])
    expect(serviceConfigs(host, tenants)).to.deep.equal(['/etc/odoops/shared-17.conf', '/etc/odoops/tenants/acme.conf'])
  })
})

describe('addons deploy: installed versions against the release', () => {
  const module = (name: string, version?: string): AddonModuleInfo => ({name, title: name, license: 'LGPL-3', depends: [], installable: true, externalPython: [], externalBin: [], ...(version ? {version} : {})})

  it('gives the version Odoo records: the series prefixed to short versions, 1.0 by default', () => {
    expect(releaseVersion(module('a', '1.1'), '17.0')).to.equal('17.0.1.1')
    expect(releaseVersion(module('a', '17.0.2.0.1'), '17.0')).to.equal('17.0.2.0.1')
    expect(releaseVersion(module('a'), '18.0')).to.equal('18.0.1.0')
  })

  it('lists installed modules at another version, not those at the release\'s or not installed', () => {
    const releases = [{repo: 'acme', modules: [module('odoops_demo', '1.1'), module('same', '2.0'), module('absent', '1.0')]}]
    const drift = versionDrift(releases, '17.0', {odoops_demo: '17.0.1.0', same: '17.0.2.0'})
    expect(drift).to.deep.equal([{module: 'odoops_demo', repo: 'acme', installed: '17.0.1.0', release: '17.0.1.1'}])
  })

  it('reads psql\'s name|version rows', () => {
    expect(parseVersionRows('odoops_demo|17.0.1.0\nother|\n\n')).to.deep.equal({odoops_demo: '17.0.1.0', other: ''})
  })
})

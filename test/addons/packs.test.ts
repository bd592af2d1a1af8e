import {expect} from 'chai'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {packAddonRepos, readPackAddons, syncPackRepos, type InstalledPack, type PackAddonRepo} from '../../src/lib/addons/packs.js'
import {addRepo, listRepos, releaseIsLocal, removeRepo, updateRepo, type AddonsEnv} from '../../src/lib/addons/repos.js'
import {isOdoopsError} from '../../src/lib/errors.js'
import {discoverPacks} from '../../src/lib/plugins/discover.js'
import {diagnosePacks} from '../../src/lib/plugins/doctor.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {ROOT} from '../helpers/cli.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')

async function rejection(promise: Promise<unknown>): Promise<{code: string; exit: number; message: string}> {
  try {
    await promise
  } catch (error) {
    if (isOdoopsError(error)) return {code: error.code, exit: error.exit, message: error.message}
    throw error
  }
  throw new Error('expected a rejection')
}

describe('addon repositories shipped by packs (odoops.addons)', () => {
  let base: string
  let store: StateStore
  let env: AddonsEnv
  /** A pack folder holding the demo module at `from` (demo-1.0 or demo-1.1) under addons/. */
  const packAt = (from: string, version: string, type = 'user'): InstalledPack => {
    const root = join(base, `pack-${from}-${version}-${type}`)
    mkdirSync(join(root, 'addons'), {recursive: true})
    cpSync(join(FIXTURES, from), join(root, 'addons'), {recursive: true})
    return {name: '@acme/fieldservice', version, root, type, namespace: 'fieldservice', addons: {fieldservice: 'addons'}}
  }
  const reposOf = (...packs: InstalledPack[]) => packAddonRepos(packs).repos
  const withPacks = (packs: PackAddonRepo[]) => ({...env, packs})

  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'odoops-pack-addons-'))
    store = await openStore(parseStateLocation(undefined, join(base, 'data')))
    env = {store, dataDir: join(base, 'data'), cacheDir: join(base, 'cache')}
  })
  afterEach(async () => store.close())

  it('reads the declaration: a map of names to folders or one folder named after the namespace; names under the namespace, folders inside the package', () => {
    const pack = (addons: unknown): InstalledPack => ({name: '@acme/fieldservice', version: '1.0.0', root: '/p/fs', type: 'link', namespace: 'fieldservice', addons})
    expect(readPackAddons(pack('addons')).repos).to.deep.equal([{repo: 'fieldservice', pack: '@acme/fieldservice', version: '1.0.0', type: 'link', folder: 'addons', dir: '/p/fs/addons'}])
    expect(readPackAddons(pack({fieldservice: 'addons', 'fieldservice-oca': 'vendor/oca'})).repos.map((r) => [r.repo, r.dir])).to.deep.equal([
      ['fieldservice', '/p/fs/addons'],
      ['fieldservice-oca', '/p/fs/vendor/oca'],
    ])
    expect(readPackAddons(pack(undefined))).to.deep.equal({repos: [], problems: []})
    const problems = readPackAddons(pack({wholesale: 'addons', fieldservice: '../elsewhere', 'fieldservice_x': '.', 'Field Service': 'a', 'fieldservice-y': 3})).problems
    expect(problems).to.deep.equal([
      'addon repository name "wholesale" must be the pack\'s namespace "fieldservice" or start with "fieldservice-"',
      '"odoops.addons.fieldservice" (../elsewhere) must be a folder inside the package',
      '"odoops.addons.fieldservice_x" (.) must be a folder inside the package',
      'addon repository name "Field Service" must be 1 to 63 lowercase letters, digits, dashes and underscores',
      '"odoops.addons.fieldservice-y" must be a folder inside the package',
    ])
    expect(readPackAddons(pack(['addons'])).problems[0]).to.include('"odoops.addons" must be a folder of modules')
    // discoverPacks reports them as problems of the pack, without blocking its other contributions.
    const [found] = discoverPacks([{name: '@acme/fieldservice', version: '1.0.0', root: '/p/fs', type: 'link', pjson: {odoops: {apiVersion: '^1.0.0', templates: 'templates', addons: {other: 'addons'}}}}])
    expect(found.manifest).to.not.equal(undefined)
    expect(found.problems).to.deep.equal([{area: 'addons', message: 'addon repository name "other" must be the pack\'s namespace "fieldservice" or start with "fieldservice-"'}])
  })

  it('a pack\'s repository is pinned like a folder the first time it is needed, recorded with the pack, its version and folder', async () => {
    const pack = packAt('demo-1.0', '1.0.0')
    const packs = reposOf(pack)
    const [first] = await syncPackRepos(withPacks(packs))
    expect(first).to.include({repo: 'fieldservice', pack: '@acme/fieldservice', outcome: 'added'})
    expect(first.release!.modules.map((m) => [m.name, m.version])).to.deep.equal([['odoops_demo', '1.0']])
    const [repo] = await listRepos(env)
    expect(repo.id).to.equal('fieldservice')
    expect(repo.source).to.deep.equal({kind: 'pack', pack: '@acme/fieldservice', version: '1.0.0', folder: 'addons'})
    expect(releaseIsLocal(env.dataDir, repo.current)).to.equal(true)
    // The same release as the folder pinned with --dir: one canonical tar whatever the source.
    const dir = await addRepo(env, {name: 'same-folder', source: {kind: 'dir', path: join(pack.root, 'addons')}})
    expect(dir.release.sha256).to.equal(repo.current)
    // Needed again: nothing changes.
    expect((await syncPackRepos(withPacks(packs))).map((r) => r.outcome)).to.deep.equal(['unchanged'])
    expect((await store.addonRepos.get('fieldservice'))!.releases).to.have.length(1)
  })

  it('is pinned again when the installed pack\'s version changes, and a linked pack\'s whenever its content does; repo update works too', async () => {
    await syncPackRepos(withPacks(reposOf(packAt('demo-1.0', '1.0.0'))))
    const before = (await store.addonRepos.get('fieldservice'))!
    // Version 1.1.0 ships module version 1.1.
    const [newer] = await syncPackRepos(withPacks(reposOf(packAt('demo-1.1', '1.1.0'))))
    expect(newer.outcome).to.equal('pinned')
    const after = (await store.addonRepos.get('fieldservice'))!
    expect(after.source).to.deep.include({version: '1.1.0'})
    expect(after.current).to.not.equal(before.current)
    expect(after.releases.map((r) => r.modules[0].version)).to.deep.equal(['1.0', '1.1'])

    // A linked pack at the same version whose module changed is snapshotted again.
    const linked = packAt('demo-1.1', '1.1.0', 'link')
    const manifest = join(linked.root, 'addons', 'odoops_demo', '__manifest__.py')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace("'1.1'", "'1.2'"))
    const [edited] = await syncPackRepos(withPacks(reposOf(linked)))
    expect(edited.outcome).to.equal('pinned')
    expect(edited.release!.modules[0].version).to.equal('1.2')
    // An installed pack at an unchanged version is not read again (npm content changes with the version).
    const installed = packAt('demo-1.0', '1.1.0', 'user')
    expect((await syncPackRepos(withPacks(reposOf(installed))))[0].outcome).to.equal('unchanged')
    // …but repo update pins it from the folder as it is.
    const updated = await updateRepo(withPacks(reposOf(installed)), 'fieldservice')
    expect(updated.outcome).to.equal('pinned')
    expect(updated.release.modules[0].version).to.equal('1.0')
    expect(updated.repo.current).to.equal(before.current)
    // Without the pack, it cannot be pinned again.
    const gone = await rejection(updateRepo(withPacks([]), 'fieldservice'))
    expect(gone).to.include({code: 'ADDONS_PACK_NOT_INSTALLED', exit: 2})
    expect(gone.message).to.include('@acme/fieldservice')
  })

  it('a name clash: the user may not take an installed pack\'s name; a repository of the user registered before keeps it (the pack\'s is shadowed)', async () => {
    const packs = reposOf(packAt('demo-1.0', '1.0.0'))
    const source = join(base, 'mine')
    cpSync(join(FIXTURES, 'demo-1.1'), source, {recursive: true})
    const refused = await rejection(addRepo(withPacks(packs), {name: 'fieldservice', source: {kind: 'dir', path: source}}))
    expect(refused).to.include({code: 'ADDONS_REPO_PACK_NAME', exit: 2})
    expect(refused.message).to.include('pack @acme/fieldservice')
    expect(await listRepos(env)).to.deep.equal([])

    // Registered before the pack was installed: the user's stays and is what templates get.
    const mine = await addRepo(env, {name: 'fieldservice', source: {kind: 'dir', path: source}})
    const [synced] = await syncPackRepos(withPacks(packs))
    expect(synced).to.deep.include({outcome: 'shadowed', shadowedBy: {kind: 'dir', path: source}})
    const kept = (await store.addonRepos.get('fieldservice'))!
    expect(kept.source).to.deep.equal({kind: 'dir', path: source})
    expect(kept.current).to.equal(mine.release.sha256)

    // plugins doctor says so, as a problem of the pack; without the clash the pack is fine.
    const plugin = {name: '@acme/fieldservice', version: '1.0.0', root: join(base, 'pack-demo-1.0-1.0.0-user'), type: 'user', pjson: {odoops: {apiVersion: '^1.0.0', addons: {fieldservice: 'addons'}}}}
    const report = await diagnosePacks([plugin], {store})
    expect(report.packs[0].addons).to.deep.equal([{repo: 'fieldservice', folder: 'addons'}])
    expect(report.broken).to.deep.equal(['@acme/fieldservice'])
    expect(report.packs[0].problems).to.have.length(1)
    expect(report.packs[0].problems[0]).to.include({area: 'addons', subject: 'fieldservice'})
    expect(report.packs[0].problems[0].message).to.include(`your addon repository fieldservice (dir ${source})`)
    await removeRepo(env, 'fieldservice')
    expect((await diagnosePacks([plugin], {store})).broken).to.deep.equal([])

    // Two packs cannot ship one name (namespaces differ, so only a same-namespace pack could try): the first by package name keeps it.
    const twin = {...packAt('demo-1.1', '2.0.0'), name: '@zeta/fieldservice'}
    const both = packAddonRepos([twin, packAt('demo-1.0', '1.0.0')])
    expect(both.repos.map((r) => r.pack)).to.deep.equal(['@acme/fieldservice'])
    expect(both.problems).to.deep.equal([{pack: '@zeta/fieldservice', message: 'addon repository "fieldservice" is already shipped by @acme/fieldservice'}])
  })

  it('remove: refused while the pack is installed (uninstall it instead); allowed once it is not', async () => {
    const packs = reposOf(packAt('demo-1.0', '1.0.0'))
    await syncPackRepos(withPacks(packs))
    const refused = await rejection(removeRepo(withPacks(packs), 'fieldservice'))
    expect(refused).to.include({code: 'ADDONS_REPO_FROM_PACK', exit: 2})
    expect(refused.message).to.include('@acme/fieldservice')
    expect(await store.addonRepos.get('fieldservice')).to.not.equal(undefined)
    const removed = await removeRepo(withPacks([]), 'fieldservice')
    expect(removed.id).to.equal('fieldservice')
    expect(releaseIsLocal(env.dataDir, removed.current)).to.equal(false)
  })

  it('only pins the repositories asked for', async () => {
    const pack = packAt('demo-1.0', '1.0.0')
    const packs = reposOf(pack)
    expect(await syncPackRepos(withPacks(packs), {only: ['server-tools']})).to.deep.equal([])
    expect(await listRepos(env)).to.deep.equal([])
    expect((await syncPackRepos(withPacks(packs), {only: ['fieldservice']})).map((r) => r.outcome)).to.deep.equal(['added'])
  })
})

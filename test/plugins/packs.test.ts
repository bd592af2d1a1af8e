import {expect} from 'chai'
import {existsSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {PACKS, buildPack, linkPacks} from './helpers.js'

describe('vertical packs linked into odoops (plugins link, isolated config)', function () {
  this.timeout(180_000)
  let env: Record<string, string>
  const dir = mkdtempSync(join(tmpdir(), 'odoops-packs-'))

  before(async function () {
    this.timeout(300_000)
    await Promise.all([buildPack(PACKS.wholesale), buildPack(PACKS.ecommerce)])
    env = isolatedEnv()
    await linkPacks(env, [PACKS.wholesale, PACKS.ecommerce])
  })

  it('template list shows the packs\' templates, namespaced and valid, beside the core ones', async () => {
    const result = await runCli(['template', 'list', '--json'], {env})
    expect(result.code, result.stderr).to.equal(0)
    const byName = new Map((result.json.templates as {name: string; valid: boolean; source: string; modules: string[]}[]).map((t) => [t.name, t]))
    expect(byName.get('wholesale/wholesale')).to.include({valid: true, source: '@odoops/wholesale'})
    expect(byName.get('wholesale/wholesale')!.modules).to.include.members(['stock', 'purchase', 'portal'])
    expect(byName.get('ecommerce/webshop')).to.include({valid: true, source: '@odoops/ecommerce'})
    expect(byName.get('distribution')).to.include({valid: true, source: 'core'})
    const show = await runCli(['template', 'show', 'wholesale/wholesale', '--json'], {env})
    expect(show.code, show.stderr).to.equal(0)
    expect(JSON.stringify(show.json)).to.include('warehouses')
  })

  it('plugins doctor lists each pack with its contributions and no problems', async () => {
    const result = await runCli(['plugins', 'doctor', '--json'], {env})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const wholesale = result.json.packs.find((p: {name: string}) => p.name === '@odoops/wholesale')
    expect(wholesale).to.include({ok: true, namespace: 'wholesale', type: 'link', apiVersion: '^1.0.0'})
    expect(wholesale.metrics.map((m: {name: string}) => m.name)).to.deep.equal(['wholesale.warehouses', 'wholesale.pickings_per_warehouse', 'wholesale.active_pricelists'])
    expect(wholesale.steps).to.deep.equal([{name: 'wholesale/warehouses', position: 'after company', templates: ['wholesale/wholesale']}])
    expect(wholesale.commands).to.deep.equal(['wholesale pricelist import'])
    expect(wholesale.addons).to.deep.equal([{repo: 'wholesale', folder: 'addons'}])
    const ecommerce = result.json.packs.find((p: {name: string}) => p.name === '@odoops/ecommerce')
    expect(ecommerce).to.include({ok: true})
    expect(ecommerce.metrics.map((m: {name: string}) => m.name)).to.deep.equal(['ecommerce.website_orders'])
    expect(result.json.broken).to.deep.equal([])
  })

  it('the wholesale pack\'s addon repository: registered when first listed (source pack), not taken by a user repository, not removed while the pack is linked', async () => {
    const list = await runCli(['addons', 'repo', 'list', '--json'], {env})
    expect(list.code, list.stderr).to.equal(0)
    const repo = list.json.repos.find((r: {name: string}) => r.name === 'wholesale')
    expect(repo).to.deep.include({location: 'pack @odoops/wholesale@0.1.0 addons', releases: 1})
    expect(repo.source).to.deep.equal({kind: 'pack', pack: '@odoops/wholesale', version: '0.1.0', folder: 'addons'})
    expect(repo.current.modules).to.equal(1)
    const shown = await runCli(['addons', 'repo', 'show', 'wholesale', '--json'], {env})
    expect(shown.code, shown.stderr).to.equal(0)
    expect(shown.json.release.modules.map((m: {name: string; version: string}) => [m.name, m.version])).to.deep.equal([['odoops_wholesale', '1.0']])
    expect(shown.json.problems).to.deep.equal([])
    // A linked pack whose folder did not change: the same release.
    const update = await runCli(['addons', 'repo', 'update', 'wholesale', '--json'], {env})
    expect(update.code, update.stderr).to.equal(0)
    expect(update.json.outcome).to.equal('unchanged')
    const add = await runCli(['addons', 'repo', 'add', 'wholesale', '--dir', join(PACKS.wholesale, 'addons'), '--json'], {env})
    expect(add.code).to.equal(2)
    expect(add.json.error.code).to.equal('ADDONS_REPO_PACK_NAME')
    const remove = await runCli(['addons', 'repo', 'remove', 'wholesale', '--confirm', 'wholesale', '--json'], {env})
    expect(remove.code).to.equal(2)
    expect(remove.json.error.code).to.equal('ADDONS_REPO_FROM_PACK')
    expect(remove.json.error.suggestions.join(' ')).to.include('odoops plugins uninstall @odoops/wholesale')
  })

  it('onboarding from the wholesale template registers the pack\'s repository it names before checking it (no ADDONS_REPO_NOT_FOUND)', async () => {
    const fresh = isolatedEnv()
    await linkPacks(fresh, [PACKS.wholesale])
    const answers = join(dir, 'onboard-answers.yaml')
    writeFileSync(answers, 'company_name: Acme\ndomain: erp.acme.example\nadmin_email: owner@acme.example\n')
    const result = await runCli(['onboard', '--template', 'wholesale/wholesale', '--answers', answers, '--host', 'nohost', '--yes', '--json', '--credentials-file', join(dir, 'creds.yaml')], {env: fresh})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('HOST_NOT_FOUND')
    const list = await runCli(['addons', 'repo', 'list', '--json'], {env: fresh})
    expect(list.json.repos.map((r: {name: string; location: string}) => [r.name, r.location])).to.deep.equal([['wholesale', 'pack @odoops/wholesale@0.1.0 addons']])
  })

  it('the pack command behaves like a core one under --json: a bad file is every problem with its line, exit 2', async () => {
    const file = join(dir, 'bad.csv')
    writeFileSync(file, 'pricelist,product_code,min_quantity,price\nB2B Gold,FURN-001,10,12.5\n,FURN-002,x,1.234\nB2B Gold,FURN-001,10,13\n')
    const result = await runCli(['wholesale', 'pricelist', 'import', 'nobody', file, '--json'], {env})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('PRICELIST_INVALID')
    expect(result.json.error.data.issues.map((i: {line: number}) => i.line)).to.deep.equal([3, 4])
    expect(result.json.error.message).to.include('min_quantity "x"').and.include('already priced on line 2')
    const good = join(dir, 'good.csv')
    writeFileSync(good, 'pricelist,product_code,price\nB2B Gold,FURN-001,12.50\n')
    const missing = await runCli(['wholesale', 'pricelist', 'import', 'nobody', good, '--json'], {env})
    expect(missing.code).to.equal(2)
    expect(missing.json.error.code).to.equal('TENANT_NOT_FOUND')
  })

  it('a plan prices a pack metric by its name', async () => {
    const plan = join(dir, 'per-warehouse.yaml')
    writeFileSync(
      plan,
      [
        'id: wholesale-per-warehouse',
        'name: Wholesale (per warehouse)',
        'kind: bands',
        'currency: EUR',
        'period: monthly',
        'tax: {category: S, percent: "21"}',
        'metrics:',
        '  wholesale.warehouses: {aggregation: max, description: Warehouses}',
        'components:',
        '  - type: bands',
        '    metric: wholesale.warehouses',
        '    mode: graduated',
        '    bands:',
        '      - {upTo: 1, unitPrice: "0"}',
        '      - {unitPrice: "45.00"}',
        '',
      ].join('\n'),
    )
    const result = await runCli(['plan', 'validate', plan, '--json'], {env})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
  })

  describe('with a deliberately broken pack linked too', function () {
    before(async function () {
      await linkPacks({...env}, [PACKS.broken])
    })

    it('plugins doctor names the broken pack and each problem, exit 1; the good packs stay ok', async () => {
      const result = await runCli(['plugins', 'doctor', '--json'], {env})
      expect(result.code).to.equal(1)
      expect(result.json.broken).to.deep.equal(['odoops-pack-broken'])
      const broken = result.json.packs.find((p: {name: string}) => p.name === 'odoops-pack-broken')
      const areas = broken.problems.map((p: {area: string}) => p.area)
      expect(areas).to.include.members(['template', 'load'])
      expect(JSON.stringify(broken.problems)).to.include('exploded on import').and.include('half-done.yaml')
      expect(broken.metrics.map((m: {name: string}) => m.name)).to.deep.equal(['broken.orders'])
      expect(result.json.packs.filter((p: {ok: boolean}) => p.ok).map((p: {name: string}) => p.name)).to.deep.equal(['@odoops/ecommerce', '@odoops/wholesale'])
      const text = await runCli(['plugins', 'doctor'], {env})
      expect(text.stderr).to.include('odoops-pack-broken').and.include('exploded on import')
    })

    it('odoops --help, tenant list and template list still work', async () => {
      const help = await runCli(['--help'], {env})
      expect(help.code, help.stderr).to.equal(0)
      expect(help.stdout).to.include('wholesale')
      const tenants = await runCli(['tenant', 'list', '--json'], {env})
      expect(tenants.code, tenants.stderr).to.equal(0)
      expect(tenants.stderr).not.to.include('odoops-pack-broken')
      const templates = await runCli(['template', 'list', '--json'], {env})
      expect(templates.code, templates.stderr).to.equal(0)
      expect(templates.json.templates.map((t: {name: string}) => t.name)).to.include.members(['wholesale/wholesale', 'ecommerce/webshop', 'broken/half-done'])
      expect(templates.json.templates.find((t: {name: string}) => t.name === 'broken/half-done').valid).to.equal(false)
      expect(templates.stderr).to.match(/Warning: pack odoops-pack-broken: .*plugins doctor/)
    })
  })
})

describe('plugins install: the allowlist refuses before anything is downloaded', function () {
  this.timeout(120_000)
  let registry: Server
  let requests: string[] = []
  let registryUrl: string

  before(async () => {
    // A stand-in npm registry that records every request: the refused install must make none.
    registry = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`)
      res.writeHead(404, {'content-type': 'application/json'}).end('{"error":"not found"}')
    })
    await new Promise<void>((ok) => registry.listen(0, '127.0.0.1', ok))
    registryUrl = `http://127.0.0.1:${(registry.address() as {port: number}).port}/`
  })
  after(() => registry.close())

  for (const args of [['@acme/odoops-pack-x'], ['@acme/odoops-pack-x', '--yes'], ['--yes', 'left-pad']]) {
    it(`refuses ${args.join(' ')} with exit 2, no registry request, nothing installed`, async () => {
      requests = []
      const env = isolatedEnv({npm_config_registry: registryUrl, ODOOPS_NPM_REGISTRY: registryUrl})
      await linkPacks(env, [])
      expect((await runCli(['config', 'set', 'plugins.allowlist', '@odoops/*,odoops-pack-demo'], {env})).code).to.equal(0)
      const result = await runCli(['plugins', 'install', ...args], {env})
      expect(result.code, result.stdout + result.stderr).to.equal(2)
      expect(result.stderr).to.include('is not on the plugin allowlist')
      expect(requests).to.deep.equal([])
      expect(existsSync(join(env.ODOOPS_DATA_DIR, 'node_modules')) ? readdirSync(join(env.ODOOPS_DATA_DIR, 'node_modules')) : []).to.deep.equal([])
    })
  }
})

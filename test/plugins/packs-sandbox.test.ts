import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'
import {runCli} from '../helpers/cli.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS, type PreparedHost} from '../helpers/prepared-host.js'
import {requireSandboxes, sshRun} from '../helpers/sandbox.js'
import {PACKS, buildPack, linkPacks} from './helpers.js'

const STEP_TIMEOUT_MS = 300_000

/**
 * XML-RPC calls made on the sandbox with Python's own client, straight to the shared
 * service's port (independent of odoops' client). The payload travels base64-encoded.
 */
const RPC = `
import base64, json, sys, xmlrpc.client
p = json.loads(base64.b64decode(sys.argv[1]))
base = 'http://127.0.0.1:%d/xmlrpc/2/' % p['port']
uid = xmlrpc.client.ServerProxy(base + 'common').authenticate(p['db'], 'admin', p['password'], {})
m = xmlrpc.client.ServerProxy(base + 'object', allow_none=True)
print(json.dumps([m.execute_kw(p['db'], uid, p['password'], c[0], c[1], c[2], c[3] if len(c) > 3 else {}) for c in p['calls']]))
`

describe('packs on a prepared host: onboarding runs the pack step, meter collect records pack metrics @host', function () {
  let host: PreparedHost
  let env: Record<string, string>
  const dir = mkdtempSync(join(tmpdir(), 'odoops-packs-host-'))

  before(async function () {
    this.timeout(PREPARED_HOST_TIMEOUT_MS)
    requireSandboxes(this)
    await Promise.all([buildPack(PACKS.wholesale), buildPack(PACKS.ecommerce)])
    host = await preparedHost()
    // The shared host's state store, but a data directory of our own: the packs linked here
    // (the broken one too) stay out of the other suites that use this host.
    env = {...host.env, ODOOPS_STATE: join(host.env.ODOOPS_DATA_DIR, 'state'), ODOOPS_DATA_DIR: mkdtempSync(join(tmpdir(), 'odoops-packs-data-'))}
    await linkPacks(env, [PACKS.wholesale, PACKS.ecommerce, PACKS.broken])
  })

  const adminPassword = (file: string) => (parse(readFileSync(file, 'utf8')) as {logins: {login: string; password: string}[]}).logins.find((l) => l.login === 'admin')!.password
  const rpc = async (db: string, password: string, calls: unknown[][]) => {
    const payload = Buffer.from(JSON.stringify({port: host.prepare.service.httpPort, db, password, calls})).toString('base64')
    const result = await sshRun(host.sandbox, `python3 - ${payload} <<'PY'\n${RPC}\nPY`)
    if (result.exitCode !== 0) throw new Error(`rpc failed: ${result.stderr}`)
    return JSON.parse(result.stdout) as any[]
  }

  const wholesaleDomain = 'grossiste.example.test'
  const wholesaleCredentials = join(dir, 'grossiste.yaml')

  it('onboards from wholesale/wholesale: the pack step creates the answered warehouses (seen through XML-RPC)', async function () {
    this.timeout(STEP_TIMEOUT_MS)
    const answers = join(dir, 'grossiste-answers.yaml')
    writeFileSync(answers, ['company_name: Grossiste Lambert SA', `domain: ${wholesaleDomain}`, 'admin_email: achats@grossiste.example.test', 'warehouses: BRU Bruxelles, ANR Anvers port', 'users: []', ''].join('\n'))
    const result = await runCli(['onboard', '--template', 'wholesale/wholesale', '--answers', answers, '--host', host.host, '--yes', '--json', '--credentials-file', wholesaleCredentials], {env, timeoutMs: STEP_TIMEOUT_MS})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const steps = result.json.steps.map((s: {name: string}) => s.name)
    expect(steps.indexOf('wholesale/warehouses')).to.equal(steps.indexOf('company') + 1)
    expect(result.json.steps.find((s: {name: string}) => s.name === 'wholesale/warehouses').detail).to.equal('created BRU, created ANR')
    expect(result.json.template.name).to.equal('wholesale/wholesale')
    const [warehouses, scope] = await rpc(wholesaleDomain, adminPassword(wholesaleCredentials), [
      ['stock.warehouse', 'search_read', [[]], {fields: ['code', 'name', 'lot_stock_id']}],
      ['ir.config_parameter', 'get_param', ['auth_signup.invitation_scope']],
    ])
    expect(warehouses.map((w: {code: string; name: string}) => [w.code, w.name])).to.deep.equal([['WH', 'My Company'], ['BRU', 'Bruxelles'], ['ANR', 'Anvers port']])
    expect(warehouses[1].lot_stock_id[1]).to.equal('BRU/Stock')
    expect(scope).to.equal('b2b')
  })

  it('wholesale pricelist import --json loads prices through XML-RPC; again changes nothing; --dry-run writes nothing', async function () {
    this.timeout(STEP_TIMEOUT_MS)
    const password = adminPassword(wholesaleCredentials)
    await rpc(wholesaleDomain, password, [['product.product', 'create', [{name: 'Chaise', default_code: 'CH-01', list_price: 50}]], ['product.product', 'create', [{name: 'Table', default_code: 'TB-01', list_price: 200}]]])
    const csv = join(dir, 'prices.csv')
    writeFileSync(csv, 'pricelist,product_code,min_quantity,price\nB2B Or,CH-01,0,41.50\nB2B Or,CH-01,10,39.00\nB2B Argent,TB-01,,180\n')
    const slug = 'grossiste-lambert-sa'
    const first = await runCli(['wholesale', 'pricelist', 'import', slug, csv, '--json'], {env})
    expect(first.code, first.stdout + first.stderr).to.equal(0)
    expect(first.json).to.deep.include({dryRun: false, items: {created: 3, updated: 0, unchanged: 0}})
    expect(first.json.pricelists.created).to.deep.equal(['B2B Or', 'B2B Argent'])
    const again = await runCli(['wholesale', 'pricelist', 'import', slug, csv, '--json'], {env})
    expect(again.json).to.deep.include({items: {created: 0, updated: 0, unchanged: 3}})
    writeFileSync(csv, 'pricelist,product_code,min_quantity,price\nB2B Or,CH-01,10,37.90\n')
    const dry = await runCli(['wholesale', 'pricelist', 'import', slug, csv, '--dry-run', '--json'], {env})
    expect(dry.json).to.deep.include({dryRun: true, items: {created: 0, updated: 1, unchanged: 0}})
    expect(dry.json.changes[0]).to.include({action: 'update', previousPrice: 39, price: 37.9})
    const [items] = await rpc(wholesaleDomain, password, [['product.pricelist.item', 'search_read', [[['applied_on', '=', '1_product']]], {fields: ['fixed_price', 'min_quantity']}]])
    expect(items.map((i: {fixed_price: number}) => i.fixed_price).sort()).to.deep.equal([180, 39, 41.5].sort())
  })

  it('meter collect records the pack metrics; the broken pack\'s metric fails alone (its tenant reported failed, the rest stored); doctor --tenant names it', async function () {
    this.timeout(STEP_TIMEOUT_MS)
    const slug = 'grossiste-lambert-sa'
    const result = await runCli(['meter', 'collect', slug, '--json'], {env, timeoutMs: STEP_TIMEOUT_MS})
    // The meter counts a tenant with any failed metric as failed (exit 1 for a single tenant), and still stores the others.
    expect(result.code, result.stdout + result.stderr).to.equal(1)
    expect(result.json.results[0].stored).to.equal(result.json.results[0].metrics.length - 1)
    const readings = new Map((result.json.results[0].metrics as {metric: string; value?: number; error?: string}[]).map((m) => [m.metric, m]))
    expect(readings.get('wholesale.warehouses')?.value).to.equal(3)
    expect(readings.get('wholesale.active_pricelists')?.value).to.equal(3) // the Public Pricelist and the two imported
    expect(readings.get('wholesale.pickings_per_warehouse')?.value).to.equal(0)
    expect(readings.get('users.internal')?.value).to.be.a('number')
    expect(readings.get('broken.orders')?.error).to.include('broken_no_such_table')
    const show = await runCli(['meter', 'show', slug, '--metric', 'wholesale.warehouses', '--json'], {env})
    expect(show.code, show.stdout + show.stderr).to.equal(0)
    expect(JSON.stringify(show.json)).to.include('wholesale.warehouses')
    const doctor = await runCli(['plugins', 'doctor', '--tenant', slug, '--json'], {env, timeoutMs: STEP_TIMEOUT_MS})
    expect(doctor.code).to.equal(1)
    const broken = doctor.json.packs.find((p: {name: string}) => p.name === 'odoops-pack-broken')
    expect(broken.problems.some((p: {area: string; subject?: string; message: string}) => p.area === 'metric' && p.subject === 'broken.orders' && p.message.includes(slug))).to.equal(true)
    expect(doctor.json.packs.find((p: {name: string}) => p.name === '@odoops/wholesale').ok).to.equal(true)
  })

  it('onboards from ecommerce/webshop: the pack step puts the website on the domain; website orders are metered', async function () {
    this.timeout(STEP_TIMEOUT_MS)
    const domain = 'boutique.example.test'
    const credentials = join(dir, 'boutique.yaml')
    const answers = join(dir, 'boutique-answers.yaml')
    writeFileSync(answers, ['company_name: Boutique Claes', 'shop_name: Claes Online', `domain: ${domain}`, 'admin_email: info@boutique.example.test', 'shop_email: shop@boutique.example.test', 'shop_phone: "+32 2 555 01 02"', ''].join('\n'))
    const result = await runCli(['onboard', '--template', 'ecommerce/webshop', '--answers', answers, '--host', host.host, '--yes', '--json', '--credentials-file', credentials], {env, timeoutMs: STEP_TIMEOUT_MS})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const steps = result.json.steps.map((s: {name: string}) => s.name)
    expect(steps).to.include('ecommerce/website').and.not.include('wholesale/warehouses')
    const password = adminPassword(credentials)
    const [sites, company, partner] = await rpc(domain, password, [
      ['website', 'search_read', [[]], {fields: ['name', 'domain']}],
      ['res.company', 'read', [[1], ['email', 'phone']]],
      ['res.partner', 'create', [{name: 'Client Web'}]],
    ])
    expect(sites).to.deep.equal([{id: 1, name: 'Claes Online', domain: `https://${domain}`}])
    expect(company[0]).to.include({email: 'shop@boutique.example.test', phone: '+32 2 555 01 02'})
    const [order] = await rpc(domain, password, [['sale.order', 'create', [{partner_id: partner}]]])
    await rpc(domain, password, [['sale.order', 'action_confirm', [[order]]]])
    // A webshop order carries its website (website_sale sets it when the cart is made on the site; no RPC does).
    const tag = await sshRun(host.sandbox, `cd / && runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d '${domain}' -c 'UPDATE sale_order SET website_id = 1 WHERE id = ${Number(order)}'`)
    expect(tag.exitCode, tag.stderr).to.equal(0)
    const collect = await runCli(['meter', 'collect', 'boutique-claes', '--metric', 'ecommerce.website_orders', '--metric', 'sales.confirmed', '--json'], {env, timeoutMs: STEP_TIMEOUT_MS})
    expect(collect.code, collect.stdout + collect.stderr).to.equal(0)
    const values = Object.fromEntries(collect.json.results[0].metrics.map((m: {metric: string; value: number}) => [m.metric, m.value]))
    expect(values).to.deep.equal({'ecommerce.website_orders': 1, 'sales.confirmed': 1})
  })
})

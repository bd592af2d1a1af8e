import {expect} from 'chai'
import {execa} from 'execa'
import {mkdtempSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'
import {BIN, runCli} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schema.js'
import {newTestSecret} from '../helpers/secrets.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun, type SandboxInfo} from '../helpers/sandbox.js'
import {mapDomains} from '../tenants/remote-checks.js'

const ONBOARD_TIMEOUT_MS = 300_000
const ANSWERS = 'test/fixtures/answers/distribution.yaml'
const answers = parse(readFileSync(ANSWERS, 'utf8')) as {company_name: string; welcome_note: string; users: {name: string; login: string; role: string}[]}

/**
 * Reads the tenant back through nginx with Python's own XML-RPC client on the sandbox
 * (independent of odoops' client). Parameters travel base64-encoded, so the hostile
 * strings never meet a shell on the way.
 */
const PROBE = `
import base64, json, ssl, sys, xmlrpc.client
p = json.loads(base64.b64decode(sys.argv[1]))
ctx = ssl._create_unverified_context()
url = 'https://' + p['domain']
uid = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/common', context=ctx).authenticate(p['db'], 'admin', p['password'], {})
m = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/object', context=ctx, allow_none=True)
def call(model, method, args, kw=None):
    return m.execute_kw(p['db'], uid, p['password'], model, method, args, kw or {})
out = {'uid': uid}
out['modules'] = {r['name']: r['state'] for r in call('ir.module.module', 'search_read', [[['name', 'in', p['modules']]]], {'fields': ['name', 'state']})}
company = call('res.company', 'read', [[1], ['name', 'country_id', 'currency_id', 'email', 'vat']])[0]
out['company'] = {'name': company['name'], 'country': company['country_id'] and company['country_id'][1], 'currency': company['currency_id'] and company['currency_id'][1], 'email': company['email'], 'vat': company['vat']}
out['langs'] = sorted(r['code'] for r in call('res.lang', 'search_read', [[['active', '=', True]]], {'fields': ['code']}))
out['params'] = {k: call('ir.config_parameter', 'get_param', [k]) for k in p['params']}
out['users'] = {}
for login in p['logins']:
    found = call('res.users', 'search_read', [[['login', '=', login]]], {'fields': ['name', 'groups_id', 'lang'], 'context': {'active_test': False}})
    groups = []
    if found:
        groups = sorted(d['complete_name'] for d in call('ir.model.data', 'search_read', [[['model', '=', 'res.groups'], ['res_id', 'in', found[0]['groups_id']]]], {'fields': ['complete_name']}))
    out['users'][login] = {'count': len(found), 'name': found and found[0]['name'], 'lang': found and found[0]['lang'], 'groups': groups}
out['contacts'] = call('res.partner', 'search_read', [[['ref', '=', 'odoops-main-contact']]], {'fields': ['name', 'comment']})
print(json.dumps(out))
`

interface Probe {
  uid: number | false
  modules: Record<string, string>
  company: {name: string; country: string; currency: string; email: string; vat: string}
  langs: string[]
  params: Record<string, string | false>
  users: Record<string, {count: number; name: string; lang: string; groups: string[]}>
  contacts: {name: string; comment: string}[]
}

async function probe(sandbox: SandboxInfo, params: {domain: string; db: string; password: string; logins: string[]}): Promise<Probe> {
  const payload = Buffer.from(JSON.stringify({...params, modules: ['sale_management', 'purchase', 'stock', 'account'], params: ['mail.catchall.domain', 'odoops.template', 'web.base.url']})).toString('base64')
  const result = await sshRun(sandbox, `python3 - ${payload} <<'PY'\n${PROBE}\nPY`)
  if (result.exitCode !== 0) throw new Error(`probe failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as Probe
}

describe('onboard from the distribution template on a prepared host @host', function () {
  let host: PreparedHost
  let env: Record<string, string>
  const dir = mkdtempSync(join(tmpdir(), 'odoops-onboard-'))
  const logins = answers.users.map((u) => u.login)
  const adminPassword = (file: string) => (parse(readFileSync(file, 'utf8')) as {logins: {login: string; password: string}[]}).logins.find((l) => l.login === 'admin')!.password

  before(async function () {
    host = await preparedHostFor(this)
    env = host.env
  })

  it('refuses invalid answers with every problem listed, exit 2, nothing recorded', async function () {
    this.timeout(60_000)
    const result = await runCli(['onboard', '--template', 'distribution', '--answers', ANSWERS, '--answer', 'admin_email=nope', '--answer', 'country=Belgium', '--domain', 'bad domain', '--yes', '--json', '--credentials-file', join(dir, 'x.yaml')], {env})
    expect(result.code, result.stderr).to.equal(2)
    expect(result.json.error.code).to.equal('ANSWERS_INVALID')
    const questions = (result.json.error.data.issues as {question: string}[]).map((i) => i.question)
    expect(questions).to.include.members(['admin_email', 'country', 'domain'])
    const list = await runCli(['onboard', 'list', '--json'], {env})
    expect(list.json.runs.filter((r: {domain: string}) => r.domain === 'bad domain')).to.deep.equal([])
  })

  let first: {json: any}
  const credentials = join(dir, 'dupont.yaml')

  it('onboards the customer: tenant healthy, modules, company, users with their groups, hostile strings intact', async function () {
    this.timeout(ONBOARD_TIMEOUT_MS)
    const started = Date.now()
    const result = await runCli(['onboard', '--template', 'distribution', '--answers', ANSWERS, '--host', host.host, '--backup-target', 'default', '--yes', '--json', '--credentials-file', credentials], {env, timeoutMs: ONBOARD_TIMEOUT_MS})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    first = result
    const out = result.json
    expect(schemaErrors('onboard', out), 'the --json document matches schemas/onboard.json').to.deep.equal([])
    console.log(`      backup: ${out.steps.find((s: {name: string}) => s.name === 'backup').detail}`)
    console.log(`      onboarding took ${((Date.now() - started) / 1000).toFixed(1)} s: ${out.steps.map((s: {name: string; durationMs: number}) => `${s.name} ${(s.durationMs / 1000).toFixed(1)}s`).join(', ')}`)
    expect(out).to.include({existing: false, resumed: false, url: 'https://dupont-negoce.example.test'})
    expect(out.run).to.match(/^ob-[0-9a-f]{8}$/)
    expect(out.tenant).to.include({slug: 'dupont-fils-negoce-id-sa', state: 'active', plan: 'business', customer: answers.company_name})
    expect(out.steps.map((s: {name: string}) => s.name)).to.deep.equal(['place', 'create-tenant', 'company', 'settings', 'users', 'plan', 'post-main-contact', 'backup', 'health'])
    expect(out.steps.every((s: {state: string; durationMs: number}) => s.state === 'done' && typeof s.durationMs === 'number')).to.equal(true)
    expect(out.users.map((u: {login: string; created: boolean}) => [u.login, u.created])).to.deep.equal(logins.map((l) => [l, true]))
    // The built-in target (a directory under odoops' data dir), named explicitly: the initial backup is taken.
    expect(out.backupId).to.be.a('string')
    expect(out.steps.find((s: {name: string}) => s.name === 'backup').detail).to.include(out.backupId)
    expect(out.initialLogins).to.deep.include({file: credentials, shown: false})
    expect(out.initialLogins.logins).to.deep.equal(['admin', ...logins])
    expect(statSync(credentials).mode & 0o777).to.equal(0o600)
    expect(result.stdout).not.to.include(adminPassword(credentials))

    await mapDomains(host.sandbox, ['dupont-negoce.example.test'])
    const seen = await probe(host.sandbox, {domain: 'dupont-negoce.example.test', db: 'dupont-negoce.example.test', password: adminPassword(credentials), logins})
    expect(seen.uid).to.be.a('number')
    expect(seen.modules).to.deep.equal({sale_management: 'installed', purchase: 'installed', stock: 'installed', account: 'installed'})
    expect(seen.company).to.deep.equal({name: answers.company_name, country: 'Belgium', currency: 'EUR', email: 'direction@dupont-negoce.example.test', vat: 'BE0477472701'})
    expect(seen.langs).to.include.members(['fr_BE', 'nl_BE'])
    expect(seen.params).to.deep.equal({'mail.catchall.domain': 'dupont-negoce.example.test', 'odoops.template': 'distribution', 'web.base.url': 'https://dupont-negoce.example.test'})
    expect(seen.contacts.map((c) => ({name: c.name, comment: c.comment}))).to.deep.equal([{name: answers.company_name, comment: answers.welcome_note}])
    const expected: Record<string, string[]> = {
      sales: ['sales_team.group_sale_salesman_all_leads', 'stock.group_stock_user'],
      purchase: ['purchase.group_purchase_user', 'stock.group_stock_user'],
      warehouse: ['stock.group_stock_user'],
      accountant: ['account.group_account_manager', 'purchase.group_purchase_user', 'sales_team.group_sale_salesman'],
    }
    for (const u of answers.users) {
      const got = seen.users[u.login]
      expect(got.count, u.login).to.equal(1)
      expect(got.name, 'names arrive exactly').to.equal(u.name)
      expect(got.lang).to.equal('fr_BE')
      expect(got.groups).to.include.members(['base.group_user', ...expected[u.role]])
      expect(got.groups, `${u.login} is no manager`).not.to.include('base.group_system')
    }
    expect(seen.users['marc@dupont-negoce.example.test'].groups).not.to.include('stock.group_stock_manager')
  })

  it('running the same answers again reports the existing tenant and creates nothing', async function () {
    this.timeout(120_000)
    const again = await runCli(['onboard', '--template', 'distribution', '--answers', ANSWERS, '--host', host.host, '--yes', '--json', '--credentials-file', join(dir, 'again.yaml')], {env, timeoutMs: 120_000})
    expect(again.code, again.stderr).to.equal(0)
    expect(again.json).to.include({existing: true, run: first.json.run})
    expect(again.json.tenant.slug).to.equal(first.json.tenant.slug)
    const tenants = await runCli(['tenant', 'list', '--json'], {env})
    expect(tenants.json.tenants.filter((t: {domain: string}) => t.domain === 'dupont-negoce.example.test')).to.have.length(1)
    const list = await runCli(['onboard', 'list', '--json'], {env})
    expect(list.json.runs.filter((r: {customer: string}) => r.customer === 'dupont-fils-negoce-id-sa')).to.have.length(1)
  })

  /** Run onboard (or a resume) and SIGKILL it `delayMs` after step `step` starts. */
  async function killAt(args: string[], step: string, delayMs = 0): Promise<string> {
    const child = execa('node', [BIN, ...args], {env: {...env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        if (stderr.includes(`[${step}] `)) setTimeout(() => {
          child.kill('SIGKILL')
          resolve()
        }, delayMs)
      })
      child.on('exit', () => reject(new Error(`onboard ended before step ${step}:\n${stderr}`)))
    })
    await child
    return stderr
  }

  it('killed at each step in turn, --resume completes with no duplicate user, contact or tenant', async function () {
    this.timeout(ONBOARD_TIMEOUT_MS * 3)
    const file = join(dir, 'killed.yaml')
    const domain = 'killed-negoce.example.test'
    await killAt(['onboard', '--template', 'distribution', '--answers', ANSWERS, '--customer', 'killed-negoce', '--domain', domain, '--auto-place', '--yes', '--credentials-file', file], 'create-tenant:database')
    const list = await runCli(['onboard', 'list', '--json'], {env})
    const run = list.json.runs.find((r: {customer: string}) => r.customer === 'killed-negoce')
    expect(run.state).to.equal('interrupted')
    // --auto-place measured the prepared hosts of this store (one here) and recorded its choice.
    expect(run.host).to.equal(host.host)
    expect(run.steps.find((s: {name: string}) => s.name === 'place').detail).to.match(/GiB memory, .* GiB disk free; Odoo 17\.0/)
    // A plain re-run points at the unfinished one instead of starting a second.
    const twice = await runCli(['onboard', '--template', 'distribution', '--answers', ANSWERS, '--customer', 'killed-negoce', '--domain', domain, '--yes', '--json', '--credentials-file', file], {env})
    expect(twice.code).to.equal(2)
    expect(twice.json.error.code).to.equal('ONBOARD_UNFINISHED')
    expect(twice.json.error.suggestions.join(' ')).to.include(`--resume ${run.id}`)

    const resume = ['onboard', '--resume', run.id, '--yes', '--credentials-file', file]
    // Then at every later step in turn, each run resuming the one killed before it.
    for (const [step, delayMs] of [['create-tenant:health', 0], ['company', 0], ['settings', 0], ['users', 1500], ['plan', 0], ['post-main-contact', 0], ['backup', 0], ['health', 0]] as const) {
      await killAt(resume, step, delayMs)
    }
    const done = await runCli([...resume, '--json'], {env, timeoutMs: ONBOARD_TIMEOUT_MS})
    expect(done.code, done.stdout + done.stderr).to.equal(0)
    expect(done.json).to.include({resumed: true, existing: false, state: 'done'})
    expect(done.json.users.map((u: {login: string}) => u.login)).to.deep.equal(logins)
    expect(done.json.users.every((u: {created: boolean}) => u.created)).to.equal(true)

    await mapDomains(host.sandbox, [domain])
    const seen = await probe(host.sandbox, {domain, db: domain, password: adminPassword(file), logins})
    for (const login of logins) expect(seen.users[login].count, login).to.equal(1)
    expect(seen.contacts).to.have.length(1)
    const dbs = await sshRun(host.sandbox, `runuser -u postgres -- psql -XAtc "SELECT count(*) FROM pg_database WHERE datname = '${domain}'"`)
    expect(dbs.stdout.trim()).to.equal('1')
    // Each created user's initial password (written to the credentials file) works.
    const creds = parse(readFileSync(file, 'utf8')) as {logins: {login: string; password: string}[]}
    expect(creds.logins.map((l) => l.login)).to.deep.equal(['admin', ...logins])
  })

  it('a successful onboarding with password answers shows and keeps them nowhere but sealed in the vault', async function () {
    this.timeout(ONBOARD_TIMEOUT_MS)
    // Long ones go to the end-of-run scan too; the 1–3 character ones are characters no output has.
    const secrets = [newTestSecret('smtp'), 'ǂ7', '¶']
    const result = await runCli(['onboard', '--template', 'test/fixtures/templates/with-password.yaml', '--answer', 'company_name=Pw Leaks', '--answer', 'domain=pw-leaks.example.test', '--answer', `smtp_password=${secrets[0]}`, '--answer', `pin=${secrets[1]}`, '--host', host.host, '--yes', '--json', '--credentials-file', join(dir, 'pw-leaks.yaml')], {env, timeoutMs: ONBOARD_TIMEOUT_MS})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const failed = await runCli(['onboard', '--template', 'test/fixtures/templates/with-password.yaml', '--answer', 'company_name=Pw Leaks 2', '--answer', 'domain=pw-leaks.example.test', '--answer', `smtp_password=${secrets[2]}`, '--yes', '--json', '--credentials-file', join(dir, 'pw-leaks-2.yaml')], {env})
    expect(failed.code).to.equal(2)
    const texts = [result.stdout, result.stderr, failed.stdout, failed.stderr, ...(await Promise.all([['audit', 'list', '--json'], ['state', 'export'], ['onboard', 'list', '--json']].map(async (args) => (await runCli(args, {env})).stdout)))]
    const stateDir = join(env.ODOOPS_DATA_DIR, 'state')
    for (const name of readdirSync(stateDir)) if (statSync(join(stateDir, name)).isFile()) texts.push(readFileSync(join(stateDir, name), 'utf8'))
    const hits = secrets.filter((secret) => texts.some((text) => text.includes(secret)))
    expect(hits.map((s) => `a secret of ${[...s].length} characters`)).to.deep.equal([])
  })
})

import {expect} from 'chai'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse, stringify} from 'yaml'
import {connectOdoo, pushInvoices} from '../../src/lib/billing/push/index.js'
import {hostTransport} from '../../src/lib/odoo/index.js'
import {SshPool} from '../../src/lib/ssh/pool.js'
import {creditNote, line, mixedRatesInvoice, standardInvoice} from '../billing/export/invoices.js'
import {ROOT, runCli} from '../helpers/cli.js'
import {buildPack, linkPacks, PACKS} from '../plugins/helpers.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS, type PreparedHost} from '../helpers/prepared-host.js'
import {httpsStatus, odooProbe, odooPython, realSeries, ROW_COUNTS_SCRIPT} from '../helpers/real-odoo.js'
import {downSharedSandboxes, requireSandboxes, sshRun} from '../helpers/sandbox.js'
import {passwordFrom, traces} from '../tenants/remote-checks.js'

/**
 * The @real tier: the whole lifecycle on the REAL Odoo community package of each series in
 * ../shared/odoo (test/helpers/real-odoo.ts), installed by `host prepare --apt-source` on
 * sandboxes exactly as on a partner's host. Every assertion reads the result back with the
 * host's own Odoo code (odoo shell as the odoo user) or the system's tools, never with odoops.
 * Steps of one series share two hosts and run in order; a failed step fails the later ones.
 */
const {present, missing, root} = realSeries()
const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')

describe('real Odoo: supported series present @real', function () {
  it('finds the real package of each supported series (a missing one is named in a notice)', function () {
    if (missing.length) console.warn(`\n  NOTICE: real Odoo ${missing.join(', ')} not found under ${root ?? '../shared/odoo'}: that part of the @real tier is skipped.\n`)
    // Each repository found must hold Odoo of its own series, or the tier would prove the wrong one.
    for (const {series, dir} of present) {
      const index = readFileSync(join(dir, 'Packages'), 'utf8')
      expect(index, dir).to.match(/^Package: odoo$/m)
      expect(/^Version: (\S+)$/m.exec(index)?.[1] ?? '', dir).to.satisfy((v: string) => v.startsWith(`${series}.`) || v.startsWith(`${series}-`))
    }
  })
})

const USERS_SCRIPT = `
import json as j
p = j.loads(%PARAMS%)
Users = env['res.users'].with_context(active_test=False)
field = 'all_group_ids' if 'all_group_ids' in Users._fields else 'groups_id'
out = {'field': field, 'users': {}, 'roles': {}}
for login in p['logins']:
    u = Users.search([('login', '=', login)])
    out['users'][login] = {'count': len(u), 'lang': u[:1].lang, 'groups': sorted(x for x in u[:1][field].get_external_id().values() if x)}
out['langs'] = sorted(env['res.lang'].search([]).mapped('code'))
c = env['res.company'].browse(1)
out['company'] = {'name': c.name, 'country': c.country_id.code, 'currency': c.currency_id.name, 'email': c.email}
print_json(out)
`

function usersScript(params: unknown): string {
  return USERS_SCRIPT.replace('%PARAMS%', JSON.stringify(JSON.stringify(params)))
}

/** Odoo's own user statistics (addons/mail/models/update.py, the publisher-warranty message). */
const WARRANTY_SCRIPT = `
m = env['publisher_warranty.contract']._get_message()
print_json({k: m.get(k) for k in ('nbr_users', 'nbr_active_users', 'nbr_share_users', 'nbr_active_share_users', 'apps')})
`

const WHOLESALE = 'wholesale/wholesale'

for (const {series, dir} of present) {
  const major = series.split('.')[0]
  describe(`real Odoo ${series}: the lifecycle on the real package @real @host`, function () {
    const work = mkdtempSync(join(tmpdir(), `odoops-real-${major}-`))
    const store = `real${major}`
    let a: PreparedHost
    let b: Promise<PreparedHost>
    const shared = {slug: `shr${major}`, domain: `shared-${major}.real.example.test`, database: '', password: ''}
    const dedicated = {slug: `ded${major}`, domain: `dedicated-${major}.real.example.test`, database: '', password: ''}
    const env = () => a.env
    const cli = (args: string[], timeoutMs = 600_000) => runCli([...args, '--json'], {env: env(), timeoutMs})
    const seriesCli = cli
    /**
     * The wholesale pack linked into a data directory of its own on the same state store: its
     * hooks and metrics stay out of the other steps.
     */
    let packEnv: Record<string, string> | undefined
    const packCli = async (args: string[], timeoutMs = 900_000) => {
      if (!packEnv) {
        await buildPack(PACKS.wholesale)
        packEnv = {...env(), ODOOPS_STATE: join(env().ODOOPS_DATA_DIR, 'state'), ODOOPS_DATA_DIR: mkdtempSync(join(tmpdir(), `odoops-real-pack-${major}-`))}
        await linkPacks(packEnv, [PACKS.wholesale])
      }
      return runCli([...args, '--json'], {env: packEnv, timeoutMs})
    }
    let wholesale: {slug: string; database: string} | undefined
    const ok = (r: {code: number; stdout: string; stderr: string}) => expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0)
    /** The Odoo config a tenant's service runs with (a dedicated tenant's database belongs to its own role). */
    const configOf = async (slug: string): Promise<string> => {
      const shown = await cli(['tenant', 'show', slug])
      ok(shown)
      return shown.json.service.config as string
    }

    before(async function () {
      this.timeout(2 * PREPARED_HOST_TIMEOUT_MS)
      requireSandboxes(this)
      // The second host (for the move) boots and prepares while the first one's steps run.
      b = preparedHost(`r${major}b`, {real: {series, dir}, store})
      b.catch(() => {})
      a = await preparedHost(`r${major}a`, {real: {series, dir}, store})
    })

    after(async function () {
      this.timeout(180_000)
      // Wait for the second host's prepare (it may still run when an early step failed), then free both.
      await b?.catch(() => undefined)
      await downSharedSandboxes([`r${major}a`, `r${major}b`])
    })

    it('host prepare installed the real package; a second prepare changes nothing', async function () {
      this.timeout(600_000)
      expect(a.prepare.odooVersion.startsWith(series), a.prepare.odooVersion).to.equal(true)
      const again = await cli(['host', 'prepare', a.host, '--odoo', series, '--apt-source', 'deb [trusted=yes] file:/srv/odoops-fixture-apt ./'])
      ok(again)
      expect(again.json.changed, JSON.stringify(again.json.steps)).to.equal(0)
      const version = await sshRun(a.sandbox, 'dpkg-query -W -f=\'${Version}\' odoo')
      expect(version.stdout.startsWith(series)).to.equal(true)
    })

    it('creates a shared tenant (sale_management, account) and a dedicated one, served through nginx only with their own passwords', async function () {
      this.timeout(900_000)
      for (const [t, mode, modules] of [[shared, 'shared', 'sale_management,account'], [dedicated, 'dedicated', 'base']] as const) {
        const credentials = join(work, `${t.slug}.txt`)
        const created = await cli(['tenant', 'create', t.slug, '--host', a.host, '--mode', mode, '--domain', t.domain, '--modules', modules, '--country', 'BE', '--credentials-file', credentials], 900_000)
        ok(created)
        t.database = created.json.tenant.database
        t.password = passwordFrom(credentials)
        // SNI: nginx's default TLS server refuses unknown names, so the name must travel in the handshake.
        expect(await httpsStatus(a.sandbox, t.domain, '/web/health')).to.equal(200)
        expect([403, 404]).to.include(await httpsStatus(a.sandbox, t.domain, '/web/database/manager'))
        const status = await cli(['tenant', 'status', t.slug])
        ok(status)
      }
      // The default password is refused and the stored one works, asked of Odoo itself.
      const check = await odooProbe(a.sandbox, a.prepare.service.config, shared.database, `
from odoo.exceptions import AccessDenied
def works(pw):
    try:
        env['res.users'].with_user(env.ref('base.user_admin'))._check_credentials({'type': 'password', 'password': pw} if ${major} >= 18 else pw, {'interactive': True})
        return True
    except AccessDenied:
        return False
print_json({'admin': works('admin'), 'stored': works(${JSON.stringify(shared.password)})})
`)
      expect(check).to.deep.equal({admin: false, stored: true})
    })

    it(Number(major) >= 19 ? 'tenant rotate-key replaces the JSON-2 key, and odoops reaches the tenant with the new one' : 'tenant rotate-key is refused before 19.0 (XML-RPC with the password there)', async function () {
      this.timeout(300_000)
      const rotated = await cli(['tenant', 'rotate-key', shared.slug])
      if (Number(major) < 19) {
        expect(rotated.code).to.equal(2)
        expect(rotated.json.error.code).to.equal('TENANT_SERIES_NO_API_KEY')
        return
      }
      ok(rotated)
      expect(rotated.json).to.include({tenant: shared.slug, series, check: 'passed'})
      const keys = await odooProbe(a.sandbox, a.prepare.service.config, shared.database, `print_json(env['res.users.apikeys'].search_count([('name', '=', 'odoops')]))`)
      expect(keys).to.equal(1)
      // The next command that calls into the tenant uses the new key (JSON-2): company data through the session.
      ok(await cli(['tenant', 'update', shared.slug, '--modules', 'sale_management'], 900_000))
    })

    // About 80 s per onboarding: the tier must keep CI inside its time limit, so each template is
    // onboarded on one series or two, every series onboards, and every run onboards every template.
    // On 17.0 and the newest series, the wholesale pack's template (distribution's modules and
    // roles, plus the pack's own Odoo module and onboarding step) and one more: starter (crm) on
    // 17.0, services (project, timesheets) on the newest; the series between them, distribution.
    // That each template's modules exist in every series it targets is checked without Odoo
    // (test/templates/real-series.test.ts reads the real packages).
    const newest = series === present.at(-1)?.series
    const templates = series === '17.0' ? [WHOLESALE, 'starter'] : newest ? [WHOLESALE, 'services'] : ['distribution']
    for (const template of templates) {
      it(`onboards from the ${template} template: every role's groups, language and company as asked`, async function () {
        this.timeout(900_000)
        const cli = template === WHOLESALE ? packCli : seriesCli
        const shown = await cli(['template', 'show', template])
        ok(shown)
        const templateRoles = shown.json.template.roles as Record<string, {groups: string[]}>
        const roles = Object.keys(templateRoles)
        expect(roles.length).to.be.greaterThan(0)
        const domain = `${template.replace('/', '-')}-${major}.real.example.test`
        const questions: {id: string; default?: unknown}[] = shown.json.template.questions
        const answers: Record<string, unknown> = {}
        for (const q of questions) if (q.default !== undefined) answers[q.id] = q.default
        Object.assign(answers, {
          company_name: `Négoce "${template}" ${major} & Fils`,
          domain,
          admin_email: `contact@${domain}`,
          country: 'FR',
          language: 'fr_FR',
          users: roles.map((role, i) => ({name: `User ${role} ${i}`, login: `${role}@${domain}`, role})),
        })
        const file = join(work, `${template.replace('/', '-')}.yaml`)
        writeFileSync(file, stringify(Object.fromEntries(Object.entries(answers).filter(([k]) => questions.some((q) => q.id === k)))))
        const credentials = join(work, `${template.replace('/', '-')}-credentials.yaml`)
        const run = await cli(['onboard', '--template', template, '--answers', file, '--host', a.host, '--credentials-file', credentials, '--yes'], 900_000)
        ok(run)
        const database = run.json.tenant.database as string
        const facts = await odooProbe<{users: Record<string, {count: number; lang: string; groups: string[]}>; langs: string[]; company: Record<string, string>}>(
          a.sandbox,
          a.prepare.service.config,
          database,
          usersScript({logins: roles.map((r) => `${r}@${domain}`)}),
        )
        for (const role of roles) {
          const user = facts.users[`${role}@${domain}`]
          expect(user.count, role).to.equal(1)
          expect(user.lang).to.equal('fr_FR')
          for (const group of templateRoles[role].groups) expect(user.groups, `${role} in ${group}`).to.include(group)
        }
        expect(facts.langs).to.include('fr_FR')
        expect(facts.company).to.include({name: answers.company_name, country: 'FR', email: `contact@${domain}`})
        const creds = parse(readFileSync(credentials, 'utf8')) as {logins: {login: string; password: string}[]}
        expect(creds.logins.length).to.equal(roles.length + 1)
        if (template === WHOLESALE) wholesale = {slug: run.json.tenant.slug, database}
      })
    }

    if (templates.includes(WHOLESALE)) {
      it('wholesale pack: its template installed the pack\'s module; its pricelist import writes prices and the module\'s field records file and line', async function () {
        this.timeout(600_000)
        expect(wholesale, 'the wholesale onboarding ran').to.not.equal(undefined)
        const {slug, database} = wholesale!
        const module = await odooProbe(a.sandbox, a.prepare.service.config, database, `print_json(env['ir.module.module'].search([('name', '=', 'odoops_wholesale')]).state); env['product.product'].create([{'name': 'Chaise', 'default_code': 'CH-01', 'list_price': 50}, {'name': 'Table', 'default_code': 'TB-01', 'list_price': 200}]); env.cr.commit()`)
        expect(module).to.equal('installed')
        const csv = join(work, 'prices.csv')
        writeFileSync(csv, 'pricelist,product_code,min_quantity,price\nB2B Or,CH-01,0,41.50\nB2B Or,CH-01,10,39.00\nB2B Argent,TB-01,,180\n')
        const imported = await packCli(['wholesale', 'pricelist', 'import', slug, csv])
        ok(imported)
        expect(imported.json).to.deep.include({dryRun: false, items: {created: 3, updated: 0, unchanged: 0}})
        const again = await packCli(['wholesale', 'pricelist', 'import', slug, csv])
        ok(again)
        expect(again.json).to.deep.include({items: {created: 0, updated: 0, unchanged: 3}})
        const items = await odooProbe<[number, string][]>(
          a.sandbox,
          a.prepare.service.config,
          database,
          `print_json(sorted([i.fixed_price, i.odoops_wholesale_source] for i in env['product.pricelist.item'].search([('applied_on', '=', '1_product')])))`,
        )
        expect(items).to.deep.equal([[39, 'prices.csv:3'], [41.5, 'prices.csv:2'], [180, 'prices.csv:4']])
      })
    }

    let backupId = ''
    it('backs up, verifies, and restores as a neutralized copy (crons off, new uuid)', async function () {
      this.timeout(900_000)
      // Tables of 1 MiB or more stored by content (format 3), so that verify, restore and the
      // Odoo-zip export below load real Odoo tables (jsonb translations, views) from the pool.
      // Their size is PostgreSQL's own count (relpages), which ANALYZE (autovacuum, in time) keeps.
      const analyzed = await sshRun(a.sandbox, `cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${shared.database}' -c ANALYZE`)
      expect(analyzed.exitCode, analyzed.stderr).to.equal(0)
      const run = await runCli(['backup', 'run', shared.slug, '--json'], {env: {...env(), ODOOPS_BACKUP_LARGE_TABLE_MB: '1'}, timeoutMs: 600_000})
      ok(run)
      backupId = run.json.results[0].backup.id
      expect(run.json.results[0].backup.tables?.count, JSON.stringify(run.json.results[0].backup)).to.be.at.least(1)
      ok(await cli(['backup', 'verify', backupId]))
      const slug = `cpy${major}`
      const credentials = join(work, `${slug}.txt`)
      const restored = await cli(['backup', 'restore', backupId, '--new-tenant', slug, '--host', a.host, '--domain', `copy-${major}.real.example.test`, '--as-copy', '--neutralize', '--credentials-file', credentials], 900_000)
      ok(restored)
      const facts = (db: string) =>
        odooProbe(a.sandbox, a.prepare.service.config, db, `
P = env['ir.config_parameter'].sudo()
print_json({'uuid': P.get_param('database.uuid'), 'neutralized': P.get_param('database.is_neutralized'),
  'crons': sorted(x for x in env['ir.cron'].search([('active', '=', True)]).get_external_id().values()), 'users': env['res.users'].search_count([])})`)
      const [original, copy] = [await facts(shared.database), await facts(restored.json.tenant.database)]
      expect(copy.uuid).to.not.equal(original.uuid)
      expect(String(copy.neutralized).toLowerCase()).to.equal('true')
      // Odoo's neutralize keeps only the autovacuum job (addons/base/data/neutralize.sql).
      expect(copy.crons).to.deep.equal(['base.autovacuum_job'])
      expect(original.crons.length).to.be.greaterThan(1)
      expect(copy.users).to.equal(original.users)
      ok(await cli(['tenant', 'remove', slug, '--confirm', slug]))
    })

    it("exports an Odoo zip that Odoo's own restore_db restores with the same rows; backup import takes it too", async function () {
      this.timeout(900_000)
      const zip = join(work, 'export.zip')
      ok(await cli(['backup', 'export', backupId, '--format', 'odoo-zip', '--output', zip]))
      const remoteZip = `/tmp/odoops-export-${major}.zip`
      const upload = await sshRun(a.sandbox, `cat > ${remoteZip} && chmod 644 ${remoteZip}`, {input: readFileSync(zip) as unknown as string})
      expect(upload.exitCode, upload.stderr).to.equal(0)
      const restoredName = `restore_db_${major}`
      // As the database manager does (odoo/service/db.py restore_db), with list_db enabled for the call.
      const restore = await odooPython(a.sandbox, `
from odoo.tools import config
config.parse_config(['-c', ${JSON.stringify(a.prepare.service.config)}])
config['list_db'] = True
from odoo.service import db
db.restore_db(${JSON.stringify(restoredName)}, ${JSON.stringify(remoteZip)}, copy=True)
print('restored')`)
      expect(restore.code, restore.stderr.slice(-2000)).to.equal(0)
      const [before, after] = [
        await odooProbe(a.sandbox, a.prepare.service.config, shared.database, ROW_COUNTS_SCRIPT),
        await odooProbe(a.sandbox, a.prepare.service.config, restoredName, ROW_COUNTS_SCRIPT),
      ]
      expect(after).to.deep.equal(before)
      await sshRun(a.sandbox, `runuser -u postgres -- dropdb --if-exists ${restoredName}; rm -rf /var/lib/odoo/.local/share/Odoo/filestore/${restoredName}`)
      const slug = `imp${major}`
      const imported = await cli(['backup', 'import', zip, '--new-tenant', slug, '--host', a.host, '--domain', `import-${major}.real.example.test`, '--credentials-file', join(work, `${slug}.txt`)], 900_000)
      ok(imported)
      expect(await odooProbe(a.sandbox, a.prepare.service.config, imported.json.tenant.database, ROW_COUNTS_SCRIPT)).to.deep.equal(before)
      ok(await cli(['tenant', 'remove', slug, '--confirm', slug]))
    })

    it("meters users and apps exactly as Odoo's publisher-warranty message counts them (portal users, logins older and newer than 15 days)", async function () {
      this.timeout(600_000)
      await odooProbe(a.sandbox, a.prepare.service.config, shared.database, `
portal = env.ref('base.group_portal')
internal = env.ref('base.group_user')
field = 'group_ids' if 'group_ids' in env['res.users']._fields else 'groups_id'
made = []
for i in range(3):
    made.append(env['res.users'].create({'name': 'Portal %d' % i, 'login': 'portal%d@real.example.test' % i, field: [(6, 0, [portal.id])]}))
for i in range(2):
    made.append(env['res.users'].create({'name': 'Staff %d' % i, 'login': 'staff%d@real.example.test' % i, field: [(6, 0, [internal.id])]}))
# Logins: one portal user and one internal user recently, one internal user 20 days ago.
for user, days in ((made[0], 2), (made[3], 3), (made[4], 20)):
    env.cr.execute("INSERT INTO res_users_log (create_uid, write_uid, create_date, write_date) VALUES (%s, %s, now() - make_interval(days => %s), now() - make_interval(days => %s))", [user.id, user.id, days, days])
env.cr.commit()
print_json(True)`)
      const collected = await cli(['meter', 'collect', shared.slug])
      ok(collected)
      const shown = await cli(['meter', 'show', shared.slug])
      ok(shown)
      const latest = new Map<string, number>()
      for (const s of shown.json.snapshots as {metric: string; value: number; date: string}[]) latest.set(s.metric, s.value)
      const odoo = await odooProbe(a.sandbox, a.prepare.service.config, shared.database, WARRANTY_SCRIPT)
      expect({
        nbr_users: latest.get('users.active'),
        nbr_active_users: latest.get('users.active_15d'),
        nbr_share_users: latest.get('users.share'),
        apps: latest.get('apps.installed'),
      }).to.deep.equal({nbr_users: odoo.nbr_users, nbr_active_users: odoo.nbr_active_users, nbr_share_users: odoo.nbr_share_users, apps: odoo.apps.length})
    })

    it('pushes issued invoices (prorated, fractional, multi-line, credit note) with totals equal to the cent, twice without duplicates', async function () {
      this.timeout(600_000)
      // The partner's accountant: EUR active, sales taxes at the rates the invoices use.
      await odooProbe(a.sandbox, a.prepare.service.config, shared.database, `
env['res.currency'].with_context(active_test=False).search([('name', '=', 'EUR')]).write({'active': True})
for rate in (21, 6):
    if not env['account.tax'].search([('type_tax_use', '=', 'sale'), ('amount', '=', rate), ('amount_type', '=', 'percent'), ('price_include', '=', False)], limit=1):
        env['account.tax'].create({'name': 'odoops test %d%%' % rate, 'amount': rate, 'amount_type': 'percent', 'type_tax_use': 'sale'})
env.cr.commit()
print_json(True)`)
      // One prorated per-user line: 2.806452 users × 24.90 = 69.88 + 21 % = 84.55 (real 17.0 once posted 84.66).
      const prorated = standardInvoice({
        id: 'INV-2026-00009',
        number: 'INV-2026-00009',
        lines: [line(1, {description: 'Odoo users (prorated)', quantity: '2.806452', unitPrice: '24.90', netAmount: '69.88'})],
        taxSubtotals: [{taxCategory: 'S', taxPercent: '21', taxableAmount: '69.88', taxAmount: '14.67'}],
        totalNet: '69.88',
        totalTax: '14.67',
        totalGross: '84.55',
      })
      const invoices = [standardInvoice(), mixedRatesInvoice(), creditNote(), prorated].map((inv, i) => ({...inv, number: `${inv.number}-R${major}-${i}`}))
      // On 19.0+ the partner pushes with an API key (Preferences → Account Security), as a partner would: JSON-2.
      const partnerKey =
        Number(major) >= 19
          ? await odooProbe<string>(a.sandbox, a.prepare.service.config, shared.database, `
admin = env.ref('base.user_admin')
key = env['res.users.apikeys'].with_user(admin).sudo()._generate(None, 'partner books', None)
env.cr.commit()
print_json(key)`)
          : undefined
      const pool = new SshPool({agentSocket: null})
      const s = a.sandbox
      const conn = await pool.connect({name: s.name, address: s.address, port: s.port, user: 'root', identityFile: s.identityFile, hostKey: s.hostKey})
      try {
        for (let run = 0; run < 2; run++) {
          const connection = await connectOdoo(
            {url: 'http://127.0.0.1', db: shared.database, login: 'admin', ...(partnerKey ? {apiKey: partnerKey} : {password: shared.password})},
            // Host = the tenant's domain: the shared service's dbfilter (^%h$) must accept X-Odoo-Database.
            {transport: hostTransport(conn, {port: a.prepare.service.httpPort, hostHeader: shared.domain})},
          )
          try {
            expect(connection.api.protocol).to.equal(partnerKey ? 'json-2' : 'xml-rpc')
            const report = await pushInvoices(connection.api, invoices, {post: true})
            expect(report.results.map((r) => r.action)).to.deep.equal(invoices.map(() => (run === 0 ? 'created' : 'existing')))
          } finally {
            await connection.close()
          }
        }
      } finally {
        await pool.closeAll()
      }
      const moves = await odooProbe<{ref: string; state: string; untaxed: number; tax: number; total: number}[]>(a.sandbox, a.prepare.service.config, shared.database, `
refs = ${JSON.stringify(invoices.map((i) => i.number))}
print_json([{'ref': m.ref, 'state': m.state, 'untaxed': m.amount_untaxed, 'tax': m.amount_tax, 'total': m.amount_total} for m in env['account.move'].search([('ref', 'in', refs)], order='id')])`)
      expect(moves.map((m) => m.ref)).to.deep.equal(invoices.map((i) => i.number))
      for (const [i, move] of moves.entries()) {
        const ours = invoices[i]
        expect(move.state).to.equal('posted')
        // Credit notes are stored with negative amounts; Odoo's out_refund shows them positive.
        const cents = (v: string) => Math.abs(Math.round(Number(v) * 100))
        expect([move.untaxed, move.tax, move.total].map((v) => Math.round(v * 100)), move.ref).to.deep.equal([cents(ours.totalNet), cents(ours.totalTax), cents(ours.totalGross)])
      }
    })

    it('same-host move shared → dedicated → shared: the same rows and posted invoices, served at its domain through nginx, the old database retired each way', async function () {
      this.timeout(1_200_000)
      // Reuses the shared tenant (accounting, the invoices pushed above): two restores of it on host a.
      const facts = async (database: string) =>
        odooProbe(a.sandbox, await configOf(shared.slug), database, ROW_COUNTS_SCRIPT.replace('print_json(out)', "out['posted_moves'] = env['account.move'].search_count([('state', '=', 'posted')])\nprint_json(out)"))
      const databases = async () => {
        const out = await sshRun(a.sandbox, `cd / && runuser -u postgres -- psql -XAtc "SELECT datname FROM pg_database WHERE datname IN ('${shared.slug}', '${shared.domain}') ORDER BY 1"`)
        expect(out.exitCode, out.stderr).to.equal(0)
        return out.stdout.trim()
      }
      const before = await facts(shared.database)
      for (const [mode, database] of [['dedicated', shared.slug], ['shared', shared.domain]] as const) {
        const moved = await cli(['tenant', 'move', shared.slug, '--mode', mode], 1_200_000)
        ok(moved)
        expect(moved.json).to.include({outcome: 'moved', from: a.host, to: a.host, sameHost: true, retiredOk: true})
        expect(moved.json.switchMs, 'switchMs').to.be.a('number')
        expect(moved.json.tenant).to.include({mode, database, domain: shared.domain})
        expect(await httpsStatus(a.sandbox, shared.domain, '/web/health')).to.equal(200)
        expect(await facts(database)).to.deep.equal(before)
        expect(await databases()).to.equal(database)
        ok(await cli(['tenant', 'status', shared.slug]))
      }
    })

    if (Number(major) >= 19) {
      it('never called the /xmlrpc or /jsonrpc endpoints (deprecated in 19.0, removed in 20): no deprecation notice in the service log', async function () {
        this.timeout(60_000)
        const log = await sshRun(a.sandbox, `cat /var/log/odoops/*.log`)
        expect(log.exitCode, log.stderr).to.equal(0)
        expect(log.stdout.length).to.be.greaterThan(0)
        const notices = log.stdout.split('\n').filter((l) => /endpoints are deprecated in Odoo 19/.test(l))
        expect(notices, notices.slice(0, 3).join('\n')).to.deep.equal([])
      })
    }

    it('installs and upgrades modules with tenant update', async function () {
      this.timeout(900_000)
      ok(await cli(['tenant', 'update', dedicated.slug, '--modules', 'contacts'], 900_000))
      ok(await cli(['tenant', 'update', dedicated.slug, '--modules', 'contacts'], 900_000))
      const state = await odooProbe(a.sandbox, await configOf(dedicated.slug), dedicated.database, `print_json(env['ir.module.module'].search([('name', '=', 'contacts')]).state)`)
      expect(state).to.equal('installed')
    })

    let b2: PreparedHost
    it('moves the dedicated tenant to a second host', async function () {
      this.timeout(1_200_000)
      b2 = await b
      const moved = await cli(['tenant', 'move', dedicated.slug, '--to-host', b2.host], 1_200_000)
      ok(moved)
      expect(await httpsStatus(b2.sandbox, dedicated.domain, '/web/health')).to.equal(200)
      const rows = await odooProbe(b2.sandbox, await configOf(dedicated.slug), dedicated.database, `print_json(env['ir.module.module'].search([('name', '=', 'contacts')]).state)`)
      expect(rows).to.equal('installed')
    })

    // Partner addons on real Odoo (issue: partner addons), on 17.0 and the newest series present.
    if (series === '17.0' || series === present.at(-1)?.series) addonsSteps()

    it('removes the dedicated tenant: nothing left on either host', async function () {
      this.timeout(600_000)
      ok(await cli(['tenant', 'remove', dedicated.slug, '--confirm', dedicated.slug]))
      for (const host of [a, b2]) {
        const left = await traces(host.sandbox, {slug: dedicated.slug, database: dedicated.database})
        expect(left, host.host).to.deep.include({database: 0, unit: 0, vhost: 0, dataDir: 0})
      }
    })

    /**
     * The test module odoops_demo (test/fixtures/addons: 1.0 adds a field to res.partner, 1.1 a
     * second field and a res.partner.category record) on the shared service of host a (tenant
     * shr, its neighbours onboarded above untouched) and on the dedicated tenant, now on host b.
     * Run on the series where the wholesale pack's template was onboarded (its packCli).
     */
    function addonsSteps() {
      const repo = `demo${major}`
      const source = join(work, 'addons-demo')
      const onDemo = `print_json({'fields': sorted(k for k in env['res.partner'].fields_get() if k.startswith('odoops_demo')), 'record': bool(env.ref('odoops_demo.category_demo', raise_if_not_found=False)), 'module': env['ir.module.module'].search([('name', '=', 'odoops_demo')]).read(['state', 'latest_version'])})`
      const started = (host: PreparedHost, unit: string) => sshRun(host.sandbox, `systemctl show -p ExecMainStartTimestamp --value ${unit}`).then((r) => r.stdout.trim())
      const fileOf = (host: PreparedHost, path: string) => sshRun(host.sandbox, `cat ${path}`).then((r) => r.stdout)
      // The shared service of host a runs the wholesale pack's repository since its template was
      // onboarded there: a deploy names the service's whole set, so that one comes first. Addon
      // commands run where the pack is linked (its release is in that data directory).
      const cli = packCli
      const setOf = (host: PreparedHost, args: string[]) => (host === a && !args.includes('--service') ? ['wholesale', repo] : [repo])
      const deploy = (host: PreparedHost, ...args: string[]) => cli(['addons', 'deploy', ...setOf(host, args), ...args, '--host', host.host], 1_200_000)

      it('addons: deploys odoops_demo 1.0 to the shared service and the dedicated one, installs it, then 1.1 with --upgrade: both fields and the record, the neighbours untouched', async function () {
        this.timeout(2_400_000)
        cpSync(join(FIXTURES, 'demo-1.0'), source, {recursive: true})
        ok(await cli(['addons', 'repo', 'add', repo, '--dir', source, '--series', series]))
        ok(await deploy(a))
        ok(await deploy(b2, '--service', dedicated.slug))
        ok(await cli(['tenant', 'update', shared.slug, '--modules', 'odoops_demo'], 900_000))
        ok(await cli(['tenant', 'update', dedicated.slug, '--modules', 'odoops_demo'], 900_000))
        const installed = await odooProbe(b2.sandbox, await configOf(dedicated.slug), dedicated.database, onDemo)
        expect(installed).to.deep.include({fields: ['odoops_demo_tier'], record: false})
        expect(installed.module[0]).to.include({state: 'installed', latest_version: `${series}.1.0`})

        cpSync(join(FIXTURES, 'demo-1.1'), source, {recursive: true})
        const pinned = await cli(['addons', 'repo', 'update', repo])
        ok(pinned)
        expect(pinned.json.outcome).to.equal('pinned')
        for (const [host, tenant, extra] of [[a, shared, []], [b2, dedicated, ['--service', dedicated.slug]]] as const) {
          const upgraded = await deploy(host, ...extra, '--upgrade')
          ok(upgraded)
          expect(upgraded.json.upgrades.map((u: {tenant: string; ok: boolean; modules: string[]}) => [u.tenant, u.ok, u.modules])).to.deep.equal([[tenant.slug, true, ['odoops_demo']]])
          const facts = await odooProbe(host.sandbox, await configOf(tenant.slug), tenant.database, onDemo)
          expect(facts).to.deep.include({fields: ['odoops_demo_since', 'odoops_demo_tier'], record: true})
          expect(facts.module[0]).to.include({state: 'installed', latest_version: `${series}.1.1`})
          expect(await httpsStatus(host.sandbox, tenant.domain, '/web/health')).to.equal(200)
        }
        // The other tenants of the shared service: the module is there to install, not installed, and they answer.
        const listed = await cli(['tenant', 'list', '--host', a.host])
        ok(listed)
        const neighbours = (listed.json.tenants as {slug: string; mode: string; state: string; domain: string; database: string}[]).filter((t) => t.mode === 'shared' && t.state === 'active' && t.slug !== shared.slug)
        expect(neighbours.length).to.be.greaterThan(0)
        for (const t of neighbours) {
          const facts = await odooProbe(a.sandbox, a.prepare.service.config, t.database, `print_json({'installed': env['ir.module.module'].search_count([('name', '=', 'odoops_demo'), ('state', '=', 'installed')]), 'columns': env.cr.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name LIKE 'odoops_demo%%'") or env.cr.fetchone()[0]})`)
          expect(facts, t.slug).to.deep.equal({installed: 0, columns: 0})
          expect(await httpsStatus(a.sandbox, t.domain, '/web/health'), t.slug).to.equal(200)
        }
      })

      it('addons: refuses a manifest syntax error, a dependency nowhere, another series\' version and a module name twice, with the service untouched', async function () {
        this.timeout(600_000)
        const unit = a.prepare.service.unit
        const [before, config] = [await started(a, unit), await fileOf(a, a.prepare.service.config)]
        const other = series === '17.0' ? '16.0' : '17.0'
        const bad: [string, string, string][] = [
          ['syntax', 'odoops_bad_syntax', "{'name': 'bad', 'version': '1.0', 'depends': ['base'],, }"],
          ['nowhere', 'odoops_bad_depends', "{'name': 'bad', 'version': '1.0', 'depends': ['base', 'odoops_nowhere'], 'license': 'LGPL-3'}"],
          ['series', 'odoops_bad_series', `{'name': 'bad', 'version': '${other}.1.0.0', 'depends': ['base'], 'license': 'LGPL-3'}`],
          ['twice', 'odoops_demo', "{'name': 'another odoops_demo', 'version': '1.0', 'depends': ['base'], 'license': 'LGPL-3'}"],
        ]
        for (const [kind, module, manifest] of bad) {
          const dir = join(work, `bad-${kind}`)
          mkdirSync(join(dir, module), {recursive: true})
          writeFileSync(join(dir, module, '__manifest__.py'), manifest + '\n')
          writeFileSync(join(dir, module, '__init__.py'), '')
          ok(await cli(['addons', 'repo', 'add', `bad-${kind}-${major}`, '--dir', dir]))
          const refused = await cli(['addons', 'deploy', 'wholesale', repo, `bad-${kind}-${major}`, '--host', a.host])
          expect(refused.code, kind).to.equal(1)
          expect(refused.json.error.code, kind).to.equal('ADDONS_CHECK_FAILED')
          expect(refused.json.error.data.problems.filter((p: {severity: string}) => p.severity === 'error').length, kind).to.be.greaterThan(0)
        }
        expect(await started(a, unit)).to.equal(before)
        expect(await fileOf(a, a.prepare.service.config)).to.equal(config)
      })

      it('addons: rollback is refused for the upgraded tenant; --restore gives back its data of before the upgrade; a release deployed without upgrade rolls back by itself (17.0) or is switched back at once (19.0)', async function () {
        this.timeout(2_400_000)
        const config = await configOf(dedicated.slug)
        const columns = `print_json(env.cr.execute("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name LIKE 'odoops_demo%%'") or env.cr.fetchone()[0])`
        const refused = await cli(['addons', 'rollback', repo, '--host', b2.host, '--service', dedicated.slug])
        expect(refused.code).to.equal(2)
        expect(refused.json.error.code).to.equal('ADDONS_ROLLBACK_UPGRADED')
        const restored = await cli(['addons', 'rollback', repo, '--host', b2.host, '--service', dedicated.slug, '--restore'], 1_800_000)
        ok(restored)
        expect(restored.json.restored.map((r: {tenant: string}) => r.tenant)).to.deep.equal([dedicated.slug])
        const facts = await odooProbe(b2.sandbox, config, dedicated.database, onDemo)
        expect(facts).to.deep.include({fields: ['odoops_demo_tier'], record: false})
        expect(facts.module[0]).to.include({state: 'installed', latest_version: `${series}.1.0`})
        expect(await odooProbe(b2.sandbox, config, dedicated.database, columns)).to.equal('odoops_demo_tier')
        expect(await httpsStatus(b2.sandbox, dedicated.domain, '/web/health')).to.equal(200)

        // 1.1 deployed again without --upgrade, onto data at 1.0. 17.0 serves it (the new field's
        // column is not read at login) and the rollback needs no restore. 19.0 selects every stored
        // field at login, so the health check fails: the deploy switches back by itself, naming --upgrade.
        const before = await fileOf(b2, config)
        const without = await deploy(b2, '--service', dedicated.slug)
        if (series === '17.0') {
          ok(without)
          const back = await cli(['addons', 'rollback', repo, '--host', b2.host, '--service', dedicated.slug])
          ok(back)
          expect(back.json.restored).to.deep.equal([])
          expect(back.json.deploy.health.map((h: {ok: boolean}) => h.ok)).to.deep.equal([true])
          expect(await fileOf(b2, config)).to.include(`/var/lib/odoops/addons/${back.json.to}`)
        } else {
          expect(without.code, without.stdout + without.stderr).to.equal(1)
          expect(without.json.error.code).to.equal('ADDONS_DEPLOY_FAILED')
          expect(without.json.error.data.rolledBack).to.equal(true)
          expect(without.json.error.suggestions[0]).to.include('--upgrade')
        }
        expect(await fileOf(b2, config)).to.equal(before)
        expect(await httpsStatus(b2.sandbox, dedicated.domain, '/web/health')).to.equal(200)
      })
    }
  })
}

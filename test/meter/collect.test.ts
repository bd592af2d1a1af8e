import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {UsageSnapshot} from '../../src/lib/billing/types.js'
import {runCli} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun} from '../helpers/sandbox.js'
import {withStore} from '../helpers/store.js'

/** Runs SQL as postgres in `database` on the sandbox; psql variables from `vars`. Returns psql -At output. */
async function psql(a: PreparedHost, database: string, sql: string, vars: Record<string, string> = {}): Promise<string> {
  const sets = Object.entries(vars).map(([k, v]) => `-v ${k}='${v}'`).join(' ')
  const b64 = Buffer.from(sql).toString('base64')
  const run = await sshRun(a.sandbox, `cd / && echo ${b64} | base64 -d | runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 ${sets} -d '${database}' -f -`)
  if (run.exitCode !== 0) throw new Error(`psql failed: ${run.stderr}`)
  return run.stdout.trim()
}

/**
 * Seeds a tenant database the way Odoo would have left it: users of every kind with logins
 * 14 and 16 days ago, customer and vendor documents in every type and state, orders and
 * pickings around the day's bounds, and application modules in every state.
 */
const SEED = `
\\set ON_ERROR_STOP 1
SELECT partner_id AS p, currency_id AS c FROM res_company ORDER BY id LIMIT 1 \\gset
INSERT INTO res_users (company_id, partner_id, active, login, share, create_date)
VALUES (1, :p, true,  'm-int-14d', false, now()), (1, :p, true,  'm-int-16d', false, now()),
       (1, :p, true,  'm-int-nullshare', NULL, now()),
       (1, :p, true,  'm-portal-1d', true, now()), (1, :p, true,  'm-portal', true, now()),
       (1, :p, false, 'm-archived-int', false, now()), (1, :p, false, 'm-archived-portal', true, now());
INSERT INTO res_users_log (create_uid, create_date, write_uid, write_date)
SELECT id, (now() at time zone 'utc') - d * interval '1 day', id, (now() at time zone 'utc') - d * interval '1 day'
FROM res_users JOIN (VALUES ('m-int-14d', 14), ('m-int-16d', 16), ('m-portal-1d', 1), ('m-archived-int', 2)) AS l(login, d) USING (login);

INSERT INTO ir_module_module (name, state, application) VALUES
  ('x_meter_app_upgrade', 'to upgrade', true), ('x_meter_app_remove', 'to remove', true),
  ('x_meter_app_uninstalled', 'uninstalled', true), ('x_meter_app_install', 'to install', true),
  ('x_meter_lib', 'installed', false);

SELECT min(id) AS j FROM account_journal \\gset
INSERT INTO account_move (journal_id, currency_id, date, auto_post, state, move_type, invoice_date, create_date)
SELECT :j, :c, :'day'::date, 'no', s, t, :'day'::date, now()
FROM unnest(ARRAY['draft', 'posted', 'cancel']) s,
     unnest(ARRAY['entry', 'out_invoice', 'out_refund', 'in_invoice', 'in_refund', 'out_receipt', 'in_receipt']) t;
INSERT INTO account_move (journal_id, currency_id, date, auto_post, state, move_type, invoice_date) VALUES
  (:j, :c, :'day'::date, 'no', 'posted', 'out_invoice', :'day'::date),
  (:j, :c, :'day'::date, 'no', 'posted', 'out_invoice', :'day'::date - 1),
  (:j, :c, :'day'::date, 'no', 'posted', 'out_invoice', NULL);

INSERT INTO sale_order (company_id, partner_id, partner_invoice_id, partner_shipping_id, name, state, date_order)
SELECT 1, :p, :p, :p, 'S-' || s, s, :'day'::date + time '10:00'
FROM unnest(ARRAY['draft', 'sent', 'sale', 'cancel', 'done']) s;
INSERT INTO sale_order (company_id, partner_id, partner_invoice_id, partner_shipping_id, name, state, date_order) VALUES
  (1, :p, :p, :p, 'S-midnight', 'sale', :'day'::date + time '00:00'),
  (1, :p, :p, :p, 'S-eve', 'sale', :'day'::date - interval '1 second'),
  (1, :p, :p, :p, 'S-next', 'sale', :'day'::date + interval '1 day');

SELECT min(id) AS pt FROM stock_picking_type \\gset
SELECT min(id) AS loc FROM stock_location \\gset
INSERT INTO stock_picking (location_id, location_dest_id, picking_type_id, move_type, name, state, date_done)
SELECT :loc, :loc, :pt, 'direct', 'P-' || s, s, :'day'::date + time '12:00'
FROM unnest(ARRAY['draft', 'waiting', 'confirmed', 'assigned', 'done', 'cancel']) s;
INSERT INTO stock_picking (location_id, location_dest_id, picking_type_id, move_type, name, state, date_done) VALUES
  (:loc, :loc, :pt, 'direct', 'P-late', 'done', :'day'::date + time '23:59:59.999'),
  (:loc, :loc, :pt, 'direct', 'P-before', 'done', :'day'::date - interval '1 minute'),
  (:loc, :loc, :pt, 'direct', 'P-nodate', 'done', NULL);
`

/** The counts Odoo's domains give, written independently of src/lib/meter/sql.ts (other operators, joins, casts). */
const INDEPENDENT: Record<string, string> = {
  'users.active': 'SELECT sum(CASE WHEN active THEN 1 ELSE 0 END) FROM res_users',
  'users.internal': 'SELECT count(*) FROM res_users WHERE active AND NOT coalesce(share, false)',
  'users.share': 'SELECT count(*) FILTER (WHERE active AND share) FROM res_users',
  'users.active_15d':
    "SELECT count(DISTINCT u.id) FROM res_users u JOIN res_users_log l ON l.create_uid = u.id WHERE u.active AND l.create_date >= (now() at time zone 'utc') - interval '15 days'",
  'apps.installed': "SELECT count(*) FROM ir_module_module WHERE application AND state NOT IN ('uninstalled', 'uninstallable', 'to install')",
  'invoices.posted': "SELECT count(*) FROM account_move WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund') AND invoice_date::text = :'day'",
  'sales.confirmed': "SELECT count(*) FROM sale_order WHERE state IN ('sale', 'done') AND date_order::date::text = :'day'",
  'pickings.done': "SELECT count(*) FROM stock_picking WHERE state = 'done' AND to_char(date_done, 'YYYY-MM-DD') = :'day'",
}

const METRICS = ['users.active', 'users.internal', 'users.share', 'users.active_15d', 'apps.installed', 'storage.database_bytes', 'storage.filestore_bytes', 'invoices.posted', 'sales.confirmed', 'pickings.done']

describe('meter collect on a prepared host @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const slug = `mt-${randomBytes(3).toString('hex')}`
  const domain = `${slug}.meter.example.test`
  const bare = `${slug}-bare`
  const bareDb = `${domain}-bare`
  const ghost = `${slug}-ghost`
  const day = new Date().toISOString().slice(0, 10)
  const FILES = [1000, 2000, 5000]

  const readings = (json: {results: {tenant: string; metrics: {metric: string; value?: number}[]}[]}, tenant: string) =>
    Object.fromEntries(json.results.find((r) => r.tenant === tenant)!.metrics.map((m) => [m.metric, m.value]))

  async function filestoreBytes(database: string): Promise<number> {
    const dir = `${a.prepare.service.dataDir}/filestore/${database}`
    const py = `import os,sys; d=sys.argv[1]; print(sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs) if os.path.isdir(d) else 0)`
    const run = await sshRun(a.sandbox, `python3 -c '${py}' '${dir}'`)
    return Number(run.stdout.trim())
  }

  before(async function () {
    a = await preparedHostFor(this, 600_000)
    env = a.env
    const credentials = join(mkdtempSync(join(tmpdir(), 'odoops-mt-')), 'creds.txt')
    const created = await runCli(['tenant', 'create', slug, '--host', a.host, '--domain', domain, '--modules', 'sale_management,stock', '--json', '--credentials-file', credentials], {env, timeoutMs: 400_000})
    expect(created.code, created.stdout + created.stderr).to.equal(0)
    await psql(a, domain, SEED, {day})
    const store = `${a.prepare.service.dataDir}/filestore/${domain}`
    const files = FILES.map((n, i) => `mkdir -p '${store}/a${i}' && head -c ${n} /dev/zero > '${store}/a${i}/f${i}'`).join(' && ')
    expect((await sshRun(a.sandbox, `${files} && chown -R odoo:odoo '${store}'`)).exitCode).to.equal(0)

    // A tenant without sales, stock or accounting: a copy of the database with those modules' tables dropped.
    const role = a.prepare.service.role
    await psql(a, 'postgres', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'src' AND pid <> pg_backend_pid();\nCREATE DATABASE :"dst" TEMPLATE :"src" OWNER :"role";`, {src: domain, dst: bareDb, role})
    await psql(a, bareDb, 'DROP TABLE sale_order, stock_picking, account_move CASCADE;')
    await withStore(env, async (s) => {
      const tenant = (await s.tenants.get(slug))!
      await s.tenants.insert({...tenant, id: bare, database: bareDb, domain: `${bare}.meter.example.test`})
      await s.tenants.insert({...tenant, id: ghost, database: `${domain}-ghost`, domain: `${ghost}.meter.example.test`})
    })
  })

  // The prepared host is shared by other files: leave no hand-made tenant records behind.
  after(async function () {
    this.timeout(120_000)
    if (!a) return
    await withStore(env, async (s) => {
      await s.tenants.delete(bare)
      await s.tenants.delete(ghost)
    })
    await psql(a, 'postgres', 'DROP DATABASE IF EXISTS :"db" WITH (FORCE);', {db: bareDb}).catch(() => {})
  })

  it('measures every metric exactly as an independent count of Odoo\'s domains gives it', async function () {
    this.timeout(300_000)
    const dbBefore = Number(await psql(a, 'postgres', "SELECT pg_database_size(:'db')", {db: domain}))
    const run = await runCli(['meter', 'collect', slug, bare, '--date', day, '--json'], {env, timeoutMs: 240_000})
    const dbAfter = Number(await psql(a, 'postgres', "SELECT pg_database_size(:'db')", {db: domain}))
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    expect(run.json).to.include({date: day, succeeded: 2, failed: 0, snapshots: 20, exitCode: 0})
    const got = readings(run.json, slug)
    expect(Object.keys(got)).to.have.members(METRICS)
    for (const [metric, sql] of Object.entries(INDEPENDENT)) {
      expect(got[metric], metric).to.equal(Number(await psql(a, domain, sql, {day})))
    }
    // The seed's hand-counted figures (admin is the one other active internal user).
    expect(got).to.include({'users.active': 6, 'users.internal': 4, 'users.share': 2, 'invoices.posted': 3, 'sales.confirmed': 3, 'pickings.done': 2})
    expect(got['users.active_15d']).to.be.within(2, 3) // m-int-14d, m-portal-1d, admin when it logged in
    expect(got['storage.database_bytes']).to.be.within(Math.min(dbBefore, dbAfter), Math.max(dbBefore, dbAfter))
    expect(got['storage.filestore_bytes']).to.equal(await filestoreBytes(domain))
    expect(got['storage.filestore_bytes']).to.be.at.least(8000)

    // Absent modules count 0, not errors; the copy has no filestore directory at all.
    const bareGot = readings(run.json, bare)
    expect(bareGot).to.include({'invoices.posted': 0, 'sales.confirmed': 0, 'pickings.done': 0, 'storage.filestore_bytes': 0, 'users.internal': 4})
    expect(run.json.results.find((r: {tenant: string}) => r.tenant === bare).ok).to.equal(true)

    const stored = await withStore(env, (s) => s.usageSnapshots.list({tenant: slug}))
    expect(stored).to.have.length(10)
    const internal = stored.find((s) => s.metric === 'users.internal') as UsageSnapshot
    expect(internal).to.include({id: `${slug}/${day}/users.internal`, date: day, value: 4, unit: 'users', queryVersion: 1, odooVersion: a.prepare.odooVersion})
    expect(internal.collectedAt).to.match(/^\d{4}-\d\d-\d\dT/)
  })

  it('re-collecting the same day replaces the snapshots, never duplicates them', async function () {
    this.timeout(300_000)
    await psql(a, domain, "SELECT min(id) AS j FROM account_journal \\gset\nSELECT currency_id AS c FROM res_company ORDER BY id LIMIT 1 \\gset\nINSERT INTO account_move (journal_id, currency_id, date, auto_post, state, move_type, invoice_date) VALUES (:j, :c, :'day'::date, 'no', 'posted', 'out_refund', :'day'::date);", {day})
    const run = await runCli(['meter', 'collect', slug, '--date', day, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    expect(readings(run.json, slug)['invoices.posted']).to.equal(4)
    const stored = await withStore(env, (s) => s.usageSnapshots.list({tenant: slug}))
    expect(stored).to.have.length(10)
    expect(stored.filter((s) => s.metric === 'invoices.posted').map((s) => s.value)).to.deep.equal([4])
  })

  it('reports a failing tenant with its error and still stores the others (exit 3)', async function () {
    this.timeout(300_000)
    const run = await runCli(['meter', 'collect', ghost, bare, '--date', day, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(3)
    expect(run.json).to.include({succeeded: 1, failed: 1, exitCode: 3})
    const failed = run.json.results.find((r: {tenant: string}) => r.tenant === ghost)
    expect(failed.ok).to.equal(false)
    expect(failed.error.code).to.equal('METER_DB_CONNECT')
    expect(failed.error.message).to.include(`${domain}-ghost`)
    expect(await withStore(env, (s) => s.usageSnapshots.count({tenant: ghost}))).to.equal(0)
    expect(await withStore(env, (s) => s.usageSnapshots.count({tenant: bare}))).to.equal(10)
    const audit = await runCli(['audit', 'list', '--json'], {env})
    const event = (audit.json.events as {command: string; outcome: string; exitCode: number}[]).filter((e) => e.command === 'meter:collect').at(-1)
    expect(event).to.include({outcome: 'partial', exitCode: 3})
  })

  it('meter show gives the raw snapshots under --json and a table with a chart otherwise', async function () {
    this.timeout(120_000)
    const json = await runCli(['meter', 'show', slug, '--from', day, '--to', day, '--json'], {env})
    expect(json.code, json.stderr).to.equal(0)
    expect(json.json).to.include({tenant: slug, from: day, to: day})
    expect(json.json.snapshots.map((s: UsageSnapshot) => s.metric)).to.have.members(METRICS)
    const one = await runCli(['meter', 'show', slug, '--metric', 'users.internal', '--to', day], {env})
    expect(one.code, one.stderr).to.equal(0)
    expect(one.stdout).to.include(day).and.to.include('█')
    const all = await runCli(['meter', 'show', slug, '--to', day], {env})
    expect(all.stdout).to.include('users.internal').and.to.include('pickings.done').and.to.match(/·+▄/)
  })
})

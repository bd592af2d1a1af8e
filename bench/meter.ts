/**
 * bench/meter: `odoops meter collect --all` for 200 tenants on 2 sandboxes, against a naive
 * loop of `ssh host psql -c …` per tenant and metric (one OpenSSH connection and one psql
 * per measurement, filestores by `ssh host du`), in the same run, on the same databases.
 *
 * The 200 tenants are CLONES: creating 200 real tenants (`odoo -i` each) would take hours,
 * so one fixture tenant is created per sandbox with `tenant create` (sale_management, stock),
 * seeded with users, logins, invoices, orders, pickings and attachments, and its database
 * copied 99 times with `CREATE DATABASE … TEMPLATE` (filestore copied too). The copies are
 * registered as tenant records in the bench's own isolated state store (shared mode, the
 * host's shared service role, as `tenant create` records them). The bench says so in its output.
 *
 *   npx tsc -p tsconfig.json && node --import tsx bench/meter.ts     (root, sandboxes needed)
 *   ODOOPS_BENCH_TENANTS=40 ODOOPS_BENCH_RUNS=3 node --import tsx bench/meter.ts
 *
 * Target: odoops >= 10x faster than the naive loop.
 */
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FIXTURE_APT_SOURCE} from '../src/lib/sandbox/sandbox.js'
import {openStore, parseStateLocation} from '../src/lib/state/open.js'
import {isolatedEnv} from '../test/helpers/cli.js'
import {downAllSandboxes, sandboxesAvailable, sharedSandbox, sshArgs, type SandboxInfo} from '../test/helpers/sandbox.js'
import {median, s, timedCli as cli} from './timed-cli.js'

const TENANTS = Number(process.env.ODOOPS_BENCH_TENANTS ?? 200)
const RUNS = Number(process.env.ODOOPS_BENCH_RUNS ?? 3)
const HOSTS = ['benchm1', 'benchm2']
const TARGET_RATIO = 10

/** Runs a bash script on the sandbox (sent base64 so no quoting is involved). */
async function remote(info: SandboxInfo, scriptText: string): Promise<string> {
  const b64 = Buffer.from(scriptText).toString('base64')
  const run = await execa('ssh', [...sshArgs(info), `echo ${b64} | base64 -d | bash`], {reject: false, stdin: 'ignore', timeout: 1_800_000})
  if (run.exitCode !== 0) throw new Error(`remote script failed on ${info.name}: ${run.stderr}`)
  return run.stdout
}

const SEED = `
SELECT partner_id AS p, currency_id AS c FROM res_company ORDER BY id LIMIT 1 \\gset
INSERT INTO res_users (company_id, partner_id, active, login, share)
SELECT 1, :p, g % 7 <> 0, 'u' || g, g % 3 = 0 FROM generate_series(1, 40) g;
INSERT INTO res_users_log (create_uid, create_date) SELECT id, (now() at time zone 'utc') - (id % 20) * interval '1 day' FROM res_users WHERE login LIKE 'u%';
SELECT min(id) AS j FROM account_journal \\gset
INSERT INTO account_move (journal_id, currency_id, date, auto_post, state, move_type, invoice_date)
SELECT :j, :c, current_date, 'no', (ARRAY['draft', 'posted', 'cancel'])[1 + g % 3], (ARRAY['out_invoice', 'out_refund', 'in_invoice', 'entry'])[1 + g % 4], current_date - g % 2
FROM generate_series(1, 300) g;
INSERT INTO sale_order (company_id, partner_id, partner_invoice_id, partner_shipping_id, name, state, date_order)
SELECT 1, :p, :p, :p, 'S' || g, (ARRAY['draft', 'sale', 'cancel'])[1 + g % 3], (now() at time zone 'utc') - (g % 3) * interval '1 day' FROM generate_series(1, 120) g;
SELECT min(id) AS pt FROM stock_picking_type \\gset
SELECT min(id) AS loc FROM stock_location \\gset
INSERT INTO stock_picking (location_id, location_dest_id, picking_type_id, move_type, name, state, date_done)
SELECT :loc, :loc, :pt, 'direct', 'P' || g, (ARRAY['done', 'assigned'])[1 + g % 2], (now() at time zone 'utc') - (g % 2) * interval '1 day' FROM generate_series(1, 80) g;
`

/** The naive baseline's SQL: the same counts as the core metrics, one psql per metric. */
function naiveQueries(day: string): Record<string, string> {
  return {
    'users.active': 'SELECT count(*) FROM res_users WHERE active',
    'users.internal': 'SELECT count(*) FROM res_users WHERE active AND share IS NOT TRUE',
    'users.share': 'SELECT count(*) FROM res_users WHERE active AND share',
    'users.active_15d': "SELECT count(*) FROM res_users WHERE active AND id IN (SELECT create_uid FROM res_users_log WHERE create_date >= (now() at time zone 'utc') - interval '15 days')",
    'apps.installed': "SELECT count(*) FROM ir_module_module WHERE application AND state IN ('installed', 'to upgrade', 'to remove')",
    'storage.database_bytes': 'SELECT pg_database_size(current_database())',
    'invoices.posted': `SELECT count(*) FROM account_move WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund') AND invoice_date = '${day}'`,
    'sales.confirmed': `SELECT count(*) FROM sale_order WHERE state IN ('sale', 'done') AND date_order >= '${day}' AND date_order < date '${day}' + 1`,
    'pickings.done': `SELECT count(*) FROM stock_picking WHERE state = 'done' AND date_done >= '${day}' AND date_done < date '${day}' + 1`,
  }
}

interface BenchHost {
  name: string
  info: SandboxInfo
  dataDir: string
  databases: string[]
}

async function prepareHost(env: Record<string, string>, name: string, count: number): Promise<BenchHost> {
  const info = await sharedSandbox(name, {image: 'postgres-nginx', fixtureOdoo: true})
  await cli(env, ['host', 'add', name, '--address', info.address, '--port', String(info.port), '--user', info.user, '--identity', info.identityFile, '--host-key', info.hostKey])
  const prepared = await cli(env, ['host', 'prepare', name, '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE])
  const service = prepared.json.service as {unit: string; dataDir: string; role: string}
  const slug = `${name}-000`
  const domain = `${slug}.bench.test`
  const creds = mkdtempSync(join(tmpdir(), 'odoops-bench-meter-'))
  await cli(env, ['tenant', 'create', slug, '--host', name, '--domain', domain, '--modules', 'sale_management,stock', '--credentials-file', join(creds, slug)])
  const seed = Buffer.from(SEED).toString('base64')
  const clones = Array.from({length: count - 1}, (_, i) => `${domain}-c${String(i + 1).padStart(3, '0')}`)
  const fs = `${service.dataDir}/filestore`
  // Seed, attachments, then the copies (the shared service stopped meanwhile: a template database must have no sessions).
  await remote(
    info,
    [
      'set -euo pipefail',
      'cd /',
      `echo ${seed} | base64 -d | runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${domain}' -f -`,
      `for i in $(seq 1 12); do d='${fs}/${domain}'/$(printf %02x $i); mkdir -p "$d"; head -c $((i * 7000)) /dev/urandom > "$d/f$i"; done`,
      `systemctl stop '${service.unit}'`,
      `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${domain}'"`,
      `for c in ${clones.map((c) => `'${c}'`).join(' ')}; do`,
      `  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \\"$c\\" TEMPLATE \\"${domain}\\" OWNER \\"${service.role}\\""`,
      `  cp -a '${fs}/${domain}' "${fs}/$c"`,
      'done',
      `chown -R odoo:odoo '${fs}'`,
      `systemctl start '${service.unit}'`,
    ].join('\n'),
  )
  const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
  try {
    const source = (await store.tenants.get(slug))!
    for (const [i, db] of clones.entries()) {
      const id = `${name}-${String(i + 1).padStart(3, '0')}`
      await store.tenants.insert({...source, id, database: db, domain: `${id}.bench.test`, operation: undefined})
    }
  } finally {
    await store.close()
  }
  return {name, info, dataDir: service.dataDir, databases: [domain, ...clones]}
}

/** The naive way: for every tenant and metric, a new ssh connection running one psql (or du). */
async function naiveLoop(hosts: BenchHost[], day: string): Promise<{ms: number; values: Map<string, number>}> {
  const queries = naiveQueries(day)
  const values = new Map<string, number>()
  const started = performance.now()
  for (const host of hosts) {
    for (const db of host.databases) {
      for (const [metric, sql] of Object.entries(queries)) {
        const run = await execa('ssh', [...sshArgs(host.info), `cd / && runuser -u postgres -- psql -X -At -d '${db}' -c "${sql.replaceAll('"', '\\"')}"`], {stdin: 'ignore'})
        values.set(`${db}/${metric}`, Number(run.stdout.trim()))
      }
      const du = await execa('ssh', [...sshArgs(host.info), `find '${host.dataDir}/filestore/${db}' -type f -printf '%s\\n' 2>/dev/null | awk '{s+=$1} END {printf "%.0f", s}'`], {stdin: 'ignore', reject: false})
      values.set(`${db}/storage.filestore_bytes`, Number(du.stdout.trim() || 0))
    }
  }
  return {ms: performance.now() - started, values}
}

async function main(): Promise<void> {
  const support = sandboxesAvailable()
  if (!support.ok) throw new Error(`bench/meter needs sandboxes: ${support.reason}`)
  const env = isolatedEnv()
  try {
    const perHost = Math.ceil(TENANTS / HOSTS.length)
    const setupStarted = performance.now()
    const hosts = await Promise.all(HOSTS.map((name) => prepareHost(env, name, perHost)))
    const total = hosts.reduce((n, h) => n + h.databases.length, 0)
    process.stdout.write(
      `${total} tenants on ${hosts.length} sandboxes (fixture Odoo 17.0, shared service): on each host one tenant made by \`tenant create\` ` +
        `and seeded, and ${perHost - 1} copies of its database (CREATE DATABASE … TEMPLATE) and filestore, registered as tenant ` +
        `records in this bench's own isolated state store. Setup took ${s(performance.now() - setupStarted)} s.\n\n`,
    )
    const day = new Date().toISOString().slice(0, 10)
    const odoops: number[] = []
    let last: {json: {succeeded: number; failed: number; snapshots: number; results: {tenant: string; metrics: {metric: string; value?: number}[]}[]}} | undefined
    for (let i = 0; i < RUNS; i++) {
      const run = await cli(env, ['meter', 'collect', '--all', '--date', day])
      odoops.push(run.ms)
      last = run
    }
    const naive = await naiveLoop(hosts, day)
    // Same numbers both ways (database sizes move a little between runs: compared within 1 %).
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    const databases = new Map((await store.tenants.list()).map((t) => [t.id, t.database]))
    await store.close()
    let compared = 0
    let mismatches = 0
    for (const r of last!.json.results) {
      for (const m of r.metrics) {
        const expected = naive.values.get(`${databases.get(r.tenant)}/${m.metric}`)
        if (expected === undefined || m.value === undefined) continue
        compared++
        const tolerance = m.metric === 'storage.database_bytes' ? expected * 0.01 : 0
        if (Math.abs(m.value - expected) > tolerance) {
          mismatches++
          if (mismatches <= 5) process.stdout.write(`  mismatch ${r.tenant} ${m.metric}: odoops ${m.value}, naive ${expected}\n`)
        }
      }
    }
    const measurements = total * 10
    const ratio = naive.ms / median(odoops)
    process.stdout.write(
      [
        `odoops meter collect --all   ${s(median(odoops))} s median of ${RUNS} (${odoops.map(s).join(', ')}), CLI start included; ${last!.json.succeeded} ok, ${last!.json.failed} failed, ${last!.json.snapshots} snapshots`,
        `naive ssh+psql loop          ${s(naive.ms)} s (${measurements} ssh connections, one per tenant and metric, one after another)`,
        `ratio                        ${ratio.toFixed(1)}x  ${ratio >= TARGET_RATIO ? 'OK' : 'UNDER'} (target >= ${TARGET_RATIO}x)`,
        `values                       ${compared} compared, ${mismatches} differ`,
      ].join('\n') + '\n',
    )
  } finally {
    await downAllSandboxes()
  }
}

await main()

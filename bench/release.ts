/**
 * bench/release: `odoops release apply` of a patch build to 10 tenants on 2 sandbox hosts running
 * REAL Odoo (the newest series in ../shared/odoo; a second build made from it by
 * test/helpers/odoo-builds.ts), against the raw baseline in the same run:
 *
 *   - odoops: one `release apply` (safety backups verified by a test restore, both builds kept
 *     on the host, stops, install, `-u` per database, starts, health and login through nginx,
 *     every step recorded), wall time from spawn to exit;
 *   - inside it, as the release records them: each safety backup (with its verification) and
 *     each `-u`;
 *   - raw: `ssh <host> odoo -c <conf> -d <db> -u base --stop-after-init --no-http` on every
 *     database, one after the other, on the same build right after (the same work the rollout's
 *     `-u` did), with the services stopped as the rollout has them (not timed).
 *
 * Overhead = apply wall − Σ safety backups − Σ raw -u, relative to (Σ backups + Σ raw -u).
 * Target (issue 15): ≤ 20 %. Exit 1 when missed.
 *
 * Hosts: `rba` and `rbb`, each with 2 shared tenants and 3 dedicated ones (base installed).
 *
 *   npm run build && node --import tsx bench/release.ts      (root, sandboxes needed; ~15 min)
 */
import {mkdtempSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {odooBuilds} from '../test/helpers/odoo-builds.js'
import {preparedHost, type PreparedHost} from '../test/helpers/prepared-host.js'
import {realSeries} from '../test/helpers/real-odoo.js'
import {downSharedSandboxes, sandboxesAvailable, sshRun} from '../test/helpers/sandbox.js'
import {s, timedCli as cli} from './timed-cli.js'

const TARGET_OVERHEAD = 0.2
const HOSTS = ['rba', 'rbb']
const PER_HOST: ('shared' | 'dedicated')[] = ['shared', 'shared', 'dedicated', 'dedicated', 'dedicated']

async function main(): Promise<number> {
  const available = sandboxesAvailable()
  if (!available.ok) {
    console.error(`bench/release: sandboxes are not available here (${available.reason}): nothing measured.`)
    return 1
  }
  const newest = realSeries().present.at(-1)
  if (!newest) {
    console.error('bench/release: no real Odoo package under ../shared/odoo: nothing measured.')
    return 1
  }
  const {series, dir} = newest
  const builds = await odooBuilds(series, dir)
  const work = mkdtempSync(join(tmpdir(), 'odoops-bench-release-'))
  const hosts: PreparedHost[] = await Promise.all(HOSTS.map((name) => preparedHost(name, {real: {series, dir: builds.repo}, store: 'bench-release'})))
  const env = hosts[0].env
  try {
    const tenants: {slug: string; host: PreparedHost; database: string; config: string; unit: string}[] = []
    await Promise.all(
      hosts.map(async (host) => {
        for (const [i, mode] of PER_HOST.entries()) {
          const slug = `${host.host}-${mode === 'shared' ? 's' : 'd'}${i}`
          const created = await cli(env, ['tenant', 'create', slug, '--host', host.host, '--mode', mode, '--domain', `${slug}.bench.example.test`, '--modules', 'base', '--credentials-file', join(work, `${slug}.txt`)])
          tenants.push({slug, host, database: created.json.tenant.database, config: created.json.tenant.service.config, unit: created.json.tenant.service.unit})
        }
      }),
    )
    builds.publish([builds.original, builds.good])
    const plan = await cli(env, ['release', 'plan', '--all'])
    const id = plan.json.release.id as string
    const applied = await cli(env, ['release', 'apply', id])
    const progress = applied.json.release.apply.hosts as Record<string, {installMs?: number; startedAt: string; finishedAt: string; tenants: Record<string, {backupMs: number; upgradeMs: number; downtimeMs: number}>}>
    const inside = Object.values(progress).flatMap((h) => Object.entries(h.tenants))
    const backups = inside.reduce((sum, [, t]) => sum + (t.backupMs ?? 0), 0)
    const upgrades = inside.reduce((sum, [, t]) => sum + (t.upgradeMs ?? 0), 0)

    // As the rollout does: each database's service stopped during its -u (a running service's
    // crons hold rows that -u rewrites). Stopping and starting is not timed.
    const units = [...new Set(tenants.map((t) => `${t.host.host} ${t.unit}`))]
    for (const entry of units) {
      const [host, unit] = entry.split(' ')
      await sshRun(hosts.find((h) => h.host === host)!.sandbox, `systemctl stop ${unit}`)
    }
    let raw = 0
    for (const t of tenants) {
      const started = performance.now()
      const run = await sshRun(t.host.sandbox, `runuser -u odoo -- odoo -c ${t.config} -d ${t.database} -u base --stop-after-init --no-http`, {timeoutMs: 1_800_000})
      raw += performance.now() - started
      if (run.exitCode !== 0) throw new Error(`raw -u on ${t.database} failed: ${run.stderr.slice(-2000)}`)
    }
    for (const entry of units) {
      const [host, unit] = entry.split(' ')
      await sshRun(hosts.find((h) => h.host === host)!.sandbox, `systemctl start ${unit}`)
    }
    const overhead = (applied.ms - backups - raw) / (backups + raw)
    console.log(`bench/release: Odoo ${series} ${builds.original} → ${builds.good}, ${tenants.length} tenants on ${hosts.length} hosts (base installed); ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`)
    console.log(`  release apply, wall                     ${s(applied.ms)} s`)
    console.log(`    Σ safety backups (verified), inside   ${s(backups)} s`)
    console.log(`    Σ odoo -u, inside                      ${s(upgrades)} s`)
    console.log(`  raw Σ ssh odoo -u base, one after other ${s(raw)} s`)
    console.log(`  overhead beyond backups and raw -u      ${(overhead * 100).toFixed(1)} % (target ≤ ${TARGET_OVERHEAD * 100} %)`)
    for (const [host, h] of Object.entries(progress)) console.log(`  ${host}: ${s(Date.parse(h.finishedAt) - Date.parse(h.startedAt))} s in all, of which installing the build ${s(h.installMs ?? 0)} s`)
    console.log(`  downtime per tenant (s): ${inside.map(([slug, t]) => `${slug} ${s(t.downtimeMs)}`).join(', ')}`)
    return overhead <= TARGET_OVERHEAD ? 0 : 1
  } finally {
    await downSharedSandboxes(HOSTS)
  }
}

process.exitCode = await main()

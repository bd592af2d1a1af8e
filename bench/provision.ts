/**
 * bench/provision: wall time of `odoops tenant create` on a prepared sandbox, split into
 * the time spent inside `odoo -i` and odoops' own overhead (SSH, checks, config, nginx,
 * TLS, XML-RPC, health, state). The raw baseline, in the same run: the same `odoo -i`
 * (same config, same modules) run directly over OpenSSH for a fresh database.
 *
 *   npm run build && node --import tsx bench/provision.ts      (root, sandboxes needed)
 *   ODOOPS_BENCH_RUNS=5 ODOOPS_BENCH_MODULES=crm,sale_management node --import tsx bench/provision.ts
 *   node --import tsx bench/provision.ts --real 19.0      (the real Odoo package of ../shared/odoo/19.0)
 *
 * Target: overhead <= 10 s per tenant (median), shared and dedicated.
 */
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FIXTURE_APT_SOURCE} from '../src/lib/sandbox/sandbox.js'
import {noDemoFlags} from '../src/lib/series/odoo-series.js'
import {realSeries} from '../test/helpers/real-odoo.js'
import {isolatedEnv} from '../test/helpers/cli.js'
import {median, s, timedCli as cli, type StepTiming} from './timed-cli.js'
import {downAllSandboxes, sandboxesAvailable, sharedSandbox, sshArgs} from '../test/helpers/sandbox.js'

const RUNS = Number(process.env.ODOOPS_BENCH_RUNS ?? 3)
const MODULES = process.env.ODOOPS_BENCH_MODULES ?? 'crm'
const TARGET_OVERHEAD_S = 10




async function main(): Promise<void> {
  const support = sandboxesAvailable()
  if (!support.ok) throw new Error(`bench/provision needs sandboxes: ${support.reason}`)
  const realIndex = process.argv.indexOf('--real')
  const realWanted = realIndex > 0 ? process.argv[realIndex + 1] : undefined
  const real = realWanted ? realSeries().present.find((p) => p.series === realWanted) : undefined
  if (realWanted && !real) throw new Error(`no real Odoo ${realWanted} package under ../shared/odoo (or ODOOPS_REAL_ODOO_DIR)`)
  const series = real?.series ?? '17.0'
  const info = real
    ? await sharedSandbox('benchprov', {image: 'odoo-deps', aptRepo: real.dir})
    : await sharedSandbox('benchprov', {image: 'postgres-nginx', fixtureOdoo: true})
  const env = isolatedEnv()
  const creds = mkdtempSync(join(tmpdir(), 'odoops-bench-'))
  try {
    await cli(env, ['host', 'add', 'bench', '--address', info.address, '--identity', info.identityFile, '--host-key', info.hostKey])
    await cli(env, ['host', 'prepare', 'bench', '--odoo', series, '--apt-source', FIXTURE_APT_SOURCE])
    process.stdout.write(`Sandbox ${info.address}, ${real ? 'REAL' : 'fixture'} Odoo ${series}, modules base,${MODULES}, ${RUNS} runs per mode.\n\n`)
    const rows: string[] = []
    for (const mode of ['shared', 'dedicated'] as const) {
      const walls: number[] = []
      const raws: number[] = []
      const stepTotals = new Map<string, number[]>()
      for (let i = 1; i <= RUNS; i++) {
        const slug = `b-${mode.slice(0, 3)}-${i}`
        const created = await cli(env, ['tenant', 'create', slug, '--host', 'bench', '--mode', mode, '--domain', `${slug}.bench.test`, '--modules', MODULES, '--credentials-file', join(creds, slug)])
        walls.push(created.ms)
        for (const step of created.json.steps as StepTiming[]) stepTotals.set(step.name, [...(stepTotals.get(step.name) ?? []), step.durationMs])
        // Raw baseline: the same odoo -i, for a fresh database, straight over OpenSSH.
        const config = created.json.tenant.service.config
        const raw = `raw_${mode}_${i}`
        const started = performance.now()
        await execa('ssh', [...sshArgs(info), `runuser -u odoo -- odoo -c ${config} -d ${raw} -i base,${MODULES} --stop-after-init --no-http ${noDemoFlags(series).join(' ')}`], {stdin: 'ignore'})
        raws.push(performance.now() - started)
      }
      const overhead = walls.map((w, i) => w - raws[i])
      rows.push(
        `${mode.padEnd(9)} wall ${s(median(walls))} s   odoo -i (raw, over ssh) ${s(median(raws))} s   odoops overhead ${s(median(overhead))} s   ${median(overhead) / 1000 <= TARGET_OVERHEAD_S ? 'OK' : 'OVER'} (target <= ${TARGET_OVERHEAD_S} s)`,
        `          steps (median ms): ${[...stepTotals].map(([name, ms]) => `${name} ${median(ms).toFixed(0)}`).join(', ')}`,
      )
    }
    process.stdout.write(rows.join('\n') + '\n')
  } finally {
    await downAllSandboxes()
  }
}

await main()

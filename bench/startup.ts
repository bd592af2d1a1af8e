/**
 * Start-up benchmark of the built CLI (a script, not a test):
 *   npm run build && node --import tsx bench/startup.ts [--runs 10] [--target 0.35]
 * Median wall time of `odoops --version` and `odoops config list --json` over N runs each,
 * beside `node -e 0` (the floor: Node's own start-up on this machine), after one
 * unmeasured warm-up run of each. Prints PASS when both odoops medians are within the
 * target, FAIL (exit 1) otherwise. Runs in throwaway config/data dirs.
 *
 * Then plugin packs (issue 9): `odoops --help` with both first-party packs linked
 * (plugins/wholesale, plugins/ecommerce, built) against without, interleaved run by run;
 * PASS when the median difference is within --packs-target seconds (default 0.1). Skipped
 * when the packs are not built (cd plugins/<pack> && npm run build).
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {performance} from 'node:perf_hooks'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const BIN = join(ROOT, 'bin', 'run.js')

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  if (index === -1) return fallback
  const value = Number(process.argv[index + 1])
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`)
  return value
}

const runs = Math.round(option('runs', 10))
const targetSeconds = option('target', 0.35)
const base = mkdtempSync(join(tmpdir(), 'odoops-bench-'))
const env = {...process.env, ODOOPS_CONFIG_DIR: join(base, 'config'), ODOOPS_DATA_DIR: join(base, 'data'), ODOOPS_CACHE_DIR: join(base, 'cache'), NO_COLOR: '1'}

interface Case {
  label: string
  args: string[]
  /** Judged against the target (node -e 0 is only the reference). */
  judged: boolean
}

const cases: Case[] = [
  {label: 'node -e 0', args: ['-e', '0'], judged: false},
  {label: 'odoops --version', args: [BIN, '--version'], judged: true},
  {label: 'odoops config list --json', args: [BIN, 'config', 'list', '--json'], judged: true},
]

function timeOnce(args: string[], runEnv: NodeJS.ProcessEnv = env): number {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, {env: runEnv, stdio: ['ignore', 'pipe', 'pipe']})
  const seconds = (performance.now() - started) / 1000
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`)
  return seconds
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

try {
  process.stdout.write(`odoops start-up: ${runs} runs each, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n\n`)
  const results = cases.map((c) => {
    timeOnce(c.args) // warm-up: file system caches, not measured
    const times = Array.from({length: runs}, () => timeOnce(c.args))
    return {...c, median: median(times), min: Math.min(...times), max: Math.max(...times)}
  })
  const floor = results[0].median
  const width = Math.max(...results.map((r) => r.label.length))
  process.stdout.write(`${'command'.padEnd(width)}  median   min      max      over node -e 0\n`)
  for (const r of results) {
    const over = r.judged ? `+${(r.median - floor).toFixed(3)} s` : ''
    process.stdout.write(`${r.label.padEnd(width)}  ${r.median.toFixed(3)} s  ${r.min.toFixed(3)} s  ${r.max.toFixed(3)} s  ${over}\n`)
  }
  const failed = results.filter((r) => r.judged && r.median > targetSeconds)
  process.stdout.write(
    `\n${failed.length === 0 ? 'PASS' : 'FAIL'}: target ≤ ${targetSeconds.toFixed(2)} s median` +
      (failed.length ? ` (over: ${failed.map((r) => `${r.label} ${r.median.toFixed(3)} s`).join(', ')})` : '') +
      '\n',
  )
  if (failed.length > 0) process.exitCode = 1
  benchPacks()
} finally {
  rmSync(base, {recursive: true, force: true})
}

/** `odoops --help` with both first-party packs linked vs without: the packs must cost (almost) nothing there. */
function benchPacks(): void {
  const packs = ['wholesale', 'ecommerce'].map((name) => join(ROOT, 'plugins', name))
  if (!packs.every((dir) => existsSync(join(dir, 'oclif.manifest.json')))) {
    process.stdout.write('\npacks: skipped (build them first: cd plugins/<pack> && npm run build)\n')
    return
  }
  const packsTarget = option('packs-target', 0.1)
  const withPacks = {...env, ODOOPS_DATA_DIR: join(base, 'data-packs')}
  for (const dir of packs) {
    const linked = spawnSync(process.execPath, [BIN, 'plugins', 'link', dir, '--no-install'], {env: withPacks, stdio: ['ignore', 'pipe', 'pipe']})
    if (linked.status !== 0) throw new Error(`plugins link ${dir}: ${linked.stderr.toString()}`)
  }
  const args = [BIN, '--help']
  timeOnce(args)
  timeOnce(args, withPacks)
  const without: number[] = []
  const linked: number[] = []
  for (let i = 0; i < runs; i++) {
    without.push(timeOnce(args))
    linked.push(timeOnce(args, withPacks))
  }
  const delta = median(linked) - median(without)
  process.stdout.write(
    `\nodoops --help, ${runs} runs each (interleaved)\n` +
      `  without packs          ${median(without).toFixed(3)} s (min ${Math.min(...without).toFixed(3)} s)\n` +
      `  wholesale + ecommerce  ${median(linked).toFixed(3)} s (min ${Math.min(...linked).toFixed(3)} s)\n` +
      `${delta <= packsTarget ? 'PASS' : 'FAIL'}: packs add ${delta >= 0 ? '+' : ''}${delta.toFixed(3)} s (target ≤ ${packsTarget.toFixed(2)} s)\n`,
  )
  if (delta > packsTarget) process.exitCode = 1
}

/**
 * bench/addons: `odoops addons deploy` of one repository of 100 Odoo modules (about 30 MB,
 * mostly random bytes: nothing for a compressor to win) to 5 tenants' services on 2 sandbox
 * hosts, against the raw baseline in the same run:
 *
 *   - raw: `tar c -C <tree> . | ssh <host> 'mkdir -p … && tar x -C …'` of the same tree, one
 *     host after the other (OpenSSH client, the sandbox's identity and port);
 *   - odoops, first deploy: one `addons deploy <repo> --host bxa --host bxb --service shared
 *     --service <dedicated>…` to the 5 services (hosts in parallel, the release copied once per
 *     host, the services of a host switched side by side, each restarted and its tenants
 *     health-checked);
 *   - odoops, redeploy of the unchanged release: the same command again;
 *   - info: a new release deployed with one command per service, one after the other (as a
 *     script looping over services would), and one process per host side by side.
 *
 * Each deploy runs without --json, its progress lines on stderr timestamped as they arrive.
 * `odoops --version` is timed too: the fixed cost of a CLI start on this machine.
 *
 * Hosts: `bxa` (shared service with tenant bxa-s, dedicated tenants bxa-d1 and bxa-d2) and
 * `bxb` (shared service with bxb-s, dedicated bxb-d1), both with the fixture Odoo 17.0 (a
 * TEST DOUBLE, test/fixtures/odoo, which restarts in about a second, where real Odoo takes
 * longer).
 *
 *   npm run build && node --import tsx bench/addons.ts      (root, sandboxes needed)
 *   ODOOPS_BENCH_MODULES=100 ODOOPS_BENCH_MB=30 node --import tsx bench/addons.ts
 *
 * Targets (issue 14): first deploy ≤ 1.5× the raw baseline; redeploy of the unchanged release
 * ≤ 2 s (the one command). Exit 1 when one is missed.
 */
import {execa} from 'execa'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {FIXTURE_APT_SOURCE} from '../src/lib/sandbox/sandbox.js'
import {BIN, isolatedEnv} from '../test/helpers/cli.js'
import {downAllSandboxes, sandboxesAvailable, sharedSandbox, sshArgs, sshRun, type SandboxInfo} from '../test/helpers/sandbox.js'
import {median, s, timedCli as cli} from './timed-cli.js'

const MODULES = Number(process.env.ODOOPS_BENCH_MODULES ?? 100)
const TOTAL_MB = Number(process.env.ODOOPS_BENCH_MB ?? 30)
const REPO = 'bench-addons'
const SERIES = '17.0'
const TARGET = {firstRatio: 1.5, redeployS: 2}
const RAW_DIR = '/var/tmp/odoops-bench-raw'
/** Also trace the first deploy of two services: SSH connects and HTTP requests (DEBUG=odoops:ssh,odoops:odoo), timed from spawn. */
const PROFILE = process.env.ODOOPS_BENCH_PROFILE === '1'
const DEBUG_LINE = /^\d{4}-\d\d-\d\dT\S+ (odoops:\w+ .*)$/

interface Service {
  host: string
  /** `shared` or the dedicated tenant's slug (the --service value). */
  service: string
}

const HOSTS = ['bxa', 'bxb'] as const
/** Tenants per host: the shared service's one tenant, then the dedicated ones. */
const TENANTS: Record<(typeof HOSTS)[number], {slug: string; mode: 'shared' | 'dedicated'}[]> = {
  bxa: [
    {slug: 'bxa-s', mode: 'shared'},
    {slug: 'bxa-d1', mode: 'dedicated'},
    {slug: 'bxa-d2', mode: 'dedicated'},
  ],
  bxb: [
    {slug: 'bxb-s', mode: 'shared'},
    {slug: 'bxb-d1', mode: 'dedicated'},
  ],
}

const SERVICES: Service[] = HOSTS.flatMap((host) => TENANTS[host].map((t) => ({host, service: t.mode === 'shared' ? 'shared' : t.slug})))

/** OpenSSH arguments with the sandbox's port (sshArgs names identity, pinned key and user@address). */
const ssh = (info: SandboxInfo) => ['ssh', '-p', String(info.port), ...sshArgs(info)]

/**
 * The repository: MODULES valid Odoo modules (manifest, __init__, a model file) whose bulk is
 * random bytes under static/, TOTAL_MB in all, in a few files per module as assets are.
 */
function generateRepository(root: string): {files: number; bytes: number} {
  const perModule = Math.floor((TOTAL_MB * 1024 * 1024) / MODULES)
  let files = 0
  let bytes = 0
  for (let i = 1; i <= MODULES; i++) {
    const name = `bench_module_${String(i).padStart(3, '0')}`
    const dir = join(root, name)
    mkdirSync(join(dir, 'models'), {recursive: true})
    mkdirSync(join(dir, 'static', 'src', 'img'), {recursive: true})
    const text: [string, string][] = [
      ['__manifest__.py', `{\n    'name': 'Bench module ${i}',\n    'version': '${SERIES}.1.0.0',\n    'depends': ['base'],\n    'license': 'LGPL-3',\n    'installable': True,\n}\n`],
      ['__init__.py', 'from . import models\n'],
      ['models/__init__.py', `from . import bench_${i}\n`],
      ['models/' + `bench_${i}.py`, `from odoo import fields, models\n\n\nclass Bench${i}(models.Model):\n    _name = 'bench.module.${i}'\n    _description = 'Bench ${i}'\n\n    name = fields.Char()\n`],
    ]
    for (const [path, content] of text) {
      writeFileSync(join(dir, path), content)
      files++
      bytes += Buffer.byteLength(content)
    }
    // Three assets of about a third each: incompressible, as images and fonts are.
    for (let k = 0; k < 3; k++) {
      const size = Math.floor(perModule / 3)
      writeFileSync(join(dir, 'static', 'src', 'img', `asset_${k}.bin`), randomBytes(size))
      files++
      bytes += size
    }
  }
  return {files, bytes}
}

/** The raw baseline on one host: the tree streamed by tar through OpenSSH into tar x. */
async function rawCopy(info: SandboxInfo, tree: string): Promise<number> {
  const clean = await sshRun(info, `rm -rf ${RAW_DIR}`)
  if (clean.exitCode !== 0) throw new Error(`cleaning ${RAW_DIR} on ${info.name}: ${clean.stderr}`)
  const started = performance.now()
  // $1 the tree, then the ssh command line, whose last word is the remote command.
  const run = await execa('bash', ['-o', 'pipefail', '-c', 'tar c -C "$1" . | "${@:2}"', 'bash', tree, ...ssh(info), `mkdir -p ${RAW_DIR} && tar x -C ${RAW_DIR}`], {reject: false, stdin: 'ignore'})
  const ms = performance.now() - started
  if (run.exitCode !== 0) throw new Error(`raw tar | ssh to ${info.name} failed: ${run.stderr}`)
  return ms
}

interface Note {
  ms: number
  text: string
}

interface TimedDeploy extends Service {
  ms: number
  stdout: string
  notes: Note[]
  /** Debug lines (PROFILE). */
  trace: Note[]
}

/**
 * `odoops addons deploy` (human output), its progress lines on stderr timestamped from spawn:
 * one service, or several in one call (`--host` and `--service` repeated).
 */
function timedDeploy(env: Record<string, string>, targets: Service | Service[]): Promise<TimedDeploy> {
  const list = Array.isArray(targets) ? targets : [targets]
  const target = list[0]
  const flags = [...new Set(list.map((x) => x.host))].flatMap((host) => ['--host', host]).concat([...new Set(list.map((x) => x.service))].flatMap((service) => ['--service', service]))
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('node', [BIN, 'addons', 'deploy', REPO, ...flags], {env: {...process.env, ...env, NO_COLOR: '1', ...(PROFILE ? {DEBUG: 'odoops:ssh,odoops:odoo'} : {})}, stdio: ['ignore', 'pipe', 'pipe']})
    const notes: Note[] = []
    const trace: Note[] = []
    let stdout = ''
    let partial = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => {
      const now = performance.now() - started
      const lines = (partial + chunk.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const text of lines) {
        const debug = DEBUG_LINE.exec(text)
        if (debug) trace.push({ms: now, text: debug[1]})
        else if (text.trim()) notes.push({ms: now, text})
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - started
      if (code === 0) resolve({...target, ms, stdout, notes, trace})
      else reject(new Error(`odoops addons deploy ${REPO} ${flags.join(' ')} exited ${code}:\n${stdout}\n${notes.map((n) => n.text).join('\n')}`))
    })
  })
}

/** The phase a progress line opens (deploy.ts's onProgress messages). */
function phaseOf(text: string): string {
  if (text.startsWith('Reading Odoo on')) return 'probe + read config'
  if (text.startsWith('Copying')) return 'upload'
  if (/^Checking .* before the restart$/.test(text)) return 'health before restart'
  if (text.startsWith('Writing addons_path')) return 'write config'
  if (text.startsWith('Restarting')) return 'restart + wait for port'
  if (text.startsWith('Checking')) return 'health after restart'
  if (text.startsWith('Reading the installed modules')) return 'versions + prune + exit'
  if (text.startsWith('Removing')) return 'versions + prune + exit'
  if (text.startsWith('Switching')) return 'switch back (failure)'
  return `other: ${text.slice(0, 40)}`
}

/** Milliseconds per phase: from spawn to the first progress line is start-up, state and SSH connect. */
function phases(run: TimedDeploy): Map<string, number> {
  const out = new Map<string, number>()
  const add = (phase: string, ms: number) => out.set(phase, (out.get(phase) ?? 0) + ms)
  let at = 0
  let phase = 'start-up + state + SSH connect'
  for (const note of run.notes) {
    add(phase, note.ms - at)
    at = note.ms
    phase = phaseOf(note.text)
  }
  add(phase, run.ms - at)
  return out
}

function sumPhases(runs: TimedDeploy[]): Map<string, number> {
  const total = new Map<string, number>()
  for (const run of runs) for (const [phase, ms] of phases(run)) total.set(phase, (total.get(phase) ?? 0) + ms)
  return total
}

async function prepareHost(env: Record<string, string>, name: string): Promise<SandboxInfo> {
  const info = await sharedSandbox(name, {image: 'postgres-nginx', fixtureOdoo: true})
  await cli(env, ['host', 'add', name, '--address', info.address, '--port', String(info.port), '--user', info.user, '--identity', info.identityFile, '--host-key', info.hostKey])
  await cli(env, ['host', 'prepare', name, '--odoo', SERIES, '--apt-source', FIXTURE_APT_SOURCE])
  return info
}

async function createTenants(env: Record<string, string>, host: (typeof HOSTS)[number], creds: string): Promise<void> {
  for (const {slug, mode} of TENANTS[host]) {
    await cli(env, ['tenant', 'create', slug, '--host', host, '--mode', mode, '--domain', `${slug}.bench.test`, '--credentials-file', join(creds, slug)])
  }
}

const label = (x: Service) => `${x.host} ${x.service}`.padEnd(14)

async function main(): Promise<void> {
  const support = sandboxesAvailable()
  if (!support.ok) throw new Error(`bench/addons needs sandboxes: ${support.reason}`)
  const env = isolatedEnv()
  const scratch = mkdtempSync(join(tmpdir(), 'odoops-bench-addons-'))
  const tree = join(scratch, 'repo')
  const creds = join(scratch, 'creds')
  mkdirSync(tree)
  mkdirSync(creds)
  const out = (text: string) => process.stdout.write(text + '\n')
  try {
    const setup = performance.now()
    const generated = generateRepository(tree)
    const added = await cli(env, ['addons', 'repo', 'add', REPO, '--dir', tree, '--series', SERIES])
    const release = added.json.release as {sha256: string; sizeBytes?: number; modules: unknown[]}
    out(`Repository: ${MODULES} modules, ${generated.files} files, ${(generated.bytes / 1024 / 1024).toFixed(1)} MB (random assets); pinned as ${release.sha256.slice(0, 12)} in ${s(added.ms)} s.`)
    const infos = new Map<string, SandboxInfo>()
    // Both hosts booted and prepared side by side (the setup is not measured).
    await Promise.all(HOSTS.map(async (host) => infos.set(host, await prepareHost(env, host))))
    for (const host of HOSTS) await createTenants(env, host, creds)
    out(`Hosts ${HOSTS.map((h) => `${h} (${infos.get(h)!.address})`).join(', ')}: fixture Odoo ${SERIES} (a test double), tenants ${HOSTS.flatMap((h) => TENANTS[h].map((t) => `${t.slug} (${t.mode})`)).join(', ')}; setup ${s(performance.now() - setup)} s.`)

    const startups: number[] = []
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      await execa('node', [BIN, '--version'], {env: {...env, NO_COLOR: '1'}, stdin: 'ignore'})
      startups.push(performance.now() - started)
    }

    // Baseline: each host in turn, as a partner's loop would.
    const raw: {host: string; ms: number}[] = []
    for (const host of HOSTS) raw.push({host, ms: await rawCopy(infos.get(host)!, tree)})
    const rawTotal = raw.reduce((sum, r) => sum + r.ms, 0)
    for (const host of HOSTS) await sshRun(infos.get(host)!, `rm -rf ${RAW_DIR}`)

    // The floor of any one command on a host: CLI start-up, state, SSH connect, one exec.
    const floors: number[] = []
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      await execa('node', [BIN, 'host', 'exec', HOSTS[0], '--', 'true'], {env: {...env, NO_COLOR: '1'}, stdin: 'ignore'})
      floors.push(performance.now() - started)
    }

    // The rollout as one command: every service of both hosts (hosts in parallel, each release
    // copied once per host, the services of a host side by side).
    const first = await timedDeploy(env, SERVICES)
    const again = await timedDeploy(env, SERVICES)
    const firstTotal = first.ms
    const againTotal = again.ms

    // What the runs did, read back from the hosts and the output (a figure of the wrong work is no figure).
    const dir = `/var/lib/odoops/addons/${release.sha256}`
    for (const host of HOSTS) {
      const count = await sshRun(infos.get(host)!, `ls -d ${dir}/*/ | wc -l`)
      if (Number(count.stdout.trim()) !== MODULES) throw new Error(`${host}: ${dir} holds ${count.stdout.trim()} modules, not ${MODULES}`)
    }
    // The run's own account of its copies ("Copied <repo> (<sha>) to <host>."): each service announces the copy it waits for.
    const uploads = first.stdout.match(/^Copied /gm)?.length ?? 0
    if (uploads !== HOSTS.length) throw new Error(`first deploy copied the release ${uploads} times, not once per host`)
    const restarts = first.notes.filter((n) => n.text.startsWith('Restarting')).length
    const unchanged = again.stdout.match(/is unchanged/g)?.length ?? 0
    if (restarts !== SERVICES.length) throw new Error(`first deploy restarted ${restarts} of ${SERVICES.length} services`)

    out('')
    out(`Raw baseline: tar c | ssh host tar x, the same tree, host after host (sequential), OpenSSH:`)
    for (const r of raw) out(`  ${r.host.padEnd(14)}${s(r.ms).padStart(8)} s`)
    out(`  total         ${s(rawTotal).padStart(8)} s`)
    out('')
    out(`odoops addons deploy ${REPO} --host ${HOSTS.join(' --host ')} --service … (the ${SERVICES.length} services in one call), wall from spawn to exit:`)
    out(`  first deploy  ${s(firstTotal).padStart(8)} s   (${uploads} release copies: one per host expected; ${restarts} restarts)`)
    out(`  redeploy      ${s(againTotal).padStart(8)} s   (${unchanged} of ${SERVICES.length} services reported unchanged)`)
    out(`  odoops --version (CLI start-up alone, median of 3): ${s(median(startups))} s`)
    out(`  odoops host exec ${HOSTS[0]} -- true (start-up + state + SSH connect + one command, median of 3): ${s(median(floors))} s`)
    out('')
    out('Time to the first progress line of each phase (services run side by side, so phases overlap):')
    for (const run of [first, again]) {
      const firsts = new Map<string, number>()
      for (const note of run.notes) if (!firsts.has(phaseOf(note.text))) firsts.set(phaseOf(note.text), note.ms)
      out(`  ${run === first ? 'first   ' : 'redeploy'}  ${[...firsts].map(([phase, ms]) => `${phase} @${s(ms)} s`).join(', ')}`)
    }

    if (PROFILE) {
      out('')
      out('Trace of the first deploy (ms from spawn):')
      for (const line of [...first.notes, ...first.trace].sort((a, b) => a.ms - b.ms)) out(`  ${line.ms.toFixed(0).padStart(6)}  ${line.text}`)
      out(`  ${first.ms.toFixed(0).padStart(6)}  exit`)
    }

    // Info: the same 5 services one command after the other, as a script looping over them would.
    const seqFirstRelease = join(tree, 'bench_module_002', '__manifest__.py')
    writeFileSync(seqFirstRelease, readFileSync(seqFirstRelease, 'utf8').replace(`'${SERIES}.1.0.0'`, `'${SERIES}.1.0.2'`))
    await cli(env, ['addons', 'repo', 'update', REPO])
    const sequential: TimedDeploy[] = []
    for (const target of SERVICES) sequential.push(await timedDeploy(env, target))
    out('')
    out(`Info, a new release deployed with one command per service, one after the other: ${s(sequential.reduce((sum, r) => sum + r.ms, 0))} s (${sequential.map((r) => `${label(r)}${s(r.ms)} s`).join(', ')})`)
    const sequentialPhases = sumPhases(sequential)
    for (const [phase, ms] of sequentialPhases) out(`  ${phase.padEnd(32)}${s(ms).padStart(8)} s`)

    // Info: a new release (one module's version bumped; the whole tree is copied again, as raw
    // does), hosts side by side for both (services of one host still one after the other).
    const manifest = join(tree, 'bench_module_001', '__manifest__.py')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(`'${SERIES}.1.0.0'`, `'${SERIES}.1.0.1'`))
    const updated = await cli(env, ['addons', 'repo', 'update', REPO])
    if (updated.json.release?.sha256 === release.sha256) throw new Error('repo update did not pin a new release')
    let started = performance.now()
    await Promise.all(HOSTS.map((host) => rawCopy(infos.get(host)!, tree)))
    const rawParallel = performance.now() - started
    for (const host of HOSTS) await sshRun(infos.get(host)!, `rm -rf ${RAW_DIR}`)
    started = performance.now()
    const parallel = await Promise.all(
      HOSTS.map(async (host) => {
        const runs: TimedDeploy[] = []
        for (const target of SERVICES.filter((x) => x.host === host)) runs.push(await timedDeploy(env, target))
        return runs
      }),
    )
    const odoopsParallel = performance.now() - started
    const parallelPhases = sumPhases(parallel.flat())
    out('')
    out('Info, a new release (one version bumped, the whole tree copied again), the 2 hosts side by side:')
    out(`  raw tar | ssh, both hosts at once      ${s(rawParallel).padStart(8)} s`)
    out(`  odoops, one process per host at once   ${s(odoopsParallel).padStart(8)} s   (${(odoopsParallel / rawParallel).toFixed(2)}x; upload ${parallel.flat().filter((r) => r.notes.some((n) => n.text.startsWith('Copying'))).map((r) => `${r.host} ${s(phases(r).get('upload') ?? 0)} s`).join(', ')}; restart + health ${s((parallelPhases.get('health before restart') ?? 0) + (parallelPhases.get('restart + wait for port') ?? 0) + (parallelPhases.get('health after restart') ?? 0))} s summed)`)

    const ratio = firstTotal / rawTotal
    const firstOk = ratio <= TARGET.firstRatio
    const againOk = againTotal / 1000 <= TARGET.redeployS && unchanged === SERVICES.length
    out('')
    out(`info: load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (other jobs share this machine)`)
    out(`first deploy / raw baseline   ${ratio.toFixed(2)}x   target <= ${TARGET.firstRatio}x   ${firstOk ? 'PASS' : 'MISS'}`)
    out(`redeploy, unchanged (1 call) ${s(againTotal)} s   target <= ${TARGET.redeployS} s   ${againOk ? 'PASS' : 'MISS'}`)
    if (!firstOk || !againOk) process.exitCode = 1
  } finally {
    await downAllSandboxes()
    rmSync(scratch, {recursive: true, force: true})
    rmSync(dirname(env.ODOOPS_DATA_DIR), {recursive: true, force: true})
  }
}

await main()

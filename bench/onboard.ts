/**
 * bench/onboard: wall time of `odoops onboard --template distribution --answers … --json`
 * on a prepared sandbox, split into time inside Odoo and odoops' own overhead (SSH, checks,
 * config, nginx, TLS, state, placement, the XML-RPC client side, health, the initial backup).
 *
 * Time inside Odoo, measured in the same run:
 *  (a) the same `odoo -i base,<template modules>` (same config) run raw over OpenSSH for a
 *      fresh database — the module installation onboarding pays for;
 *  (b) the time spent waiting on Odoo's HTTP answers (XML-RPC calls, /web/health, logins):
 *      odoops' transport logs each request's round trip under DEBUG=odoops:odoo (ISO time
 *      of the answer + duration, src/lib/odoo/transport.ts); the union of those intervals
 *      (parallel requests counted once). The fixture Odoo logs no server-side duration, so
 *      this is an upper bound of server time: it includes the SSH channel's few ms per call.
 *
 *   npx tsc -p tsconfig.json && node --import tsx bench/onboard.ts     (root, sandboxes needed)
 *   ODOOPS_BENCH_RUNS=3 node --import tsx bench/onboard.ts
 *
 * Target: odoops overhead <= 10 s per onboarding (median).
 */
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FIXTURE_APT_SOURCE} from '../src/lib/sandbox/sandbox.js'
import {loadTemplate} from '../src/lib/templates/index.js'
import {isolatedEnv} from '../test/helpers/cli.js'
import {median, s, timedCli as cli, type StepTiming} from './timed-cli.js'
import {downAllSandboxes, sandboxesAvailable, sharedSandbox, sshArgs} from '../test/helpers/sandbox.js'

const RUNS = Number(process.env.ODOOPS_BENCH_RUNS ?? 1)
const TEMPLATE = 'distribution'
const ANSWERS = 'test/fixtures/answers/distribution.yaml'
const TARGET_OVERHEAD_S = 10
/** A debug line of src/lib/odoo/transport.ts: `<ISO time> odoops:odoo POST …/xmlrpc/2/object -> 200 (812 bytes, 41 ms)`. */
const ROUND_TRIP = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) odoops:odoo .* -> \d+ \(\d+ bytes, (\d+) ms\)$/gm

/** Total time covered by the requests' [start, end] intervals, overlaps counted once. */
function waitingOnOdooMs(stderr: string): {ms: number; requests: number} {
  const intervals = [...stderr.matchAll(ROUND_TRIP)].map((m) => {
    const end = Date.parse(m[1])
    return [end - Number(m[2]), end] as const
  }).sort((a, b) => a[0] - b[0])
  let ms = 0
  let reach = -Infinity
  for (const [start, end] of intervals) {
    if (end > reach) ms += end - Math.max(start, reach)
    reach = Math.max(reach, end)
  }
  return {ms, requests: intervals.length}
}




async function main(): Promise<void> {
  const support = sandboxesAvailable()
  if (!support.ok) throw new Error(`bench/onboard needs sandboxes: ${support.reason}`)
  const modules = loadTemplate(TEMPLATE).template.modules.join(',')
  const info = await sharedSandbox('benchonb', {image: 'postgres-nginx', fixtureOdoo: true})
  const env = isolatedEnv()
  const creds = mkdtempSync(join(tmpdir(), 'odoops-bench-'))
  try {
    await cli(env, ['host', 'add', 'bench', '--address', info.address, '--port', String(info.port), '--user', info.user, '--identity', info.identityFile, '--host-key', info.hostKey])
    await cli(env, ['host', 'prepare', 'bench', '--odoo', '17.0', '--apt-source', FIXTURE_APT_SOURCE])
    process.stdout.write(`Sandbox ${info.address}, fixture Odoo 17.0 (a test double), template ${TEMPLATE} (modules base,${modules}), ${RUNS} run(s).\n\n`)
    const walls: number[] = []
    const raws: number[] = []
    const waiting: number[] = []
    let requests = 0
    const stepTotals = new Map<string, number[]>()
    for (let i = 1; i <= RUNS; i++) {
      const slug = `b-onb-${i}`
      const domain = `${slug}.bench.test`
      // DEBUG (not a TTY): each Odoo request's round trip on stderr, prefixed with an ISO time.
      const onboarded = await cli({...env, DEBUG: 'odoops:odoo'}, ['onboard', '--template', TEMPLATE, '--answers', ANSWERS, '--customer', slug, '--domain', domain, '--host', 'bench', '--yes', '--credentials-file', join(creds, slug)])
      walls.push(onboarded.ms)
      const steps = onboarded.json.steps as StepTiming[]
      for (const step of steps) stepTotals.set(step.name, [...(stepTotals.get(step.name) ?? []), step.durationMs])
      const odoo = waitingOnOdooMs(onboarded.stderr)
      if (odoo.requests === 0) throw new Error(`no odoops:odoo debug lines on stderr: has src/lib/odoo/transport.ts's debug format changed?\n${onboarded.stderr.slice(0, 2000)}`)
      waiting.push(odoo.ms)
      requests = odoo.requests
      // Raw baseline (a): the same odoo -i, same config, for a fresh database, straight over OpenSSH.
      const config = onboarded.json.tenant.service.config as string
      const started = performance.now()
      await execa('ssh', [...sshArgs(info), `runuser -u odoo -- odoo -c ${config} -d raw_onb_${i} -i base,${modules} --stop-after-init --no-http --without-demo=all`], {stdin: 'ignore'})
      raws.push(performance.now() - started)
    }
    const overhead = walls.map((w, i) => w - raws[i] - waiting[i])
    const verdict = median(overhead) / 1000 <= TARGET_OVERHEAD_S ? 'OK' : 'OVER'
    process.stdout.write([
      `onboard wall ${s(median(walls))} s = (a) odoo -i (raw, over ssh) ${s(median(raws))} s + (b) waiting on Odoo's HTTP answers ${s(median(waiting))} s (${requests} requests) + odoops overhead ${s(median(overhead))} s   ${verdict} (target <= ${TARGET_OVERHEAD_S} s)`,
      `        overhead counting (a) only: ${s(median(walls.map((w, i) => w - raws[i])))} s`,
      `        steps (median ms): ${[...stepTotals].map(([name, ms]) => `${name} ${median(ms).toFixed(0)}`).join(', ')}`,
    ].join('\n') + '\n')
  } finally {
    await downAllSandboxes()
  }
}

await main()

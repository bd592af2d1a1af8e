import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BIN, isolatedEnv} from '../helpers/cli.js'
import {freshDatabase} from '../helpers/pg-cluster.js'
import {rememberOutput} from '../helpers/secrets.js'
import type {AuditEvent} from '../../src/lib/state/records.js'
import {jobEvents, jsonLines, seedTenants, storeOf} from './fleet.js'

/**
 * Two `schedule daemon` processes per store, a job due every minute over 10 tenants, for three
 * minutes (and a bit): every (tenant, run) executes exactly once, as the audit trail shows.
 * The job is `status`: it reads each tenant's record and backup catalog (real work on the
 * store, no host needed), so the test exercises locks and run bookkeeping, not SSH.
 */
const TENANTS = 10
const RUNS = 3
const SCHEDULE = `version: 1
jobs:
  - id: every-minute
    kind: status
    cron: "* * * * *"
    select: all
`

interface Daemon {
  name: string
  child: ChildProcess
  stdout: string
  exit: Promise<{code: number | null; signal: NodeJS.Signals | null; at: number}>
}

function startDaemon(name: string, env: Record<string, string>): Daemon {
  const child = spawn(process.execPath, [BIN, 'schedule', 'daemon', '--grace', '30'], {env: {...process.env, ...env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  const daemon: Daemon = {
    name,
    child,
    stdout: '',
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({code, signal, at: Date.now()}))),
  }
  child.stdout.on('data', (chunk: Buffer) => (daemon.stdout += chunk.toString('utf8')))
  child.stderr.on('data', () => {})
  return daemon
}

/** (tenant, slot) → number of executions, for the complete slots. */
function executions(events: AuditEvent[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const e of events.filter((ev) => ev.details?.job === 'every-minute')) {
    const key = `${e.tenant} ${String(e.details?.slot)}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

function completeSlots(events: AuditEvent[]): string[] {
  const bySlot = new Map<string, Set<string>>()
  for (const e of events.filter((ev) => ev.details?.job === 'every-minute')) {
    const slot = String(e.details?.slot)
    bySlot.set(slot, (bySlot.get(slot) ?? new Set()).add(e.tenant!))
  }
  return [...bySlot].filter(([, tenants]) => tenants.size === TENANTS).map(([slot]) => slot).sort()
}

describe('schedule daemon: two daemons per store, each (tenant, run) once', function () {
  this.timeout(600_000)
  const fleets: {name: string; envs: Record<string, string>[]; state?: string; daemons: Daemon[]; events: AuditEvent[]; stops: {code: number | null; ms: number}[]}[] = []

  before(async () => {
    // (a) one local store shared by two daemons on this machine.
    const local = isolatedEnv()
    // (b) one PostgreSQL store shared by two "ops hosts" (own config and data dirs each).
    const url = await freshDatabase('schedule_daemons')
    const pgA = isolatedEnv({ODOOPS_STATE: url})
    const pgB = isolatedEnv({ODOOPS_STATE: url})
    for (const env of [local, pgA]) {
      const store = await storeOf(env)
      await seedTenants(store, 'dm', TENANTS)
      await store.close()
    }
    // Local: schedule.yaml in the config dir. PostgreSQL: stored once with schedule apply, read by both hosts.
    mkdirSync(local.ODOOPS_CONFIG_DIR, {recursive: true})
    writeFileSync(join(local.ODOOPS_CONFIG_DIR, 'schedule.yaml'), SCHEDULE)
    const file = join(mkdtempSync(join(tmpdir(), 'odoops-sched-')), 'schedule.yaml')
    writeFileSync(file, SCHEDULE)
    const apply = spawn(process.execPath, [BIN, 'schedule', 'apply', file], {env: {...process.env, ...pgA}, stdio: 'ignore'})
    expect(await new Promise((resolve) => apply.once('exit', resolve))).to.equal(0)

    fleets.push({name: 'local', envs: [local, local], daemons: [], events: [], stops: []})
    fleets.push({name: 'postgres', envs: [pgA, pgB], state: url, daemons: [], events: [], stops: []})
    for (const fleet of fleets) fleet.daemons = fleet.envs.map((env, i) => startDaemon(`${fleet.name}-${i + 1}`, env))

    // Until every fleet has RUNS complete runs after the first full minute (the first may have started mid-minute: it is complete too, all tenants are due at once).
    const deadline = Date.now() + (RUNS + 2) * 60_000
    for (;;) {
      let done = true
      for (const fleet of fleets) {
        const store = await storeOf(fleet.envs[0])
        fleet.events = await jobEvents(store)
        await store.close()
        if (completeSlots(fleet.events).length < RUNS) done = false
      }
      if (done || Date.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 5000))
    }
    // Stop them all, and wait for the slot in flight (if any) to settle before reading the trail.
    for (const fleet of fleets) {
      for (const d of fleet.daemons) {
        const sent = Date.now()
        d.child.kill('SIGTERM')
        const exit = await d.exit
        fleet.stops.push({code: exit.code, ms: exit.at - sent})
        rememberOutput(`stdout of ${d.name}`, d.stdout)
      }
      const store = await storeOf(fleet.envs[0])
      fleet.events = await jobEvents(store)
      await store.close()
    }
  })

  after(() => {
    for (const fleet of fleets) for (const d of fleet.daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL')
  })

  for (const name of ['local', 'postgres']) {
    it(`${name} store: each (tenant, run) executed exactly once over ${RUNS} runs, the loser skipped`, () => {
      const fleet = fleets.find((f) => f.name === name)!
      const slots = completeSlots(fleet.events)
      expect(slots.length, JSON.stringify(fleet.events.map((e) => [e.tenant, e.details?.slot]))).to.be.at.least(RUNS)
      const counts = executions(fleet.events)
      const twice = [...counts].filter(([, n]) => n !== 1)
      expect(twice, 'executed more than once').to.deep.equal([])
      // Every tenant in every complete run, with an ok outcome.
      for (const slot of slots) {
        const inSlot = fleet.events.filter((e) => e.details?.slot === slot)
        expect(inSlot.map((e) => e.tenant).sort()).to.deep.equal(Array.from({length: TENANTS}, (_, i) => `dm${String(i + 1).padStart(2, '0')}`))
        expect(inSlot.every((e) => e.outcome === 'ok')).to.equal(true)
      }
      // Both daemons fired each minute: what one ran, the other logged as skipped (held, or done).
      const lines = fleet.daemons.map((d) => jsonLines(d.stdout))
      const ran = lines.map((l) => l.filter((e) => e.event === 'tenant-ok').length)
      const skipped = lines.flatMap((l) => l.filter((e) => e.event === 'tenant-skipped'))
      expect(ran.reduce((a, b) => a + b, 0)).to.equal(fleet.events.filter((e) => e.details?.job === 'every-minute').length)
      expect(skipped.length).to.be.at.least(RUNS * TENANTS - 2 * TENANTS)
      const held = skipped.filter((e) => /held by/.test(e.reason)).length
      console.log(`      ${name}: ${slots.length} complete runs, executions per daemon ${ran.join(' + ')}, skipped ${held} held by / ${skipped.length - held} done by, stops ${fleet.stops.map((s) => `${s.ms} ms`).join(', ')}`)
      // `interrupted`: a run that was starting when the test stopped the daemons (SIGTERM).
      const unexpected = skipped.filter((e) => !/^(skipped: (held by schedule daemon every-minute@\S+ by \S+ pid \d+|done by .+)|interrupted)$/.test(e.reason))
      expect(unexpected.map((e) => e.reason)).to.deep.equal([])
      // The audit events name the daemon that ran each one; both fleets' events come from the two pids.
      const owners = new Set(fleet.events.map((e) => String(e.details?.owner).replace(/.* pid /, '')))
      expect(owners.size).to.be.within(1, 2)
      // SIGTERM: each daemon exited 0 within its grace period (30 s).
      for (const stop of fleet.stops) {
        expect(stop.code).to.equal(0)
        expect(stop.ms).to.be.below(30_000)
      }
      // One JSON object per line on stdout.
      for (const d of fleet.daemons) for (const line of d.stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).to.not.throw()
    })
  }
})

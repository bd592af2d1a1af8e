import pLimit from 'p-limit'
import {buildAuditEvent} from '../audit/audit.js'
import {ExitCode, isOdoopsError, messageOf} from '../errors.js'
import type {Notifier} from '../notify/notifier.js'
import type {SummaryNotice} from '../notify/types.js'
import type {LockInfo} from '../state/records.js'
import {lockOwner} from '../tenants/lock.js'
import type {JobEnv} from './env.js'
import {MACHINE, type EmitFn} from './events.js'
import {NothingToDo, UNIT_RUNNERS, type UnitDetail, type UnitPart} from './kinds.js'
import {FLEET_UNIT, jobUnits, unitTenant, type JobUnit} from './select.js'
import type {JobSpec, NotifyRouting} from './types.js'

/** Lease of a job lock: renewed at a third while the unit runs; a holder on another machine that died frees it after this. */
export const JOB_LOCK_TTL_MS = 2 * 60_000
/** Audit command of one (job, tenant) run. */
export const JOB_AUDIT_COMMAND = 'schedule:job'
const DEFAULT_PER_HOST = 2

export const jobLockKey = (kind: string, unit: string) => `job:${kind}:${unit}`

export type UnitStatus = 'ok' | 'failed' | 'interrupted' | 'skipped'

export interface UnitResult {
  unit: string
  status: UnitStatus
  durationMs: number
  /** skipped: `held by <owner>`, `done by <owner>` (another daemon or cron line ran this run), `interrupted`, or why there was nothing to do. */
  reason?: string
  /** skipped because there was nothing to do (a release applied already): audited, and the run still exits 0. */
  nothingToDo?: boolean
  heldBy?: LockInfo
  error?: {code: string; message: string}
  detail?: UnitDetail
  /** release jobs: each host as the unit reported it (the notices name these, not the unit). */
  parts?: UnitPart[]
}

export interface JobRunResult {
  job: string
  kind: string
  run: string
  slot: string
  units: UnitResult[]
  ok: number
  failed: number
  skipped: number
  /** Of the skipped units, those with nothing to do (they do not make the exit code 4). */
  idle: number
  interrupted: boolean
  durationMs: number
  /** 0 ok (or nothing to do), 1 every unit failed, 3 some failed, 4 skipped because another run holds or did it, 130 interrupted. */
  exitCode: ExitCode
}

export interface RunJobOptions {
  slot: string
  signal: AbortSignal
  emit: EmitFn
  notifier?: Notifier
  /** Routing when the job has none of its own (the file's `notify`). */
  routing?: NotifyRouting
  /** Who runs it: `schedule daemon` or `schedule run` (one job, now). */
  via: string
}

function summary(error: unknown): {code: string; message: string} {
  return isOdoopsError(error) ? {code: error.code, message: error.message} : {code: 'JOB_FAILED', message: messageOf(error)}
}

/** The run of this job for this slot already recorded in the audit trail (by any daemon or cron line), if any. */
async function recordedRun(env: JobEnv, job: JobSpec, unit: JobUnit, slot: string) {
  const tenant = unitTenant(unit)
  const events = await env.store.audit.list({command: JOB_AUDIT_COMMAND, since: slot.replace('Z', ':00.000Z'), ...(tenant ? {tenant} : {})})
  return events.find((e) => e.details?.job === job.id && e.details?.slot === slot && e.details?.unit === unit.id)
}

export function jobExitCode(r: Pick<JobRunResult, 'ok' | 'failed' | 'skipped' | 'interrupted'> & {idle?: number}): ExitCode {
  if (r.interrupted) return ExitCode.INTERRUPTED
  if (r.failed > 0) return r.ok > 0 ? ExitCode.PARTIAL : ExitCode.FAILURE
  if (r.skipped > (r.idle ?? 0)) return ExitCode.BUSY
  return ExitCode.OK
}

type SummaryLists = Pick<SummaryNotice, 'ok' | 'failed' | 'skipped'>

/** What the run's summary lists: each unit, or the parts of a unit that has some (a release's hosts). */
function summaryLists(results: readonly UnitResult[]): SummaryLists {
  const lists: SummaryLists = {ok: [], failed: [], skipped: []}
  for (const r of results) {
    for (const p of r.parts ?? []) {
      if (p.status === 'ok') lists.ok.push(p.name)
      else if (p.status === 'failed') lists.failed.push({tenant: p.name, code: p.error?.code ?? '', message: p.error?.message ?? ''})
      else lists.skipped.push({tenant: p.name, reason: p.reason ?? ''})
    }
    const failedPart = (r.parts ?? []).some((p) => p.status === 'failed')
    // A unit whose parts tell it all is not listed again; one that failed in none of them is.
    if (r.parts?.length && (r.status === 'ok' || failedPart)) continue
    if (r.status === 'ok') lists.ok.push(r.unit)
    else if (r.status === 'failed' || r.status === 'interrupted') lists.failed.push({tenant: r.unit, code: r.error?.code ?? '', message: r.error?.message ?? ''})
    else lists.skipped.push({tenant: r.unit, reason: r.reason ?? ''})
  }
  return lists
}

/**
 * One run of a job: every unit (tenant) under the job lock `job:<kind>:<tenant>`; a unit
 * whose lock is held is skipped (`held by <owner>`), one that the audit trail shows done
 * for this slot is skipped too (`done by …`), so two daemons, a daemon and a cron line, or
 * two ops hosts on one PostgreSQL store run each (run, tenant) once. Each unit that ran is
 * one audit event (`schedule:job`), written before its lock is released.
 */
export async function runJob(env: JobEnv, job: JobSpec, options: RunJobOptions): Promise<JobRunResult> {
  const {slot, signal, emit, notifier} = options
  const run = `${job.id}@${slot}`
  const started = Date.now()
  const base = {job: job.id, kind: job.kind, run}
  const routing = job.notify ?? options.routing ?? {}
  const owner = lockOwner(`schedule ${options.via} ${run}`)
  emit({event: 'job-start', ...base, slot})

  let units: JobUnit[]
  try {
    units = await jobUnits(env.store, job, slot)
  } catch (error) {
    const err = summary(error)
    emit({event: 'job-failed', ...base, error: err})
    notifier?.send(routing.failures, {type: 'failure', job: job.id, kind: job.kind, run, tenant: FLEET_UNIT, error: err, machine: MACHINE, time: new Date().toISOString()})
    await notifier?.flush()
    return {job: job.id, kind: job.kind, run, slot, units: [], ok: 0, failed: 1, skipped: 0, idle: 0, interrupted: false, durationMs: Date.now() - started, exitCode: ExitCode.FAILURE}
  }

  const limits = new Map<string, ReturnType<typeof pLimit>>()
  const perHost = Math.max(1, job.options?.perHost ?? DEFAULT_PER_HOST)
  const limitOf = (unit: JobUnit) => {
    const key = unit.host ?? ''
    let limit = limits.get(key)
    if (!limit) limits.set(key, (limit = pLimit(unit.host ? perHost : 1)))
    return limit
  }

  const results = await Promise.all(units.map((unit) => limitOf(unit)(() => runUnit(env, job, unit, {...options, run, owner, routing}))))
  const count = (s: UnitStatus) => results.filter((r) => r.status === s).length
  const interrupted = signal.aborted
  const idle = results.filter((r) => r.nothingToDo).length
  const result: JobRunResult = {
    job: job.id,
    kind: job.kind,
    run,
    slot,
    units: results,
    ok: count('ok'),
    failed: count('failed'),
    skipped: results.filter((r) => r.status === 'skipped' && r.reason !== 'interrupted').length,
    idle,
    interrupted,
    durationMs: Date.now() - started,
    exitCode: ExitCode.OK,
  }
  result.exitCode = jobExitCode(result)
  const outcome = interrupted ? 'interrupted' : result.failed > 0 ? (result.ok > 0 ? 'partial' : 'failed') : result.ok === 0 && result.skipped > 0 ? 'skipped' : 'ok'
  emit({event: 'job-end', ...base, outcome, ok: result.ok, failed: result.failed, skipped: result.skipped, units: results.length, durationMs: result.durationMs, exitCode: result.exitCode})
  // One summary per run, from whichever process ran something (not from one that only found it done or held).
  if (result.ok + result.failed + count('interrupted') + idle > 0) {
    notifier?.send(routing.summaries, {
      type: 'summary',
      job: job.id,
      kind: job.kind,
      run,
      outcome,
      ...(job.kind === 'release' && job.options?.release ? {release: job.options.release} : {}),
      ...summaryLists(results),
      durationMs: result.durationMs,
      machine: MACHINE,
      time: new Date().toISOString(),
    })
  }
  await notifier?.flush()
  return result
}

async function runUnit(env: JobEnv, job: JobSpec, unit: JobUnit, o: RunJobOptions & {run: string; owner: string; routing: NotifyRouting}): Promise<UnitResult> {
  const base = {job: job.id, kind: job.kind, run: o.run, tenant: unit.id}
  const started = Date.now()
  if (o.signal.aborted) {
    o.emit({event: 'tenant-skipped', ...base, reason: 'interrupted'})
    return {unit: unit.id, status: 'skipped', reason: 'interrupted', durationMs: 0}
  }
  const key = jobLockKey(job.kind, unit.id)
  const got = await env.store.locks.acquire(key, {owner: o.owner, ttlMs: JOB_LOCK_TTL_MS})
  if (!got.acquired) {
    const reason = `held by ${got.heldBy.owner}`
    o.emit({event: 'tenant-skipped', ...base, reason: `skipped: ${reason}`, heldBy: got.heldBy})
    return {unit: unit.id, status: 'skipped', reason, heldBy: got.heldBy, durationMs: Date.now() - started}
  }
  const renewal = setInterval(() => void env.store.locks.renew(key, o.owner, JOB_LOCK_TTL_MS).catch(() => {}), JOB_LOCK_TTL_MS / 3)
  renewal.unref()
  try {
    const done = await recordedRun(env, job, unit, o.slot)
    if (done) {
      const reason = `done by ${(done.details?.owner as string | undefined) ?? done.machine} at ${done.time}`
      o.emit({event: 'tenant-skipped', ...base, reason: `skipped: ${reason}`})
      return {unit: unit.id, status: 'skipped', reason, durationMs: Date.now() - started}
    }
    o.emit({event: 'tenant-start', ...base})
    const parts: UnitPart[] = []
    const release = job.kind === 'release' ? {release: unit.release ?? unit.id} : {}
    const part = (p: UnitPart) => {
      parts.push(p)
      o.emit({event: 'unit-part', ...base, part: p.name, status: p.status, ...(p.error ? {error: p.error} : {}), ...(p.reason ? {reason: p.reason} : {})})
      // A failed host is told at once, as a failed tenant is; not when the run was interrupted.
      if (p.status === 'failed' && !o.signal.aborted) {
        o.notifier?.send(o.routing.failures, {type: 'failure', job: job.id, kind: job.kind, run: o.run, tenant: p.name, host: p.name, ...release, error: p.error ?? {code: 'FAILED', message: ''}, machine: MACHINE, time: new Date().toISOString()})
      }
    }
    let result: UnitResult
    try {
      const detail = await UNIT_RUNNERS[job.kind]({env, job, unit, slot: o.slot, signal: o.signal, part})
      result = {unit: unit.id, status: 'ok', durationMs: Date.now() - started, detail}
    } catch (error) {
      if (error instanceof NothingToDo) {
        result = {unit: unit.id, status: 'skipped', reason: error.reason, nothingToDo: true, durationMs: Date.now() - started, detail: error.detail}
      } else {
        const err = summary(error)
        const detail = isOdoopsError(error) && error.data ? (error.data as UnitDetail) : undefined
        result = {unit: unit.id, status: o.signal.aborted ? 'interrupted' : 'failed', durationMs: Date.now() - started, error: err, ...(detail ? {detail} : {})}
      }
    }
    if (parts.length > 0) result.parts = parts
    const exitCode = result.status === 'ok' || result.status === 'skipped' ? ExitCode.OK : result.status === 'interrupted' ? ExitCode.INTERRUPTED : ExitCode.FAILURE
    // Recorded while the lock is held: whoever takes it next sees this run as done.
    await env.store.audit.append(
      buildAuditEvent({
        command: JOB_AUDIT_COMMAND,
        argv: [job.id, unit.id],
        exitCode,
        durationMs: result.durationMs,
        ...(unitTenant(unit) ? {tenant: unit.id} : {}),
        ...(unit.host ? {host: unit.host} : {}),
        ...(result.error ? {error: `${result.error.code}: ${result.error.message}`} : {}),
        details: {
          job: job.id,
          kind: job.kind,
          slot: o.slot,
          run: o.run,
          unit: unit.id,
          via: o.via,
          owner: o.owner,
          ...(result.detail ? {result: result.detail} : {}),
          ...(result.nothingToDo ? {skipped: result.reason} : {}),
          ...(result.parts ? {parts: result.parts} : {}),
        },
      }),
    )
    if (result.status === 'ok') o.emit({event: 'tenant-ok', ...base, durationMs: result.durationMs, detail: result.detail})
    else if (result.status === 'skipped') o.emit({event: 'tenant-skipped', ...base, reason: `skipped: ${result.reason}`, nothingToDo: true, detail: result.detail})
    else {
      o.emit({event: 'tenant-failed', ...base, outcome: result.status, durationMs: result.durationMs, error: result.error})
      // Right away, while the other tenants go on; delivery is awaited at the end of the run. A unit
      // whose failed part was told already (a release's host) is not told twice.
      if (result.status === 'failed' && !parts.some((p) => p.status === 'failed')) {
        o.notifier?.send(o.routing.failures, {type: 'failure', job: job.id, kind: job.kind, run: o.run, tenant: unit.id, ...release, error: result.error!, machine: MACHINE, time: new Date().toISOString()})
      }
    }
    return result
  } finally {
    clearInterval(renewal)
    await env.store.locks.release(key, o.owner).catch(() => {})
  }
}

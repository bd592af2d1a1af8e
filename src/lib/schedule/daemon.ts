import cron, {type ScheduledTask} from 'node-cron'
import type {JobEnv} from './env.js'
import type {EmitFn} from './events.js'
import {slotOf} from './cron.js'
import {runJob, type JobRunResult} from './run-job.js'
import {jobTimeZone} from './source.js'
import type {Notifier} from '../notify/notifier.js'
import type {LoadedSchedule} from './types.js'

export const DEFAULT_GRACE_MS = 60_000

export interface DaemonOptions {
  /** Aborted on SIGTERM/SIGINT: the job in hand is aborted (its domain code cleans up) and the daemon stops. */
  signal: AbortSignal
  /** How long to wait for the aborted jobs to finish cleaning up before giving up. */
  graceMs: number
  emit: EmitFn
  notifierFor: (loaded: LoadedSchedule) => Notifier
  /** Only these job ids (default: every enabled job). */
  only?: string[]
}

export interface DaemonStop {
  /** True when every job in hand ended within the grace period. */
  clean: boolean
  runs: number
  stillRunning: string[]
}

/**
 * The long-running scheduler: one node-cron task per enabled job (in its time zone). A
 * firing while the same job still runs in this daemon is skipped (logged); a job's failure
 * is logged and notified, never fatal. `reload()` swaps the schedule (SIGHUP).
 */
export class SchedulerDaemon {
  private tasks: ScheduledTask[] = []
  private readonly running = new Map<string, Promise<JobRunResult | undefined>>()
  private runs = 0
  private loaded!: LoadedSchedule
  private notifier!: Notifier

  constructor(
    private readonly env: JobEnv,
    private readonly options: DaemonOptions,
  ) {}

  start(loaded: LoadedSchedule): void {
    this.loaded = loaded
    this.notifier = this.options.notifierFor(loaded)
    const logger = {
      info: (message: string) => this.options.emit({event: 'scheduler-log', level: 'info', message}),
      warn: (message: string) => this.options.emit({event: 'scheduler-log', level: 'warn', message}),
      error: (message: string | Error) => this.options.emit({event: 'scheduler-log', level: 'error', message: String(message)}),
      debug: () => {},
    }
    for (const job of loaded.schedule.jobs) {
      if (job.enabled === false || (this.options.only && !this.options.only.includes(job.id))) continue
      const timezone = jobTimeZone(loaded.schedule, job)
      // ctx.date is the minute the task was due: the slot every other daemon names the same way.
      const task = cron.schedule(job.cron, (ctx) => this.fire(job.id, ctx.date), {name: job.id, timezone, logger})
      this.tasks.push(task)
      this.options.emit({event: 'job-scheduled', job: job.id, kind: job.kind, cron: job.cron, timezone, next: task.getNextRun()?.toISOString() ?? null})
    }
  }

  /** Replace the schedule: jobs in hand finish under the old one. */
  reload(loaded: LoadedSchedule): void {
    this.stopTasks()
    this.start(loaded)
  }

  private fire(jobId: string, due: Date): void {
    if (this.options.signal.aborted) return
    const job = this.loaded.schedule.jobs.find((j) => j.id === jobId)
    if (!job) return
    const slot = slotOf(due)
    if (this.running.has(jobId)) {
      this.options.emit({event: 'job-skipped', job: jobId, kind: job.kind, run: `${jobId}@${slot}`, reason: 'the previous run of this job is still running in this daemon'})
      return
    }
    this.runs++
    const work = runJob(this.env, job, {slot, signal: this.options.signal, emit: this.options.emit, notifier: this.notifier, routing: this.loaded.schedule.notify, via: 'daemon'})
      .catch((error: unknown) => {
        // runJob reports its own failures; this is a bug or a store outage: log, keep the daemon alive.
        this.options.emit({event: 'job-failed', job: jobId, kind: job.kind, run: `${jobId}@${slot}`, error: {code: 'JOB_CRASHED', message: (error as Error)?.message ?? String(error)}})
        return undefined
      })
      .finally(() => this.running.delete(jobId))
    this.running.set(jobId, work)
  }

  private stopTasks(): void {
    for (const task of this.tasks) void task.destroy()
    this.tasks = []
  }

  /** Resolves when the signal aborted and the jobs in hand ended (or the grace period ran out). */
  async untilStopped(): Promise<DaemonStop> {
    // node-cron's timers keep the process alive between runs; this one covers an empty schedule.
    const keepAlive = setInterval(() => {}, 3_600_000)
    try {
      await new Promise<void>((resolve) => {
        if (this.options.signal.aborted) resolve()
        else this.options.signal.addEventListener('abort', () => resolve(), {once: true})
      })
      this.stopTasks()
      const deadline = Date.now() + this.options.graceMs
      const ended = await withDeadline(Promise.allSettled([...this.running.values()]), deadline)
      // Notices already started are delivered (bounded by their retries) within what is left of the grace.
      if (ended) await withDeadline(this.notifier.flush(), deadline)
      return {clean: ended, runs: this.runs, stillRunning: [...this.running.keys()]}
    } finally {
      clearInterval(keepAlive)
    }
  }
}

/** True when `work` settled before `deadline` (epoch ms). */
async function withDeadline(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))
  })
  try {
    return await Promise.race([work.then(() => true, () => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

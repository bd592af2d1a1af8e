import type {Settings} from '../lib/config/settings.js'
import {ExitCode} from '../lib/errors.js'
import type {Ui} from '../lib/output/ui.js'
import {slotOf} from '../lib/schedule/cron.js'
import {SchedulerDaemon, type DaemonStop} from '../lib/schedule/daemon.js'
import {runJob, type JobRunResult} from '../lib/schedule/run-job.js'
import {jsonLineEmitter} from '../lib/schedule/events.js'
import {scheduleNotifier} from '../lib/schedule/invocation.js'
import {findJob, loadSchedule} from '../lib/schedule/source.js'
import type {SecretBox} from '../lib/secrets/secret-box.js'
import type {StateStore} from '../lib/state/store.js'

export interface ScheduleCommandContext {
  store: StateStore
  configDir: string
  dataDir: string
  settings: Settings
  ui: Ui
  signal: AbortSignal
  box: () => Promise<SecretBox>
}

/**
 * The scheduler daemon as a command runs it (`schedule daemon`, and the deprecated
 * `schedule run` without a job): events as JSON lines, SIGHUP re-reads the schedule, the
 * exit code says whether the job in hand ended within the grace period.
 */
export async function runSchedulerDaemon(ctx: ScheduleCommandContext, options: {graceSeconds: number; only?: string[]}): Promise<DaemonStop> {
  const store = ctx.store
  let loaded = await loadSchedule(store, ctx.configDir)
  for (const id of options.only ?? []) findJob(loaded.schedule, id, loaded)
  const emit = jsonLineEmitter((line) => ctx.ui.jsonLine(line))
  const box = ctx.box
  const daemon = new SchedulerDaemon(
    {store, dataDir: ctx.dataDir, setting: (key) => ctx.settings.get(key), box},
    {signal: ctx.signal, graceMs: options.graceSeconds * 1000, emit, notifierFor: (l) => scheduleNotifier(l, {store, box}, emit), only: options.only},
  )
  const reload = () => {
    loadSchedule(store, ctx.configDir).then(
      (next) => {
        loaded = next
        daemon.reload(next)
        emit({event: 'daemon-reload', source: next.source, location: next.location, jobs: next.schedule.jobs.map((j) => j.id)})
      },
      (error: Error) => emit({event: 'daemon-reload', outcome: 'failed', reason: error.message}),
    )
  }
  process.on('SIGHUP', reload)
  emit({event: 'daemon-start', source: loaded.source, location: loaded.location, graceSeconds: options.graceSeconds, ...(loaded.shadowedFile ? {shadowedFile: loaded.shadowedFile} : {})})
  daemon.start(loaded)
  try {
    const stop = await daemon.untilStopped()
    emit({event: 'daemon-stop', outcome: stop.clean ? 'clean' : 'grace-exceeded', runs: stop.runs, stillRunning: stop.stillRunning})
    // Stopping on SIGTERM is the normal end of a service: 0 when the job in hand ended in time.
    process.exitCode = stop.clean ? ExitCode.OK : ExitCode.FAILURE
    // A job that ignored the abort must not keep the process past the grace period.
    if (!stop.clean) setTimeout(() => process.exit(ExitCode.FAILURE), 2000).unref()
    return stop
  } finally {
    process.off('SIGHUP', reload)
  }
}

/**
 * One job of the schedule, once, now (`schedule run <job>`, what crontab lines call): every
 * tenant it selects under its job lock, as the run `<job>@<current minute>`.
 */
export async function runScheduledJob(ctx: ScheduleCommandContext, jobId: string): Promise<JobRunResult> {
  const slot = slotOf(new Date())
  const {store} = ctx
  const loaded = await loadSchedule(store, ctx.configDir)
  const job = findJob(loaded.schedule, jobId, loaded)
  const emit = jsonLineEmitter((line) => ctx.ui.jsonLine(line))
  const box = ctx.box
  const result = await runJob(
    {store, dataDir: ctx.dataDir, setting: (key) => ctx.settings.get(key), box},
    job,
    {slot, signal: ctx.signal, emit, notifier: scheduleNotifier(loaded, {store, box}, emit), routing: loaded.schedule.notify, via: 'run'},
  )
  process.exitCode = result.exitCode
  return result
}

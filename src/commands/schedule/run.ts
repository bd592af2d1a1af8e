import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {runScheduledJob, runSchedulerDaemon} from '../../cli/schedule-runs.js'
import {DEFAULT_GRACE_MS, type DaemonStop} from '../../lib/schedule/daemon.js'
import type {JobRunResult} from '../../lib/schedule/run-job.js'

/** One job's run; the daemon's stop report only for the deprecated form without a job. */
export type ScheduleRunResult = JobRunResult | DaemonStop

export default class ScheduleRun extends OdoopsCommand<ScheduleRunResult> {
  static override usesSsh = true
  static override summary = 'run one job of the schedule once, now (what crontab lines call)'
  static override description = `Runs the job for every tenant it selects, each under the job lock job:<kind>:<tenant>, as one run named <job>@<current minute>: a tenant whose lock another run holds is skipped ("skipped: held by <owner>"), and so is one the audit trail shows done for this minute by another daemon or cron line. Prints one JSON line per event on stdout (under --json: the events go to stderr and the result document to stdout). Failure notices and the run summary go to the job's channels; a notification failure never changes the exit code. Exit 0 ok (or nothing to do), 1 every tenant failed, 3 some failed, 4 skipped because another run holds the lock or did it, 130 interrupted. Formerly schedule exec (still accepted, with a deprecation warning); schedule run without a job still starts the daemon as it used to, with a warning: use schedule daemon. See docs/unattended.md.`
  static override args = {job: Args.string({description: 'job id (odoops schedule list)'})}
  static override flags = {
    // The daemon's flags, from when `schedule run` was the daemon (systemd units written then).
    grace: Flags.integer({hidden: true, default: DEFAULT_GRACE_MS / 1000, min: 1, max: 3600}),
    only: Flags.string({hidden: true, multiple: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> nightly-backup', '<%= config.bin %> <%= command.id %> daily-meter --json']

  async run(): Promise<ScheduleRunResult> {
    const {args, flags} = await this.parse(ScheduleRun)
    this.handlesInterrupt = true
    const context = {store: await this.state(), configDir: this.dirs.configDir, dataDir: this.dirs.dataDir, settings: this.settings, ui: this.ui, signal: this.abort.signal, box: () => this.secretBox()}
    if (args.job) return runScheduledJob(context, args.job)
    this.ui.warn('"schedule run" without a job starts the scheduler daemon, as it used to: that is now "odoops schedule daemon" (this form will go; odoops schedule unit writes the new one).')
    return runSchedulerDaemon(context, {graceSeconds: flags.grace, only: flags.only})
  }
}

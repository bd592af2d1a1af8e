import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {configureSshForCommand} from '../../cli/ssh-setup.js'
import {slotOf} from '../../lib/schedule/cron.js'
import {jsonLineEmitter} from '../../lib/schedule/events.js'
import {scheduleNotifier} from '../../lib/schedule/invocation.js'
import {runJob, type JobRunResult} from '../../lib/schedule/run-job.js'
import {findJob, loadSchedule} from '../../lib/schedule/source.js'

export type ScheduleExecResult = JobRunResult

export default class ScheduleExec extends OdoopsCommand<ScheduleExecResult> {
  static override summary = 'run one job of the schedule once, now (what crontab lines call)'
  static override description = `Runs the job for every tenant it selects, each under the job lock job:<kind>:<tenant>, as one run named <job>@<current minute>: a tenant whose lock another run holds is skipped ("skipped: held by <owner>"), and so is one the audit trail shows done for this minute by another daemon or cron line. Prints one JSON line per event on stdout (under --json: the events go to stderr and the result document to stdout). Failure notices and the run summary go to the job's channels; a notification failure never changes the exit code. Exit 0 ok (or nothing to do), 1 every tenant failed, 3 some failed, 4 skipped because another run holds the lock or did it, 130 interrupted. See docs/unattended.md.`
  static override args = {job: Args.string({description: 'job id (odoops schedule list)', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> nightly-backup', '<%= config.bin %> <%= command.id %> daily-meter --json']

  async run(): Promise<ScheduleExecResult> {
    const {args} = await this.parse(ScheduleExec)
    this.handlesInterrupt = true
    const slot = slotOf(new Date())
    const store = await this.state()
    const loaded = await loadSchedule(store, this.dirs.configDir)
    const job = findJob(loaded.schedule, args.job, loaded)
    configureSshForCommand(this.settings, this.ui)
    const emit = jsonLineEmitter((line) => (this.ui.json ? process.stderr : process.stdout).write(line))
    const box = () => this.secretBox()
    const result = await runJob(
      {store, dataDir: this.dirs.dataDir, setting: (key) => this.settings.get(key), box},
      job,
      {slot, signal: this.abort.signal, emit, notifier: scheduleNotifier(loaded, {store, box}, emit), routing: loaded.schedule.notify, via: 'exec'},
    )
    process.exitCode = result.exitCode
    return result
  }
}

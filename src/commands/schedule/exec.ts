import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {runScheduledJob} from '../../cli/schedule-runs.js'
import type {JobRunResult} from '../../lib/schedule/run-job.js'

export type ScheduleExecResult = JobRunResult

/** The name `schedule run <job>` had before 0.2; crontab lines written then still call it. */
export default class ScheduleExec extends OdoopsCommand<ScheduleExecResult> {
  static override hidden = true
  static override state = 'deprecated'
  static override deprecationOptions = {to: 'schedule run'}
  static override usesSsh = true
  static override summary = 'deprecated: use schedule run <job>'
  static override args = {job: Args.string({description: 'job id (odoops schedule list)', required: true})}

  async run(): Promise<ScheduleExecResult> {
    const {args} = await this.parse(ScheduleExec)
    this.handlesInterrupt = true
    return runScheduledJob({store: await this.state(), configDir: this.dirs.configDir, dataDir: this.dirs.dataDir, settings: this.settings, ui: this.ui, signal: this.abort.signal, box: () => this.secretBox()}, args.job)
  }
}

import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {messageOf} from '../../lib/errors.js'
import {invalidSchedule, readScheduleFile} from '../../lib/schedule/file.js'
import {scheduleNeedsStore, scheduleReferenceIssues} from '../../lib/schedule/references.js'

export interface ScheduleValidateResult {
  file: string
  valid: true
  jobs: {id: string; kind: string; cron: string}[]
  channels: string[]
  /** With release jobs: whether their releases were looked up in the state store (false: it could not be opened; the reason is in warnings). */
  storeChecked?: boolean
}

export default class ScheduleValidate extends OdoopsCommand<ScheduleValidateResult> {
  static override summary = 'check a schedule file: every error with its path and line'
  static override description = `Checks the YAML, the JSON Schema (job kinds and their options, selections, channels) and the rules across fields (unique job ids, five-field cron expressions as crontab(5) reads them, IANA time zones, channels named in notify exist, one URL source per webhook), then what it names in the state store when it can be read (a release job's release exists and has not failed; an applied or never rehearsed one is a warning). Reports every error at once as file:line:column /json/path: message and exits 2 when there is any. Nothing is stored. Format: docs/unattended.md.`
  static override args = {file: Args.string({description: 'schedule YAML file', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> schedule.yaml', '<%= config.bin %> <%= command.id %> schedule.yaml --json']

  async run(): Promise<ScheduleValidateResult> {
    const {args} = await this.parse(ScheduleValidate)
    const read = readScheduleFile(args.file)
    if (!read.schedule) throw invalidSchedule(args.file, read.issues)
    let storeChecked: boolean | undefined
    if (scheduleNeedsStore(read.schedule)) {
      const store = await this.state().catch((error: unknown) => {
        this.ui.warn(`release jobs not checked against the state store: ${messageOf(error)}`)
      })
      storeChecked = Boolean(store)
      if (store) {
        const checked = await scheduleReferenceIssues(read.schedule, read.text, store)
        if (checked.issues.length > 0) throw invalidSchedule(args.file, checked.issues)
        for (const warning of checked.warnings) this.ui.warn(warning)
      }
    }
    const jobs = read.schedule.jobs.map((j) => ({id: j.id, kind: j.kind, cron: j.cron}))
    this.ui.log(`${args.file}: ${jobs.length} job(s), ${Object.keys(read.schedule.channels ?? {}).length} channel(s): valid.`)
    return {file: read.file, valid: true, jobs, channels: Object.keys(read.schedule.channels ?? {}), ...(storeChecked === undefined ? {} : {storeChecked})}
  }
}

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {invalidSchedule, readScheduleFile} from '../../lib/schedule/file.js'
import {scheduleReferenceIssues} from '../../lib/schedule/references.js'
import {removeStoredSchedule, storeSchedule} from '../../lib/schedule/source.js'

export interface ScheduleApplyResult {
  stored: boolean
  removed?: boolean
  file?: string
  jobs: string[]
  location: string
}

export default class ScheduleApply extends OdoopsCommand<ScheduleApplyResult> {
  static override summary = 'store a schedule in the state store (every ops host on the store then runs it)'
  static override description = `Validates the file like schedule validate (a release job's release must be in this store and not have failed), then stores it in the state store, where it wins over schedule.yaml in the config dir of any ops host using that store. Running daemons pick it up on SIGHUP (systemctl reload odoops-scheduler) or restart. --remove deletes the stored schedule (back to schedule.yaml, else the built-in defaults).`
  static override audited = true
  static override args = {file: Args.string({description: 'schedule YAML file'})}
  static override flags = {remove: Flags.boolean({description: 'delete the stored schedule instead'})}
  static override examples = ['<%= config.bin %> <%= command.id %> schedule.yaml', '<%= config.bin %> <%= command.id %> --remove']

  async run(): Promise<ScheduleApplyResult> {
    const {args, flags} = await this.parse(ScheduleApply)
    const store = await this.state()
    if (flags.remove) {
      if (args.file) throw usageError('SCHEDULE_APPLY_ARGS', 'Give a file or --remove, not both.')
      const removed = await removeStoredSchedule(store)
      this.auditContext = {details: {removed}}
      this.ui.log(removed ? 'Removed the stored schedule: schedule.yaml in the config dir, else the defaults, apply now.' : 'No schedule was stored.')
      return {stored: false, removed, jobs: [], location: store.location}
    }
    if (!args.file) throw usageError('MISSING_VALUE', 'Which schedule file?', ['odoops schedule apply schedule.yaml', 'odoops schedule apply --remove'])
    const read = readScheduleFile(args.file)
    if (!read.schedule) throw invalidSchedule(args.file, read.issues)
    const checked = await scheduleReferenceIssues(read.schedule, read.text, store)
    if (checked.issues.length > 0) throw invalidSchedule(args.file, checked.issues)
    for (const warning of checked.warnings) this.ui.warn(warning)
    await storeSchedule(store, read.schedule, read.text, read.file)
    const jobs = read.schedule.jobs.map((j) => j.id)
    this.auditContext = {details: {file: read.file, jobs}}
    this.ui.log(`Stored ${jobs.length} job(s) in ${store.location}; it wins over schedule.yaml. Reload running daemons: systemctl reload odoops-scheduler`)
    return {stored: true, file: read.file, jobs, location: store.location}
  }
}

import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {nextRuns, zonedTime} from '../../lib/schedule/cron.js'
import {jobTimeZone, loadSchedule} from '../../lib/schedule/source.js'
import type {JobSpec, ScheduleSource} from '../../lib/schedule/types.js'

export interface ScheduleListJob {
  id: string
  kind: JobSpec['kind']
  cron: string
  timezone: string
  enabled: boolean
  select: JobSpec['select']
  options: JobSpec['options']
  /** UTC instants. */
  nextRuns: string[]
  description?: string
}

export interface ScheduleListResult {
  source: ScheduleSource
  location: string
  /** A schedule.yaml that the stored schedule overrides. */
  shadowedFile?: string
  jobs: ScheduleListJob[]
}

export default class ScheduleList extends OdoopsCommand<ScheduleListResult> {
  static override summary = 'the jobs in force, where they come from, and their next run times'
  static override description = `The schedule in force is the one stored with schedule apply, else schedule.yaml in the config dir, else the built-in defaults (nightly backup, a rotating nightly verify covering every tenant weekly, daily prune and meter, monthly invoice drafts). Next run times are shown in each job's time zone (UTC under --json).`
  static override flags = {next: Flags.integer({description: 'next run times per job', default: 3, min: 1, max: 50})}
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --next 5 --json']

  async run(): Promise<ScheduleListResult> {
    const {flags} = await this.parse(ScheduleList)
    const loaded = await loadSchedule(await this.state(), this.dirs.configDir)
    const jobs: ScheduleListJob[] = loaded.schedule.jobs.map((job) => {
      const timezone = jobTimeZone(loaded.schedule, job)
      const enabled = job.enabled !== false
      return {
        id: job.id,
        kind: job.kind,
        cron: job.cron,
        timezone,
        enabled,
        select: job.select ?? 'all',
        options: job.options ?? {},
        nextRuns: enabled ? nextRuns(job.cron, timezone, flags.next).map((d) => d.toISOString()) : [],
        ...(job.description ? {description: job.description} : {}),
      }
    })
    this.ui.log(`Schedule from ${loaded.source === 'defaults' ? 'the built-in defaults' : `${loaded.source} (${loaded.location})`}.`)
    if (loaded.shadowedFile) this.ui.warn(`${loaded.shadowedFile} is ignored: the schedule stored in the state store wins (odoops schedule apply --remove to use the file).`)
    this.ui.table(jobs, [
      {header: 'Job', get: (j) => j.id},
      {header: 'Kind', get: (j) => j.kind},
      {header: 'Cron', get: (j) => j.cron},
      {header: 'Zone', get: (j) => j.timezone},
      {header: 'Tenants', get: (j) => (j.select === 'all' || j.select === undefined ? 'all' : Object.entries(j.select).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' '))},
      {header: 'Next runs', get: (j) => (j.enabled ? j.nextRuns.map((t) => zonedTime(new Date(t), j.timezone)).join('; ') : 'disabled')},
    ])
    return {source: loaded.source, location: loaded.location, ...(loaded.shadowedFile ? {shadowedFile: loaded.shadowedFile} : {}), jobs}
  }
}

import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {OdoopsError} from '../errors.js'
import type {ScheduleRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {DEFAULT_SCHEDULE} from './defaults.js'
import {formatScheduleIssue, parseSchedule, readScheduleFile} from './file.js'
import type {JobSpec, LoadedSchedule, ScheduleFile} from './types.js'

/** Id of the schedule record `schedule apply` writes. */
export const STORED_SCHEDULE_ID = 'default'
export const SCHEDULE_FILE_NAME = 'schedule.yaml'

/**
 * The schedule in force: the one stored with `schedule apply` (shared by every ops host of a
 * PostgreSQL store, so they agree), else `schedule.yaml` in the config dir, else the
 * built-in defaults. The store wins over the file; `shadowedFile` says when a file is ignored.
 */
export async function loadSchedule(store: Pick<StateStore, 'schedules' | 'location'>, configDir: string): Promise<LoadedSchedule> {
  const path = join(configDir, SCHEDULE_FILE_NAME)
  const fileExists = existsSync(path)
  const stored = await store.schedules.get(STORED_SCHEDULE_ID)
  if (stored) {
    // Re-checked: a store written by another odoops version may hold what this one refuses.
    const parsed = stored.text ? parseSchedule(stored.text) : {schedule: stored.schedule as unknown as ScheduleFile, issues: []}
    if (!parsed.schedule) throw storedInvalid(parsed.issues.map((i) => formatScheduleIssue('stored schedule', i)))
    return {schedule: parsed.schedule, source: 'store', location: store.location, ...(fileExists ? {shadowedFile: path} : {})}
  }
  if (fileExists) {
    const read = readScheduleFile(path)
    if (!read.schedule) {
      throw new OdoopsError('SCHEDULE_INVALID', `${path} is not a valid schedule:\n${read.issues.map((i) => '  ' + formatScheduleIssue(path, i)).join('\n')}`, {
        suggestions: [`Fix it (odoops schedule validate ${path}), or move it away to use the built-in defaults.`],
        data: {issues: read.issues},
      })
    }
    return {schedule: read.schedule, source: 'file', location: path}
  }
  return {schedule: DEFAULT_SCHEDULE, source: 'defaults', location: 'built-in defaults'}
}

function storedInvalid(lines: string[]): OdoopsError {
  return new OdoopsError('SCHEDULE_INVALID', `The schedule stored in the state store is not valid for this odoops:\n${lines.map((l) => '  ' + l).join('\n')}`, {
    suggestions: ['Apply a corrected file: odoops schedule apply <file>', 'Or remove it to fall back to schedule.yaml / the defaults: odoops schedule apply --remove'],
  })
}

/** Store a validated schedule (replacing the one stored). */
export async function storeSchedule(store: Pick<StateStore, 'schedules'>, schedule: ScheduleFile, text: string, file: string): Promise<ScheduleRecord> {
  return store.schedules.put({id: STORED_SCHEDULE_ID, schedule: schedule as unknown as Record<string, unknown>, text, file})
}

export async function removeStoredSchedule(store: Pick<StateStore, 'schedules'>): Promise<boolean> {
  return store.schedules.delete(STORED_SCHEDULE_ID)
}

/** A job's time zone: its own, else the file's, else UTC. */
export function jobTimeZone(schedule: ScheduleFile, job: JobSpec): string {
  return job.timezone ?? schedule.timezone ?? 'UTC'
}

export function findJob(schedule: ScheduleFile, id: string, source: LoadedSchedule): JobSpec {
  const job = schedule.jobs.find((j) => j.id === id)
  if (!job) {
    throw new OdoopsError('SCHEDULE_JOB_NOT_FOUND', `No job "${id}" in the schedule (${source.source}: ${source.location}).`, {
      exit: 2,
      suggestions: ['odoops schedule list shows the jobs.'],
      data: {jobs: schedule.jobs.map((j) => j.id)},
    })
  }
  return job
}

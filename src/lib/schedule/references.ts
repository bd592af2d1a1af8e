import type {Release} from '../release/record.js'
import type {StateStore} from '../state/store.js'
import {parseYamlWithLines} from '../yaml-document.js'
import type {ScheduleIssue} from './file.js'
import type {ScheduleFile} from './types.js'

export interface ScheduleReferenceCheck {
  /** What the schedule names that the store does not have, or that can only fail: errors, placed in the file. */
  issues: ScheduleIssue[]
  /** Jobs that will run but do nothing, or run something never rehearsed. */
  warnings: string[]
}

/** Whether a schedule names anything the state store must have (only release jobs do). */
export function scheduleNeedsStore(schedule: ScheduleFile): boolean {
  return schedule.jobs.some((job) => job.kind === 'release')
}

/**
 * The schedule's references checked against the state store (`schedule validate`, `schedule
 * apply`): each release job's release must exist and not have failed (a failed release is never
 * applied again: the job could only fail, each window). An applied release is harmless (the job
 * skips) and a release never rehearsed may be the partner's choice: both are warnings.
 */
export async function scheduleReferenceIssues(schedule: ScheduleFile, text: string, store: Pick<StateStore, 'releases'>): Promise<ScheduleReferenceCheck> {
  const parsed = parseYamlWithLines(text)
  const place = 'place' in parsed ? parsed.place : () => ({})
  const issues: ScheduleIssue[] = []
  const warnings: string[] = []
  for (const [i, job] of schedule.jobs.entries()) {
    const id = job.kind === 'release' ? job.options?.release : undefined
    if (!id) continue
    const path = `/jobs/${i}/options/release`
    const release = (await store.releases.get(id)) as Release | undefined
    if (!release) {
      issues.push({kind: 'rule', path, message: `no release "${id}" in the state store (odoops release list)`, ...place(path)})
    } else if (release.state === 'failed') {
      issues.push({kind: 'rule', path, message: `release ${id} failed${release.error ? ` (${release.error.message})` : ''}: it is not applied again (odoops release show ${id}); plan a new release and name it here`, ...place(path)})
    } else if (release.state === 'applied') {
      warnings.push(`job ${job.id}: release ${id} is applied already: each run will skip it; remove the job`)
    } else if (release.state === 'planned') {
      warnings.push(`job ${job.id}: release ${id} was never rehearsed (odoops release rehearse ${id})`)
    }
  }
  return {issues, warnings}
}

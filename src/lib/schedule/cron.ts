import cron from 'node-cron'

/**
 * Cron expressions as crontab(5) reads them: five fields (minute, hour, day of month, month,
 * day of week) of numbers, ranges, steps, lists and the names JAN–DEC / SUN–SAT. Only what
 * both Debian's cron and node-cron understand is accepted, so `schedule crontab` can print
 * any valid job (node-cron's six-field seconds form and extensions such as `L` are refused).
 */
interface FieldRule {
  name: string
  min: number
  max: number
  names?: readonly string[]
  /** Value of names[0]. */
  namesFrom?: number
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const

export const CRON_FIELDS: readonly FieldRule[] = [
  {name: 'minute', min: 0, max: 59},
  {name: 'hour', min: 0, max: 23},
  {name: 'day of month', min: 1, max: 31},
  {name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1},
  // 7 is Sunday too in crontab(5).
  {name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0},
]

function valueOf(text: string, rule: FieldRule): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    return n >= rule.min && n <= rule.max ? n : undefined
  }
  const index = rule.names?.indexOf(text.toLowerCase()) ?? -1
  return index >= 0 ? index + (rule.namesFrom ?? 0) : undefined
}

function fieldProblem(text: string, rule: FieldRule): string | undefined {
  for (const item of text.split(',')) {
    const m = /^(\*|([^-/]+)(?:-([^-/]+))?)(?:\/(\d+))?$/.exec(item)
    if (!m) return `${rule.name} "${item}" is not a number, range (a-b), step (*/n) or list`
    if (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > rule.max)) return `${rule.name} step "/${m[4]}" must be 1 to ${rule.max}`
    if (m[1] === '*') continue
    const from = valueOf(m[2], rule)
    if (from === undefined) return `${rule.name} "${m[2]}" is out of range (${rule.min}-${rule.max}${rule.names ? ` or ${rule.names[0].toUpperCase()}-${rule.names.at(-1)!.toUpperCase()}` : ''})`
    if (m[3] !== undefined) {
      const to = valueOf(m[3], rule)
      if (to === undefined) return `${rule.name} "${m[3]}" is out of range (${rule.min}-${rule.max})`
      if (to < from) return `${rule.name} range "${m[2]}-${m[3]}" goes backwards`
    }
  }
  return undefined
}

/** Why an expression is not a valid five-field crontab expression, or undefined. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/)
  if (expression.trim().startsWith('@')) return 'use the five fields (e.g. "0 2 * * *" for @daily at 02:00): @-shortcuts are not portable across cron daemons'
  if (fields.length !== 5) return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has five: minute hour day-of-month month day-of-week`
  for (const [i, field] of fields.entries()) {
    const problem = fieldProblem(field, CRON_FIELDS[i])
    if (problem) return problem
  }
  if (!cron.validate(fields.join(' '))) return 'is not accepted by the scheduler (node-cron)'
  return undefined
}

/** Why a time zone name is not an IANA zone this Node.js knows, or undefined. */
export function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: zone})
    return undefined
  } catch {
    return `"${zone}" is not an IANA time zone (e.g. Europe/Brussels, America/New_York, UTC)`
  }
}

/** The next `count` run times of an expression in a zone, from now. */
export function nextRuns(expression: string, timeZone: string, count: number): Date[] {
  const task = cron.createTask(expression, () => {}, {timezone: timeZone})
  try {
    return task.getNextRuns(count)
  } finally {
    void task.destroy()
  }
}

/**
 * The scheduled minute a run belongs to (`2026-11-23T02:00Z`): every daemon and cron line
 * firing for the same minute names the same run, which is how a second one finds it done.
 */
export function slotOf(date: Date): string {
  const minute = new Date(Math.floor(date.getTime() / 60_000) * 60_000)
  return minute.toISOString().replace(/:00\.000Z$/, 'Z')
}

/** The local wall time of an instant in a zone, `2026-11-23 03:00 CET`. */
export function zonedTime(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short'}).formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`
}

/** The system's own zone (what cron daemons without CRON_TZ use). */
export function systemTimeZone(): string {
  return process.env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

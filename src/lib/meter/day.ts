import {usageError} from '../errors.js'
import type {MeterDay} from './types.js'

const DAY_MS = 86_400_000

/** Today in UTC, YYYY-MM-DD. */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10)
}

/** Parses a YYYY-MM-DD calendar date (a real one: no 2026-02-30). */
export function parseDate(value: string, flag = '--date'): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined
  if (!parsed || parsed.toISOString().slice(0, 10) !== value) {
    throw usageError('METER_DATE_INVALID', `${flag} "${value}" is not a date (YYYY-MM-DD).`, [`${flag} 2026-03-31`])
  }
  return parsed
}

/**
 * The day to measure (default today, UTC) and its bounds. A future day is refused: its
 * transactions have not happened. For a past day the rolling windows end at the end of
 * that day; the point-in-time metrics (users, apps, storage) still read the state as it is
 * now (Odoo keeps no history of them), which `collectedAt` on every snapshot records.
 */
export function meterDay(date: string | undefined, now: Date = new Date()): MeterDay {
  const today = utcToday(now)
  const day = date ?? today
  const start = parseDate(day)
  if (day > today) throw usageError('METER_DATE_FUTURE', `${day} has not happened yet (today is ${today} UTC).`, ['Leave out --date to measure today.'])
  const next = new Date(start.getTime() + DAY_MS)
  return {
    date: day,
    start: `${day} 00:00:00`,
    end: `${next.toISOString().slice(0, 10)} 00:00:00`,
    asOf: day === today ? now : next,
  }
}

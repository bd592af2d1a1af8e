import {usageError} from '../errors.js'

/** A monthly billing period. Dates are ISO calendar days (UTC), both ends inclusive. */
export interface BillingPeriod {
  /** YYYY-MM. */
  period: string
  start: string
  end: string
  days: number
}

const DAY_MS = 86_400_000

export function parsePeriod(text: string): BillingPeriod {
  const match = /^(\d{4})-(\d{2})$/.exec(text)
  const month = match ? Number(match[2]) : 0
  if (!match || month < 1 || month > 12) {
    throw usageError('PERIOD_INVALID', `"${text}" is not a billing period.`, ['Periods are months written YYYY-MM, e.g. --period 2026-01.'])
  }
  const year = Number(match[1])
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return {period: text, start: `${text}-01`, end: `${text}-${String(days).padStart(2, '0')}`, days}
}

export function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const time = Date.parse(`${text}T00:00:00Z`)
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text
}

export function parseDate(text: string, flag: string): string {
  if (!isIsoDate(text)) throw usageError('DATE_INVALID', `"${text}" is not a date.`, [`Write ${flag} as YYYY-MM-DD, e.g. ${flag} 2026-01-17.`])
  return text
}

/** The UTC calendar day of an ISO timestamp (or of now). */
export function dayOf(time: string | Date = new Date()): string {
  return (typeof time === 'string' ? new Date(time) : time).toISOString().slice(0, 10)
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

/** Days from `from` to `to`, both inclusive (0 when to < from). */
export function daysInclusive(from: string, to: string): number {
  const n = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1
  return Math.max(0, n)
}

/** The period (YYYY-MM) a date falls in. */
export function periodOf(date: string): string {
  return date.slice(0, 7)
}

export const maxDate = (a: string, b: string): string => (a > b ? a : b)
export const minDate = (a: string, b: string): string => (a < b ? a : b)

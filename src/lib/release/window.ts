import {usageError} from '../errors.js'

/**
 * A daily maintenance window in local time (`02:00-05:00`; `22:00-02:00` runs past midnight).
 * `release apply --window` starts a host only inside it, and only when the host's expected
 * downtime fits before it closes.
 */
export interface MaintenanceWindow {
  /** Minutes after local midnight. */
  start: number
  end: number
  text: string
}

const WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/

export function parseWindow(text: string): MaintenanceWindow {
  const match = WINDOW.exec(text.trim())
  if (!match || match[1] + match[2] === match[3] + match[4]) {
    throw usageError('RELEASE_WINDOW_INVALID', `"${text}" is not a maintenance window.`, ['Give the daily window in local time as HH:MM-HH:MM, e.g. --window 02:00-05:00 (22:00-02:00 runs past midnight).'])
  }
  return {start: Number(match[1]) * 60 + Number(match[2]), end: Number(match[3]) * 60 + Number(match[4]), text: text.trim()}
}

/** Milliseconds left in the window at `now`, or 0 when `now` is outside it. */
export function windowLeftMs(window: MaintenanceWindow, now: Date): number {
  const minute = now.getHours() * 60 + now.getMinutes() + now.getSeconds() / 60 + now.getMilliseconds() / 60_000
  const inside = window.start < window.end ? minute >= window.start && minute < window.end : minute >= window.start || minute < window.end
  if (!inside) return 0
  const left = (window.end - minute + 24 * 60) % (24 * 60)
  return Math.round(left * 60_000)
}

import {hostname} from 'node:os'
import {redact, redactValue} from '../secrets/redact.js'

/**
 * One JSON object per line on stdout (journald keeps each as one entry): what the
 * scheduler did, per job run and per tenant. `event` says what happened:
 * daemon-start, daemon-stop, daemon-reload, job-start, job-end, job-skipped, job-failed,
 * tenant-start, tenant-ok, tenant-failed, tenant-skipped, notify-sent, notify-failed, scheduler-log.
 */
export interface ScheduleEvent {
  time: string
  event: string
  job?: string
  kind?: string
  /** `<job>@<slot>`: the same for every daemon or cron line firing for that minute. */
  run?: string
  tenant?: string
  outcome?: string
  reason?: string
  durationMs?: number
  error?: {code: string; message: string}
  [key: string]: unknown
}

export type EmitFn = (event: Omit<ScheduleEvent, 'time'>) => void

export const MACHINE = hostname()

/** Writes events as JSON lines (redacted) to a stream. */
export function jsonLineEmitter(write: (line: string) => void): EmitFn {
  return (event) => {
    const full = {time: new Date().toISOString(), ...event, pid: process.pid}
    write(redact(JSON.stringify(redactValue(full))) + '\n')
  }
}

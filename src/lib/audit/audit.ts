import {hostname, userInfo} from 'node:os'
import type {AuditEvent} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {redact, redactArgv, redactValue} from '../secrets/redact.js'
import {usageError} from '../errors.js'

/**
 * Audit events record who changed what, from where, with which arguments (secrets
 * redacted), the outcome and how long it took. Recorded for every command that changes
 * state or a host.
 */
export interface AuditInput extends Pick<AuditEvent, 'command' | 'exitCode' | 'durationMs' | 'tenant' | 'host' | 'error' | 'details'> {
  /** The command's arguments, redacted into the event's `args`. */
  argv: readonly string[]
}

export function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? String(process.getuid?.() ?? 'unknown')
  }
}

export function outcomeOf(exitCode: number): AuditEvent['outcome'] {
  if (exitCode === 0) return 'ok'
  if (exitCode === 3) return 'partial'
  if (exitCode === 130) return 'interrupted'
  return 'error'
}

export function buildAuditEvent(input: AuditInput): AuditEvent {
  return {
    time: new Date().toISOString(),
    user: currentUser(),
    machine: hostname(),
    command: input.command,
    args: redactArgv(input.argv),
    outcome: outcomeOf(input.exitCode),
    exitCode: input.exitCode,
    durationMs: Math.round(input.durationMs),
    ...(input.tenant ? {tenant: input.tenant} : {}),
    ...(input.host ? {host: input.host} : {}),
    ...(input.error ? {error: redact(input.error)} : {}),
    ...(input.details ? {details: redactValue(input.details)} : {}),
  }
}

export async function recordAudit(store: StateStore, input: AuditInput): Promise<AuditEvent> {
  return store.audit.append(buildAuditEvent(input))
}

const DURATION_UNITS_MS: Record<string, number> = {m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}

/**
 * `--since` for audit queries: a duration back from now (`30m`, `24h`, `7d`, `2w`) or an
 * ISO 8601 date/time (`2025-01-31`, `2025-01-31T08:00:00Z`). Returns the ISO instant
 * (UTC, as stored in events, so the stores can compare strings).
 */
export function parseSince(text: string, now: Date = new Date()): string {
  const trimmed = text.trim()
  const duration = /^(\d+)\s*([mhdw])$/i.exec(trimmed)
  if (duration) return new Date(now.getTime() - Number(duration[1]) * DURATION_UNITS_MS[duration[2].toLowerCase()]).toISOString()
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(trimmed)) {
    const date = new Date(trimmed)
    if (!Number.isNaN(date.getTime())) return date.toISOString()
  }
  throw usageError('AUDIT_SINCE_INVALID', `"${text}" is neither a duration nor a date.`, [
    'Use a duration back from now: 30m, 24h, 7d, 2w.',
    'Or an ISO 8601 date or time: 2025-01-31, 2025-01-31T08:00:00Z.',
  ])
}

/** Command ids are stored as oclif ids (`config:set`); users type them with spaces (`config set`). */
export function normalizeCommandId(text: string): string {
  return text.trim().split(/[\s:]+/).join(':')
}

/** A command id for people: `config:set` → `config set`. */
export function displayCommandId(id: string): string {
  return id.split(':').join(' ')
}

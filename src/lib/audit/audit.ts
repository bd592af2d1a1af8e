import {hostname, userInfo} from 'node:os'
import type {AuditEvent} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {redact, redactArgv, redactValue} from '../secrets/redact.js'

/**
 * Audit events record who changed what, from where, with which arguments (secrets
 * redacted), the outcome and how long it took. Recorded for every command that changes
 * state or a host.
 */
export interface AuditInput {
  command: string
  argv: readonly string[]
  exitCode: number
  durationMs: number
  tenant?: string
  host?: string
  error?: string
  details?: Record<string, unknown>
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

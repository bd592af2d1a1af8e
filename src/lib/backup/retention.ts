import {usageError} from '../errors.js'

/**
 * Grandfather-father-son retention, pure: which backups of ONE tenant `backup prune` keeps,
 * and why. Calendar windows in UTC counted from `now`: the last `daily` days (today
 * included), the last `weekly` ISO weeks (Monday to Sunday, this week included), the last
 * `monthly` calendar months (this month included). In each window slot the newest backup of
 * that day / week / month is kept; a slot without backups keeps nothing (a gap of a week
 * consumes seven daily slots). Always kept besides: the newest backup overall and the newest
 * VERIFIED one (however old), so pruning never leaves a tenant without a backup known to
 * restore while it had one.
 */
export interface RetentionRules {
  daily: number
  weekly: number
  monthly: number
}

/** What retention needs of a catalog entry. */
export interface RetentionCandidate {
  id: string
  startedAt: string
  /** Only `complete` entries take part; others are neither kept nor removed. */
  status: string
  verification?: {status: string}
}

/** `daily 2026-11-20`, `weekly 2026-W47`, `monthly 2026-11`, `newest-verified`, `newest`. */
export type KeepReason = string

export interface RetentionDecision<T extends RetentionCandidate = RetentionCandidate> {
  backup: T
  reasons: KeepReason[]
}

export interface RetentionPlan<T extends RetentionCandidate = RetentionCandidate> {
  /** Newest first, each with at least one reason. */
  keep: RetentionDecision<T>[]
  /** Newest first. */
  remove: T[]
  /** Entries that are not `complete` (left alone). */
  ignored: T[]
}

export const DEFAULT_RETENTION: RetentionRules = {daily: 7, weekly: 4, monthly: 12}

const DAY_MS = 86_400_000
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

export function dayKey(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`
}

export function monthKey(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}`
}

/** ISO 8601 week `YYYY-Www`: weeks start on Monday, week 1 holds the year's first Thursday (so 2025-12-31 is 2026-W01). */
export function isoWeekKey(date: Date): string {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7))
  const year = thursday.getUTCFullYear()
  const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS + 1) / 7)
  return `${year}-W${pad(week)}`
}

/** The keys of the last `count` days / ISO weeks / months, `now`'s own first. */
function windowKeys(kind: keyof RetentionRules, count: number, now: Date): string[] {
  const keys: string[] = []
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  for (let i = 0; i < count; i++) {
    if (kind === 'daily') keys.push(dayKey(new Date(midnight - i * DAY_MS)))
    else if (kind === 'weekly') keys.push(isoWeekKey(new Date(midnight - i * 7 * DAY_MS)))
    else keys.push(monthKey(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))))
  }
  return keys
}

const KEY_OF: Record<keyof RetentionRules, (date: Date) => string> = {daily: dayKey, weekly: isoWeekKey, monthly: monthKey}

const newestFirst = (a: RetentionCandidate, b: RetentionCandidate) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id)

/** The GFS selection for one tenant's catalog entries (pure; `now` is the reference instant). */
export function selectRetention<T extends RetentionCandidate>(backups: readonly T[], rules: RetentionRules, now: Date): RetentionPlan<T> {
  const complete = backups.filter((b) => b.status === 'complete' && !Number.isNaN(Date.parse(b.startedAt))).sort(newestFirst)
  const counted = new Set<T>(complete)
  const ignored = backups.filter((b) => !counted.has(b)).sort(newestFirst)
  const reasons = new Map<T, KeepReason[]>()
  const keep = (backup: T, reason: KeepReason) => reasons.set(backup, [...(reasons.get(backup) ?? []), reason])

  for (const kind of ['daily', 'weekly', 'monthly'] as const) {
    const open = new Set(windowKeys(kind, Math.max(0, rules[kind]), now))
    for (const backup of complete) {
      const key = KEY_OF[kind](new Date(backup.startedAt))
      // Newest first: the first backup met in a slot is that slot's newest.
      if (open.delete(key)) keep(backup, `${kind} ${key}`)
    }
  }
  // A failed verification counts for the calendar rules above, never as "verified".
  const newestVerified = complete.find((b) => b.verification?.status === 'verified')
  if (newestVerified) keep(newestVerified, 'newest-verified')
  if (complete[0]) keep(complete[0], 'newest')

  return {
    keep: complete.filter((b) => reasons.has(b)).map((backup) => ({backup, reasons: reasons.get(backup) ?? []})),
    remove: complete.filter((b) => !reasons.has(b)),
    ignored,
  }
}

/** Where a tenant's rules came from: `config`, `plan <name>`, with `+ flags` when flags overrode some. */
export interface ResolvedRetention extends RetentionRules {
  source: string
}

/** Parses `daily/weekly/monthly` (`7/4/12`), the form of the config keys. */
export function parseRetentionRules(text: string, what: string): RetentionRules {
  const match = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text)
  if (!match) {
    throw usageError('BACKUP_RETENTION_INVALID', `${what}: "${text}" is not daily/weekly/monthly counts such as 7/4/12.`, ['odoops config set backup.retention 7/4/12', 'odoops config set backup.retentionByPlan premium=30/12/24,basic=7/4/6'])
  }
  return {daily: Number(match[1]), weekly: Number(match[2]), monthly: Number(match[3])}
}

/** Parses the `backup.retentionByPlan` list: `<plan>=daily/weekly/monthly` items. */
export function parsePlanRetention(items: readonly string[]): Record<string, RetentionRules> {
  const byPlan: Record<string, RetentionRules> = {}
  for (const item of items) {
    const eq = item.indexOf('=')
    const plan = item.slice(0, eq).trim()
    if (eq <= 0 || !plan) throw usageError('BACKUP_RETENTION_INVALID', `backup.retentionByPlan: "${item}" is not <plan>=daily/weekly/monthly.`, ['odoops config set backup.retentionByPlan premium=30/12/24,basic=7/4/6'])
    byPlan[plan] = parseRetentionRules(item.slice(eq + 1), `backup.retentionByPlan (${plan})`)
  }
  return byPlan
}

export interface RetentionConfig {
  /** `backup.retention`. */
  defaults: RetentionRules
  /** `backup.retentionByPlan`: tenant `plan` → rules. */
  byPlan: Record<string, RetentionRules>
  /** Command-line flags; each overrides that count alone. */
  overrides: Partial<RetentionRules>
}

/** A tenant's rules: its plan tier's (else the configured defaults), then each flag given. */
export function resolveRetention(config: RetentionConfig, plan: string | undefined): ResolvedRetention {
  const planRules = plan === undefined ? undefined : config.byPlan[plan]
  const base = planRules ?? config.defaults
  const flagged = (['daily', 'weekly', 'monthly'] as const).filter((k) => config.overrides[k] !== undefined)
  const rules: RetentionRules = {...base}
  for (const k of flagged) rules[k] = config.overrides[k] as number
  const source = (planRules ? `plan ${plan}` : 'config') + (flagged.length > 0 ? ' + flags' : '')
  return {...rules, source}
}

/** What `backup list --stale` needs of a tenant. */
export interface StaleTenant {
  tenant: string
  /** The newest verified backup, or null when the tenant has none. */
  newestVerified: string | null
  newestVerifiedAt: string | null
  /** Age of that backup (hours, one decimal), null when there is none. */
  ageHours: number | null
}

/**
 * Tenants whose newest verified complete backup was TAKEN (startedAt) more than `hours`
 * before `now`, or who have none. A backup that failed verification, or was never
 * verified, does not count.
 */
export function findStale(tenants: readonly string[], backups: readonly (RetentionCandidate & {tenant: string})[], hours: number, now: Date): StaleTenant[] {
  const newest = new Map<string, RetentionCandidate>()
  for (const b of backups) {
    if (b.status !== 'complete' || b.verification?.status !== 'verified' || Number.isNaN(Date.parse(b.startedAt))) continue
    const current = newest.get(b.tenant)
    if (!current || newestFirst(b, current) < 0) newest.set(b.tenant, b)
  }
  const stale: StaleTenant[] = []
  for (const tenant of [...tenants].sort()) {
    const b = newest.get(tenant)
    const ageHours = b ? (now.getTime() - Date.parse(b.startedAt)) / 3_600_000 : null
    if (ageHours === null || ageHours > hours) stale.push({tenant, newestVerified: b?.id ?? null, newestVerifiedAt: b?.startedAt ?? null, ageHours: ageHours === null ? null : Math.round(ageHours * 10) / 10})
  }
  return stale
}

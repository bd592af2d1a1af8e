import type {EffectiveTenantState} from '../tenants/listing.js'
import type {TenantVerdict} from '../tenants/status.js'
import {MIN_FREE_BYTES} from '../tenants/preflight.js'
import type {TenantBackupFacts} from './backups.js'
import {CERT_BREACH_DAYS, CERT_WARN_DAYS, type TenantCertificate} from './certificates.js'
import type {ResolvedRpo} from './rpo.js'
import type {TenantPackChecks} from './pack-checks.js'
import type {TenantUsage} from './usage.js'

/**
 * The health score of one tenant: 100 minus the points of each deduction (never below 0).
 * A deduction marked `breach` makes the tenant a breach (`fleet status` exits 1); the
 * others only lower the score (warnings). The table is documented in docs/fleet.md.
 */
export type DeductionCode =
  | 'host-unreachable'
  | 'tenant-failed'
  | 'service-down'
  | 'service-mismatch'
  | 'health-failed'
  | 'database-missing'
  | 'probe-failed'
  | 'unhealthy'
  | 'disk-low'
  | 'disk-warn'
  | 'no-backup'
  | 'no-backup-yet'
  | 'backup-stale'
  | 'no-verified-backup'
  | 'verified-stale'
  | 'verification-failed'
  | 'fair-use-over'
  | 'fair-use-unmeasured'
  | 'pack-check-failed'
  | 'pack-check-warning'
  | 'pack-check-error'
  | 'pack-checks-not-run'
  | 'certificate-expiring'
  | 'certificate-expiry-warn'
  | 'certificate-unreadable'
  | 'certificate-renewal-failed'

export interface Deduction {
  code: DeductionCode
  points: number
  breach: boolean
  /** Why, for people: names the unit, backup, metric and the limit crossed. */
  reason: string
}

export const DEDUCTION_POINTS: Record<DeductionCode, {points: number; breach: boolean}> = {
  'host-unreachable': {points: 50, breach: true},
  'tenant-failed': {points: 50, breach: true},
  'service-down': {points: 40, breach: true},
  'service-mismatch': {points: 10, breach: true},
  'health-failed': {points: 30, breach: true},
  'database-missing': {points: 40, breach: true},
  'probe-failed': {points: 10, breach: true},
  unhealthy: {points: 30, breach: true},
  'disk-low': {points: 20, breach: true},
  'disk-warn': {points: 5, breach: false},
  'no-backup': {points: 40, breach: true},
  'no-backup-yet': {points: 5, breach: false},
  'backup-stale': {points: 20, breach: true},
  'no-verified-backup': {points: 25, breach: true},
  'verified-stale': {points: 15, breach: false},
  'verification-failed': {points: 15, breach: true},
  'fair-use-over': {points: 10, breach: true},
  'fair-use-unmeasured': {points: 5, breach: false},
  'pack-check-failed': {points: 10, breach: true},
  'pack-check-warning': {points: 5, breach: false},
  'pack-check-error': {points: 5, breach: false},
  'pack-checks-not-run': {points: 5, breach: false},
  'certificate-expiring': {points: 30, breach: true},
  'certificate-expiry-warn': {points: 5, breach: false},
  'certificate-unreadable': {points: 10, breach: true},
  'certificate-renewal-failed': {points: 10, breach: false},
}

/** Below this much free space (and above MIN_FREE_BYTES, where tenant create refuses) a warning. */
export const DISK_WARN_BYTES = 5 * 1024 ** 3

export type FleetTenantStatus = 'ok' | 'warning' | 'breach'

export interface ScoreInput {
  state: EffectiveTenantState
  /** The `tenant status` verdict. */
  verdict: TenantVerdict
  /** Set when the tenant's host could not be reached (the message). */
  unreachable?: string
  service: {unit: string; active: string} | null
  http: {ok: boolean; status: number; detail: string} | null
  databaseBytes: number | null
  diskFreeBytes: number | null
  /** The `tenant status` problems (reasons for what the fields above cannot tell). */
  problems: string[]
  /** Hours since the tenant record was created (null when unknown). */
  tenantAgeHours: number | null
  backups: TenantBackupFacts
  rpo: ResolvedRpo
  usage: TenantUsage | null
  /** The packs' fleet checks that concern it (absent or empty: none). */
  packChecks?: TenantPackChecks
  /** The certificate nginx serves for it, read on the host (absent or null: not read). */
  certificate?: TenantCertificate | null
}

export interface TenantScore {
  score: number
  status: FleetTenantStatus
  deductions: Deduction[]
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`
const hours = (h: number) => (h >= 48 ? `${(h / 24).toFixed(1)} days` : h < 1 ? `${Math.round(h * 60)} min` : `${h.toFixed(1)} h`)

function deduct(list: Deduction[], code: DeductionCode, reason: string): void {
  list.push({code, ...DEDUCTION_POINTS[code], reason})
}

/** What the host showed: service, health through nginx, database, disk. */
function remoteDeductions(input: ScoreInput, out: Deduction[]): void {
  const {state} = input
  const problem = (pattern: RegExp) => input.problems.find((p) => pattern.test(p))
  if (state === 'failed' || state === 'interrupted') deduct(out, 'tenant-failed', problem(/failed|interrupted/) ?? `the tenant is ${state}`)
  if (input.unreachable !== undefined) {
    deduct(out, 'host-unreachable', `host unreachable: ${input.unreachable}`)
    return
  }
  const probed = state === 'active' || state === 'stopped'
  if (!probed) return
  const before = out.length
  if (input.service === null) deduct(out, 'probe-failed', problem(/could not read the state/) ?? 'the state of its service could not be read')
  else if (state === 'active' && input.service.active !== 'active') deduct(out, 'service-down', problem(/does not exist/) ?? `${input.service.unit} is ${input.service.active}`)
  else if (state === 'stopped' && input.service.active !== 'inactive' && input.service.active !== 'failed') deduct(out, 'service-mismatch', `recorded as stopped but ${input.service.unit} is ${input.service.active}`)
  if (state === 'active') {
    if (input.http === null) deduct(out, 'probe-failed', problem(/web\/health/) ?? '/web/health through nginx could not be checked')
    else if (!input.http.ok) deduct(out, 'health-failed', `/web/health through nginx: ${input.http.detail}`)
  }
  if (input.databaseBytes === null) deduct(out, 'database-missing', problem(/database/) ?? 'its database was not found')
  if (input.diskFreeBytes === null) deduct(out, 'probe-failed', problem(/free space/) ?? 'the free disk space could not be read')
  else if (input.diskFreeBytes < MIN_FREE_BYTES) deduct(out, 'disk-low', `only ${gib(input.diskFreeBytes)} free on the host (less than ${gib(MIN_FREE_BYTES)})`)
  else if (input.diskFreeBytes < DISK_WARN_BYTES) deduct(out, 'disk-warn', `${gib(input.diskFreeBytes)} free on the host (less than ${gib(DISK_WARN_BYTES)})`)
  // Anything tenant status judged unhealthy that the fields above do not explain.
  if (input.verdict === 'unhealthy' && out.length === before) deduct(out, 'unhealthy', input.problems.join('; ') || 'tenant status reports it unhealthy')
}

/** Backups against the RPO: the newest, the newest verified, the last verification verdict. */
function backupDeductions(input: ScoreInput, out: Deduction[]): void {
  const {backups, rpo} = input
  const limit = `RPO ${rpo.hours} h (${rpo.source})`
  if (!backups.newest) {
    // A tenant younger than its RPO may not have had its first nightly backup yet.
    if (input.tenantAgeHours !== null && input.tenantAgeHours < rpo.hours) deduct(out, 'no-backup-yet', `no backup yet (tenant created ${hours(input.tenantAgeHours)} ago, ${limit})`)
    else deduct(out, 'no-backup', `no backup in the catalog (${limit})`)
    return
  }
  if (backups.newest.ageHours > rpo.hours) deduct(out, 'backup-stale', `newest backup ${backups.newest.id} is ${hours(backups.newest.ageHours)} old, over the ${limit}`)
  // A backup never proven restorable is the risk odoops exists to remove: a breach however
  // young the tenant; a verified backup older than the RPO is a warning.
  if (!backups.newestVerified) {
    deduct(out, 'no-verified-backup', `no backup ever verified by a test restore (newest ${backups.newest.id}: odoops backup verify ${backups.newest.id})`)
  } else if (backups.newestVerified.ageHours > rpo.hours) {
    deduct(out, 'verified-stale', `newest verified backup ${backups.newestVerified.id} is ${hours(backups.newestVerified.ageHours)} old, over the ${limit}`)
  }
  const last = backups.lastVerification
  if (last?.status === 'failed') deduct(out, 'verification-failed', `verification of ${last.backup} failed at ${last.at}${last.reason ? `: ${last.reason}` : ''}`)
}

function usageDeductions(input: ScoreInput, out: Deduction[]): void {
  const usage = input.usage
  if (!usage) return
  for (const c of usage.checks) {
    if (c.over) deduct(out, 'fair-use-over', `${c.metric} ${c.value} over the fair-use threshold ${c.threshold} of plan ${usage.plan}@${usage.planVersion} (${c.action}, ${usage.date})`)
  }
  for (const n of usage.notMeasured) deduct(out, 'fair-use-unmeasured', `${n.metric} not measured: ${n.reason}`)
}

/**
 * The packs' checks: each `ok: false` costs what its severity says, each check that could not
 * run (threw, timed out) a little, and so does a session that could not be opened; every
 * reason names the check and its pack.
 */
function packCheckDeductions(input: ScoreInput, out: Deduction[]): void {
  const checks = input.packChecks
  if (!checks) return
  for (const r of checks.results) {
    if (r.status === 'failed') deduct(out, r.severity === 'breach' ? 'pack-check-failed' : 'pack-check-warning', `check ${r.name} of pack ${r.pack} failed${r.detail ? `: ${r.detail}` : ''}`)
    else if (r.status === 'error') deduct(out, 'pack-check-error', `check ${r.name} of pack ${r.pack} could not run: ${r.detail}`)
  }
  const notRun = checks.results.filter((r) => r.status === 'not-run').map((r) => r.name)
  if (checks.notRun !== undefined && notRun.length > 0) deduct(out, 'pack-checks-not-run', `pack checks ${notRun.join(', ')} not run: ${checks.notRun}`)
}

const days = (n: number) => `${n} day${n === 1 || n === -1 ? '' : 's'}`

/** The served certificate: its end of validity against 21 and 7 days, certbot's last renewal. */
function certificateDeductions(input: ScoreInput, out: Deduction[]): void {
  const cert = input.certificate
  if (!cert) return
  if (cert.daysLeft === null) {
    deduct(out, 'certificate-unreadable', `certificate ${cert.path} could not be read: ${cert.error ?? 'unknown'}`)
  } else {
    const what = `certificate of ${cert.issuer ?? 'unknown issuer'} (${cert.path})`
    const when = cert.daysLeft < 0 ? `expired ${days(-cert.daysLeft)} ago (${cert.notAfter})` : `expires in ${days(cert.daysLeft)} (${cert.notAfter})`
    if (cert.daysLeft < CERT_BREACH_DAYS) deduct(out, 'certificate-expiring', `${what} ${when}, less than ${CERT_BREACH_DAYS} days`)
    else if (cert.daysLeft < CERT_WARN_DAYS) deduct(out, 'certificate-expiry-warn', `${what} ${when}, less than ${CERT_WARN_DAYS} days`)
  }
  const failed = cert.renewalFailure
  if (failed) deduct(out, 'certificate-renewal-failed', `certbot's last renewal of ${failed.certName} failed (log of ${failed.at}): ${failed.reason}`)
}

/** Pure: the score, status and deductions of one tenant. */
export function scoreTenant(input: ScoreInput): TenantScore {
  const deductions: Deduction[] = []
  remoteDeductions(input, deductions)
  // A tenant being created or removed has no backups to judge.
  if (input.state !== 'creating' && input.state !== 'removing') backupDeductions(input, deductions)
  usageDeductions(input, deductions)
  packCheckDeductions(input, deductions)
  certificateDeductions(input, deductions)
  const score = Math.max(0, 100 - deductions.reduce((t, d) => t + d.points, 0))
  const status: FleetTenantStatus = deductions.some((d) => d.breach) ? 'breach' : deductions.length > 0 ? 'warning' : 'ok'
  return {score, status, deductions}
}

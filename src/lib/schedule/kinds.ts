import type {BackupEntry} from '../backup/catalog.js'
import {pruneBackups} from '../backup/prune.js'
import {parsePlanRetention, parseRetentionRules, type RetentionRules} from '../backup/retention.js'
import {runBackups} from '../backup/run.js'
import {verifyBackup} from '../backup/verify.js'
import {generateInvoices} from '../billing/generate.js'
import {sellerFromSettings} from '../billing/tenant-billing.js'
import {isOdoopsError, messageOf, OdoopsError} from '../errors.js'
import {hostCertificates, type TenantCertificate} from '../fleet/certificates.js'
import {packCheckRegistry} from '../fleet/check-registry.js'
import {checksFor, runPackChecks, storedTenantOdoo, tenantTemplates, type TenantPackChecks} from '../fleet/pack-checks.js'
import {connectHost} from '../hosts/connect.js'
import {collectUsage} from '../meter/collect.js'
import {meterDay} from '../meter/day.js'
import {applyRelease, type ApplyReport, type HostOutcome} from '../release/apply.js'
import {getRelease, type Release, type ReleaseHostProgress} from '../release/record.js'
import type {TenantRecord} from '../state/records.js'
import type {JobEnv} from './env.js'
import type {JobUnit} from './select.js'
import type {JobSpec} from './types.js'

/** What a unit (one tenant, or the fleet) of a job did; recorded in its audit event. */
export type UnitDetail = Record<string, unknown>

/**
 * A part of a unit that notices name on their own: a host of a release job (its unit is the
 * release). Reported as the unit goes; a failed part is a failure notice at once, and the run's
 * summary lists a unit's parts instead of the unit.
 */
export interface UnitPart {
  name: string
  status: 'ok' | 'failed' | 'skipped'
  error?: {code: string; message: string}
  reason?: string
}

export interface UnitContext {
  env: JobEnv
  job: JobSpec
  unit: JobUnit
  slot: string
  signal: AbortSignal
  /** Reports a part of the unit (release jobs: each host). */
  part: (part: UnitPart) => void
}

/**
 * Thrown by a unit with nothing to do (a release applied already): the unit is `skipped` with
 * this reason, audited as done, and the run exits 0; it is not a failure.
 */
export class NothingToDo extends Error {
  constructor(
    readonly reason: string,
    readonly detail: UnitDetail = {},
  ) {
    super(reason)
    this.name = 'NothingToDo'
  }
}

const HOUR_MS = 3_600_000

function failure(code: string, message: string, data?: Record<string, unknown>): OdoopsError {
  return new OdoopsError(code, message, {data})
}

function stringSetting(env: JobEnv, key: string): string | undefined {
  const v = env.setting(key)
  return typeof v === 'string' && v !== '' ? v : undefined
}

async function backupUnit({env, job, unit, signal}: UnitContext): Promise<UnitDetail> {
  const tenant = await env.store.tenants.get(unit.id)
  if (!tenant) throw failure('TENANT_NOT_FOUND', `Tenant "${unit.id}" was removed before its backup started.`)
  const target = job.options?.target ?? stringSetting(env, 'backup.defaultTarget')
  // One tenant per call: the job lock, audit event and notice are per tenant; runBackups cleans up on abort.
  const report = await runBackups({store: env.store, dataDir: env.dataDir, connect: env.connect, signal, now: env.now}, [tenant], {target, perHost: 1})
  const result = report.results[0]
  if (!result.ok) throw new OdoopsError(result.error?.code ?? 'BACKUP_FAILED', result.error?.message ?? 'backup failed', {suggestions: result.error?.suggestions ?? []})
  return {target: report.target, backup: result.backup?.id, bytes: result.bytes, swept: result.swept}
}

async function verifyUnit({env, job, unit, signal}: UnitContext): Promise<UnitDetail> {
  if (!unit.backup) throw failure('BACKUP_NOT_FOUND', `Tenant "${unit.id}" has no backup to verify.`)
  const tier = unit.tier ?? 'full'
  const result = await verifyBackup({store: env.store, dataDir: env.dataDir, connect: env.connect, signal, now: env.now}, unit.backup, {tier, ...(job.options?.host ? {host: job.options.host} : {})})
  if (result.status !== 'verified') throw failure('BACKUP_VERIFY_FAILED', `Backup ${result.id} of ${result.tenant} failed ${tier === 'quick' ? 'its quick check' : 'verification'}: ${result.reason}`, {backup: result.id, tier})
  return {backup: result.id, tier, ...(result.host ? {verifiedOn: result.host} : {}), durationMs: result.durationMs}
}

async function pruneUnit({env, job, unit, signal}: UnitContext): Promise<UnitDetail> {
  const o = job.options ?? {}
  const overrides: Partial<RetentionRules> = {}
  if (o.keepDaily !== undefined) overrides.daily = o.keepDaily
  if (o.keepWeekly !== undefined) overrides.weekly = o.keepWeekly
  if (o.keepMonthly !== undefined) overrides.monthly = o.keepMonthly
  const byPlan = env.setting('backup.retentionByPlan')
  const retention = {
    defaults: parseRetentionRules(stringSetting(env, 'backup.retention') ?? '7/4/12', 'backup.retention'),
    byPlan: parsePlanRetention(Array.isArray(byPlan) ? byPlan.map(String) : []),
    overrides,
  }
  const report = await pruneBackups({store: env.store, dataDir: env.dataDir, connect: env.connect, signal, now: env.now}, [unit.id], {dryRun: o.dryRun === true, retention})
  const t = report.tenants[0]
  if (!t) throw failure('INTERRUPTED', 'Interrupted before the prune started.')
  if (t.error) throw new OdoopsError(t.error.code, t.error.message, {suggestions: t.error.suggestions})
  const detail = {dryRun: report.dryRun, kept: t.kept.length, deleted: t.deleted.map((b) => b.id), freedBytes: t.freedBytes}
  if (t.failed.length > 0) throw failure('BACKUP_PRUNE_INCOMPLETE', `${t.failed.length} backup(s) of ${unit.id} could not be deleted: ${t.failed.map((b) => `${b.id} (${b.error.code})`).join(', ')}`, detail)
  return detail
}

async function meterUnit({env, job, unit, signal}: UnitContext): Promise<UnitDetail> {
  const tenant = await env.store.tenants.get(unit.id)
  if (!tenant) throw failure('TENANT_NOT_FOUND', `Tenant "${unit.id}" was removed before it was measured.`)
  if (!env.box) throw failure('SECRET_KEY_MISSING', 'Metering needs the secret key (tenant database passwords).')
  const now = env.now?.() ?? new Date()
  const report = await collectUsage({store: env.store, box: await env.box(), connect: env.connect, signal, now: env.now}, [tenant], {day: meterDay(undefined, now), metrics: job.options?.metrics})
  const result = report.results[0]
  if (!result?.ok) {
    const failed = (result?.metrics ?? []).filter((m) => m.error).map((m) => `${m.metric}: ${m.error}`)
    throw failure(result?.error?.code ?? 'METER_FAILED', result?.error?.message ?? `Some metrics of ${unit.id} could not be measured: ${failed.join('; ')}`, {stored: result?.stored ?? 0})
  }
  return {date: report.date, snapshots: result.stored}
}

/** `previous` (default): last month; `current`: this month so far; or YYYY-MM. */
export function periodFor(option: string | undefined, now: Date): string {
  if (option && /^\d{4}-\d{2}$/.test(option)) return option
  const back = option === 'current' ? 0 : 1
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1))
  return d.toISOString().slice(0, 7)
}

async function invoiceUnit({env, job}: UnitContext): Promise<UnitDetail> {
  const now = env.now?.() ?? new Date()
  const report = await generateInvoices(env.store, {period: periodFor(job.options?.period, now), dryRun: job.options?.dryRun === true, seller: sellerFromSettings(env.setting), now})
  const detail = {period: report.period, dryRun: report.dryRun, drafts: report.invoices.map((i) => i.id), skipped: report.skipped.length, removedDrafts: report.removedDrafts.length}
  if (report.problems.length > 0) {
    throw failure('INVOICE_RATING_PROBLEMS', `${report.problems.length} customer problem(s) in ${report.period}: ${report.problems.map((p) => `${p.customer}: ${p.message}`).join('; ')}`, detail)
  }
  return detail
}

/**
 * The packs' fleet checks that concern an active tenant (by its onboarding template), as
 * `fleet status` runs them; undefined when none does or the job turned them off.
 */
async function statusPackChecks({env, job}: UnitContext, tenant: TenantRecord): Promise<TenantPackChecks | undefined> {
  if (job.options?.packChecks === false || tenant.state !== 'active') return undefined
  const all = env.packChecks ?? packCheckRegistry.list()
  if (all.length === 0) return undefined
  const template = (await tenantTemplates(env.store)).get(tenant.id) ?? null
  const checks = checksFor(all, template)
  if (checks.length === 0) return undefined
  const open = env.tenantOdoo ?? storedTenantOdoo(env.store, env.box, env.connect ?? ((host) => connectHost(env.store, host)))
  return runPackChecks(tenant, template, checks, open)
}

/**
 * The tenant's served certificate read on its host (`certificateDays` set, an active or stopped
 * tenant with a certificate recorded), as `fleet status` reads it; undefined otherwise.
 */
async function statusCertificate({env, job}: UnitContext, tenant: TenantRecord): Promise<TenantCertificate | undefined> {
  if (job.options?.certificateDays === undefined) return undefined
  if ((tenant.state !== 'active' && tenant.state !== 'stopped') || !tenant.tls?.certificate) return undefined
  const conn = await (env.connect ?? ((host: string) => connectHost(env.store, host)))(tenant.host)
  const got = await hostCertificates(conn, [tenant], env.now?.() ?? new Date())
  const cert = got.certificates.get(tenant.id)
  if (!cert) throw failure('CERTIFICATE_UNREADABLE', `Tenant ${tenant.id}: its certificate could not be read on ${tenant.host}: ${got.error ?? 'no answer'}.`)
  return cert
}

/** One line per certificate problem, as `fleet status` words its deductions. */
function certificateProblems(cert: TenantCertificate | undefined, minDays: number | undefined): string[] {
  if (!cert || minDays === undefined) return []
  const lines: string[] = []
  if (cert.daysLeft === null) lines.push(`certificate ${cert.path} could not be read: ${cert.error ?? 'unknown'}`)
  else if (cert.daysLeft < minDays) lines.push(`certificate of ${cert.issuer ?? 'unknown issuer'} (${cert.path}) ${cert.daysLeft < 0 ? `expired ${-cert.daysLeft} days ago` : `expires in ${cert.daysLeft} days`} (${cert.notAfter}), less than ${minDays} days`)
  if (cert.renewalFailure) lines.push(`certbot's last renewal of ${cert.renewalFailure.certName} failed: ${cert.renewalFailure.reason}`)
  return lines.map((l) => l.replace(/\.+$/, ''))
}

/**
 * Status from the records: the tenant's state and the age of its newest complete and newest
 * verified backup, against the job's thresholds; then the packs' fleet checks that concern it
 * (the only part that contacts its host, over an admin session; `packChecks: false` leaves
 * them out). A failed check, one that could not run, or a session that could not be opened
 * fails the unit with a message naming each check and its pack.
 */
async function statusUnit(ctx: UnitContext): Promise<UnitDetail> {
  const {env, job, unit} = ctx
  const tenant = await env.store.tenants.get(unit.id)
  if (!tenant) throw failure('TENANT_NOT_FOUND', `Tenant "${unit.id}" is gone.`)
  const now = (env.now?.() ?? new Date()).getTime()
  const backups = ((await env.store.backups.list({tenant: unit.id})) as BackupEntry[]).filter((b) => b.status === 'complete')
  const newest = backups.reduce<BackupEntry | undefined>((a, b) => (!a || b.startedAt > a.startedAt ? b : a), undefined)
  const verified = backups.filter((b) => b.verification?.status === 'verified').reduce<BackupEntry | undefined>((a, b) => (!a || b.startedAt > a.startedAt ? b : a), undefined)
  const ageHours = (b?: BackupEntry) => (b ? Math.round(((now - Date.parse(b.startedAt)) / HOUR_MS) * 10) / 10 : null)
  const detail = {state: tenant.state, host: tenant.host, newestBackup: newest?.id ?? null, backupAgeHours: ageHours(newest), newestVerified: verified?.id ?? null, verifiedAgeHours: ageHours(verified)}
  const problems: string[] = []
  if (tenant.state === 'failed') problems.push(`its last operation failed${tenant.operation?.error ? ` (${tenant.operation.error})` : ''}`)
  const maxBackup = job.options?.maxBackupAgeHours
  if (maxBackup !== undefined && (detail.backupAgeHours === null || detail.backupAgeHours > maxBackup)) problems.push(detail.backupAgeHours === null ? 'it has no backup' : `its newest backup is ${detail.backupAgeHours} h old (limit ${maxBackup} h)`)
  const maxVerified = job.options?.maxVerifiedAgeHours
  if (maxVerified !== undefined && (detail.verifiedAgeHours === null || detail.verifiedAgeHours > maxVerified)) problems.push(detail.verifiedAgeHours === null ? 'it has no verified backup' : `its newest verified backup is ${detail.verifiedAgeHours} h old (limit ${maxVerified} h)`)
  const checked = await statusPackChecks(ctx, tenant)
  const packProblems = packCheckProblems(checked)
  const cert = await statusCertificate(ctx, tenant)
  const certProblems = certificateProblems(cert, job.options?.certificateDays)
  const result = {...detail, ...(checked ? {packChecks: checked.results} : {}), ...(cert ? {certificate: cert} : {})}
  // The records' own breach keeps its code; pack checks alone fail with theirs.
  if (problems.length > 0) throw failure('TENANT_STATUS_BREACH', `Tenant ${unit.id}: ${[...problems, ...packProblems, ...certProblems].join('; ')}.`, result)
  if (packProblems.length > 0) throw failure('PACK_CHECK_FAILED', `Tenant ${unit.id}: ${[...packProblems, ...certProblems].join('; ')}.`, result)
  if (certProblems.length > 0) throw failure('CERTIFICATE_CHECK_FAILED', `Tenant ${unit.id}: ${certProblems.join('; ')}.`, result)
  return result
}

/** One line per check that failed or could not run, naming it and its pack (as `fleet status` words its deductions). */
function packCheckProblems(checked: TenantPackChecks | undefined): string[] {
  if (!checked) return []
  const lines = checked.results.flatMap((r) => (r.status === 'failed' ? [`check ${r.name} of pack ${r.pack} failed${r.detail ? `: ${r.detail}` : ''}`] : r.status === 'error' ? [`check ${r.name} of pack ${r.pack} could not run: ${r.detail}`] : []))
  const notRun = checked.results.filter((r) => r.status === 'not-run').map((r) => r.name)
  if (checked.notRun !== undefined && notRun.length > 0) lines.push(`pack checks ${notRun.join(', ')} not run: ${checked.notRun}`)
  // Joined into one sentence: the messages' own final stops go.
  return lines.map((l) => l.replace(/\.+$/, ''))
}

/** A host's outcome as a part of the release unit. */
function hostPart(outcome: HostOutcome, release: string): UnitPart {
  if (outcome.outcome === 'applied') return {name: outcome.host, status: 'ok'}
  if (outcome.outcome === 'skipped') return {name: outcome.host, status: 'skipped', reason: outcome.reason ?? 'skipped'}
  return {name: outcome.host, status: 'failed', error: {code: 'RELEASE_HOST_ROLLED_BACK', message: `${outcome.host} was rolled back to the build it ran: ${outcome.reason ?? 'the update failed'} (odoops release show ${release})`}}
}

/** A host that failed in this release (rolled back, or its rollback interrupted), not one a run was killed in the middle of. */
function hostFailed(progress: ReleaseHostProgress | undefined): boolean {
  return progress?.phase === 'rolled-back' || (progress?.phase === 'rolling-back' && progress.error !== undefined)
}

/** The host a run stopped in (the first of the plan neither done nor reported: applyRelease goes in plan order) and those after it. */
function hostInHand(release: Release, reported: Set<string>): {host?: string; notReached: string[]} {
  if (release.state !== 'applying') return {notReached: []}
  const [host, ...rest] = release.hosts.filter((h) => release.apply?.hosts[h.host]?.phase !== 'done' && !reported.has(h.host)).map((h) => h.host)
  return {host, notReached: rest}
}

/**
 * A release applied in the job's window, as `release apply` would (host by host, a host that
 * fails rolled back by itself and the rollout stopped): `canary` hosts at most per run,
 * `includeFailed` as its flag. Unattended, a run killed in the middle of a host is resumed (that
 * host rolled back to where it started, then applied again), but a host already rolled back
 * (its rollback left problems) is left to a person. A release applied already is nothing to do
 * (the job left in the schedule is harmless); one that failed fails the job each run, naming
 * `release show`.
 */
async function releaseUnit(ctx: UnitContext): Promise<UnitDetail> {
  const {env, job, unit, signal} = ctx
  const id = unit.release ?? unit.id
  const release = await getRelease(env.store, id)
  if (release.state === 'applied') {
    throw new NothingToDo(`release ${id} is applied already${release.apply?.finishedAt ? ` (${release.apply.finishedAt})` : ''}: nothing to do; remove job ${job.id} from the schedule`, {release: id, state: release.state})
  }
  if (release.state === 'failed') {
    throw failure('RELEASE_FAILED', `Release ${id} failed${release.error ? ` (${release.error.message})` : ''} and was rolled back; it is not applied again: odoops release show ${id}`, {release: id, state: release.state})
  }
  // A host that failed while the release is still applying: its rollback left problems, or the run
  // died during or right after it. `release apply --resume` would (finish the rollback and) apply
  // that host again: a person decides.
  const failedHost = release.state === 'applying' ? release.hosts.find((h) => hostFailed(release.apply?.hosts[h.host])) : undefined
  if (failedHost) {
    const progress = release.apply!.hosts[failedHost.host]
    const why = progress.rollback?.reason ?? progress.error?.message
    const where = progress.phase === 'rolled-back' ? 'was rolled back' : 'failed and its rollback did not finish'
    throw failure('RELEASE_NEEDS_OPERATOR', `Release ${id}: ${failedHost.host} ${where}${why ? ` (${why})` : ''}; the release is not applied again unattended: odoops release show ${id}, then odoops release apply ${id} --resume by hand`, {release: id, state: release.state, host: failedHost.host, phase: progress.phase})
  }
  if (!env.box) throw failure('SECRET_KEY_MISSING', 'A release checks each tenant with its stored admin password: it needs the secret key.')
  const resume = release.state === 'applying'
  const interrupted = resume && Object.values(release.apply?.hosts ?? {}).some((h) => h.phase !== 'pending' && h.phase !== 'done')
  const reported = new Set<string>()
  let stoppedAt: string | undefined
  // Not the run's AbortSignal: a safety backup aborted by a daemon stopping would count as the
  // host's failure (rolled back, the release failed). A run the daemon's grace period cuts short
  // stays `applying` mid-host instead, and the next window resumes it.
  const releaseEnv = {store: env.store, box: await env.box(), dataDir: env.dataDir, ...(env.connect ? {connect: env.connect} : {}), ...(env.releaseOps ? {ops: env.releaseOps} : {})}
  let report: ApplyReport
  try {
    report = await applyRelease(releaseEnv, id, {
      ...(resume ? {resume: true} : {}),
      ...(job.options?.canary !== undefined ? {canary: job.options.canary} : {}),
      ...(job.options?.includeFailed ? {includeFailed: true} : {}),
      onHost: (outcome) => {
        reported.add(outcome.host)
        if (outcome.outcome === 'rolled-back') stoppedAt = outcome.host
        ctx.part(hostPart(outcome, id))
      },
    })
  } catch (error) {
    if (error instanceof OdoopsError && error.code === 'RELEASE_HOST_ROLLED_BACK') {
      // Its host was reported (rolled back); the hosts after it were not reached.
      for (const host of (error.data?.notReached as string[] | undefined) ?? []) ctx.part({name: host, status: 'skipped', reason: `not reached: the release stopped at ${stoppedAt ?? 'a host rolled back'}`})
      throw error
    }
    if (!signal.aborted && !(isOdoopsError(error) && error.code === 'RELEASE_NOT_FOUND')) {
      // Stopped in the middle of a host without its outcome (a rollback that left problems, a lost connection…).
      const {host, notReached} = hostInHand(await getRelease(env.store, id).catch(() => release), reported)
      if (host) {
        ctx.part({name: host, status: 'failed', error: {code: isOdoopsError(error) ? error.code : 'RELEASE_FAILED', message: `${messageOf(error)} (odoops release show ${id})`}})
        for (const next of notReached) ctx.part({name: next, status: 'skipped', reason: `not reached: the release stopped at ${host}`})
      }
    }
    throw error
  }
  // Hosts left out after a failed rehearsal were reported (skipped, they stay to do); the others left are for the next window.
  const leftFor = report.stopped?.reason === 'canary' ? `canary: ${job.options?.canary} host(s) per run` : (report.stopped?.detail ?? 'not reached')
  for (const host of report.remaining.filter((h) => !reported.has(h))) ctx.part({name: host, status: 'skipped', reason: `left for the next run (${leftFor})`})
  return {release: id, state: report.release.state, ...(interrupted ? {resumed: true} : {}), hosts: report.hosts.map((h) => ({host: h.host, outcome: h.outcome, ...(h.reason ? {reason: h.reason} : {})})), remaining: report.remaining}
}

export const UNIT_RUNNERS: Record<JobSpec['kind'], (ctx: UnitContext) => Promise<UnitDetail>> = {
  backup: backupUnit,
  verify: verifyUnit,
  prune: pruneUnit,
  meter: meterUnit,
  'invoice-generate': invoiceUnit,
  status: statusUnit,
  release: releaseUnit,
}

import {ExitCode, OdoopsError} from '../errors.js'
import {withHeldLock} from '../state/with-lock.js'
import type {StateStore} from '../state/store.js'
import {backupLockKey, busyError, lockOwner} from '../tenants/lock.js'
import {getTenant} from '../tenants/listing.js'
import type {BackupEntry} from './catalog.js'
import {previewSweep, sweepBlobs} from './blobs/sweep.js'
import {backupKey, MANIFEST_NAME} from './manifest.js'
import {resolveRetention, selectRetention, type KeepReason, type ResolvedRetention, type RetentionConfig} from './retention.js'
import {errorSummary} from './run.js'
import type {BackupTargetRecord} from '../state/records.js'
import {openTarget, resolveTarget, type BackupTarget, type TargetEnv} from './targets/index.js'

/** Same lease as a backup run: renewed while the prune runs. */
const LOCK_TTL_MS = 5 * 60_000

export interface PruneEnv extends TargetEnv {
  /** Reference instant of the calendar rules (default: the current time). */
  now?: () => Date
  /** Observed between two backups: the one being deleted is finished first. */
  signal?: AbortSignal
  /** The storage behind a target record (default: openTarget); tests wrap it. */
  open?: (record: BackupTargetRecord) => BackupTarget
}

export interface PruneOptions {
  dryRun: boolean
  retention: RetentionConfig
}

type ErrorSummary = ReturnType<typeof errorSummary>

export interface PruneBackupView {
  id: string
  target: string
  startedAt: string
  totalBytes: number
  /** `verified`, `failed`, or null when never verified. */
  verification: string | null
}

export interface KeptBackup extends PruneBackupView {
  reasons: KeepReason[]
}

export interface DeletedBackup extends PruneBackupView {
  /** Its files on the target, manifest first (dry run: what would be deleted). */
  files: string[]
  /** Files the target no longer had (deleted earlier, by hand or by an interrupted prune). */
  missing?: string[]
}

export interface FailedBackup extends DeletedBackup {
  /** Deleted before the failure; the catalog entry stays (a backup without manifest is not complete). */
  filesDeleted: string[]
  error: ErrorSummary
}

export interface TenantPruneResult {
  tenant: string
  rules: ResolvedRetention
  kept: KeptBackup[]
  /** Deleted (files and catalog entry), or under --dry-run what would be. */
  deleted: DeletedBackup[]
  /** Selected for deletion but left in the catalog (target unreachable, …). */
  failed: FailedBackup[]
  /** Catalog entries that are not complete, left alone. */
  ignored: string[]
  /** Stored bytes of `deleted`. */
  freedBytes: number
  /** What kept the tenant from being pruned at all (its backup lock held: BACKUP_BUSY). */
  error?: ErrorSummary
}

/** The blob sweep of one target after its backups were pruned (under --dry-run: what it would remove). */
export interface BlobSweepResult {
  target: string
  kept: number
  removed: number
  freedBytes: number
  /** What kept the sweep from running (BACKUP_BUSY, BACKUP_SWEEP_UNSAFE, unreachable target): nothing removed. */
  error?: ErrorSummary
}

export interface PruneReport {
  dryRun: boolean
  /** The reference instant of the calendar rules. */
  now: string
  tenants: TenantPruneResult[]
  kept: number
  deleted: number
  failed: number
  /** Blob pools swept (one per target the pruned tenants' backups are on); on a dry run, what each sweep would remove. */
  blobs: BlobSweepResult[]
  interrupted: boolean
  /** 0 done, 3 something was left (failed backups or tenants), 130 interrupted. */
  exitCode: ExitCode
}

/**
 * The tenants to prune: those named (a removed tenant whose backups are still catalogued
 * counts), or with `all` every tenant that has catalog entries. Sorted.
 */
export async function selectPruneTenants(store: StateStore, selection: {slugs: string[]} | {all: true}): Promise<string[]> {
  if ('all' in selection) return [...new Set((await store.backups.list()).map((b) => b.tenant))].sort()
  if (selection.slugs.length === 0) throw new OdoopsError('BACKUP_SELECTION', 'Which tenants? Name them, or pass --all.', {exit: ExitCode.USAGE, suggestions: ['odoops backup prune acme --dry-run', 'odoops backup prune --all --dry-run']})
  const slugs = [...new Set(selection.slugs)].sort()
  for (const slug of slugs) {
    if ((await store.backups.count({tenant: slug})) === 0) await getTenant(store, slug)
  }
  return slugs
}

function view(entry: BackupEntry): PruneBackupView {
  return {id: entry.id, target: entry.target, startedAt: entry.startedAt, totalBytes: entry.totalBytes ?? 0, verification: entry.verification?.status ?? null}
}

/** The manifest first: once it is gone the directory is no longer a complete backup to anyone reading the target. */
export function deletionOrder(entry: BackupEntry): string[] {
  const names = (entry.files ?? []).map((f) => f.name)
  return [MANIFEST_NAME, ...names.filter((n) => n !== MANIFEST_NAME)]
}

/** Prunes the selected tenants one after the other (each under its `backup:<slug>` lock unless dry run). */
export async function pruneBackups(env: PruneEnv, slugs: string[], options: PruneOptions): Promise<PruneReport> {
  const now = env.now?.() ?? new Date()
  const tenants: TenantPruneResult[] = []
  let interrupted = false
  for (const slug of slugs) {
    if (env.signal?.aborted) {
      interrupted = true
      break
    }
    const plan = (await env.store.tenants.get(slug))?.plan
    const rules = resolveRetention(options.retention, typeof plan === 'string' ? plan : undefined)
    try {
      tenants.push(await pruneTenant(env, slug, rules, now, options.dryRun))
    } catch (error) {
      tenants.push({tenant: slug, rules, kept: [], deleted: [], failed: [], ignored: [], freedBytes: 0, error: errorSummary(error)})
    }
  }
  interrupted ||= env.signal?.aborted === true
  const blobs = interrupted ? [] : await sweepTargets(env, tenants, options.dryRun)
  const count = (pick: (t: TenantPruneResult) => unknown[]) => tenants.reduce((n, t) => n + pick(t).length, 0)
  const failed = count((t) => t.failed)
  const exitCode = interrupted ? ExitCode.INTERRUPTED : failed > 0 || tenants.some((t) => t.error) || blobs.some((b) => b.error) ? ExitCode.PARTIAL : ExitCode.OK
  return {dryRun: options.dryRun, now: now.toISOString(), tenants, kept: count((t) => t.kept), deleted: count((t) => t.deleted), failed, blobs, interrupted, exitCode}
}

/**
 * After the backups went, the blobs no kept backup needs go too: each target the pruned
 * tenants' backups are (or were) on is swept once (blobs/sweep.ts; safe against runs in progress).
 */
async function sweepTargets(env: PruneEnv, tenants: TenantPruneResult[], dryRun: boolean): Promise<BlobSweepResult[]> {
  const targets = new Set<string>()
  for (const t of tenants) for (const b of [...t.kept, ...t.deleted, ...t.failed]) targets.add(b.target)
  // A dry run deleted nothing: its preview marks as if these were gone.
  const deleting = new Set(tenants.flatMap((t) => t.deleted.map((b) => b.id)))
  const results: BlobSweepResult[] = []
  for (const targetId of [...targets].sort()) {
    try {
      const record = await resolveTarget(env, targetId)
      const target = env.open ? env.open(record) : openTarget(env, record)
      const signal = env.signal ? {signal: env.signal} : {}
      const {kept, removed, freedBytes} = dryRun ? await previewSweep(env.store, target, record.id, deleting, signal) : await sweepBlobs(env.store, target, record.id, signal)
      results.push({target: targetId, kept, removed, freedBytes})
    } catch (error) {
      results.push({target: targetId, kept: 0, removed: 0, freedBytes: 0, error: errorSummary(error)})
    }
  }
  return results
}

async function pruneTenant(env: PruneEnv, slug: string, rules: ResolvedRetention, now: Date, dryRun: boolean): Promise<TenantPruneResult> {
  const decide = async () => {
    const entries = (await env.store.backups.list({tenant: slug})) as BackupEntry[]
    return {entries, plan: selectRetention(entries, rules, now)}
  }
  const result = (plan: Awaited<ReturnType<typeof decide>>['plan']): TenantPruneResult => ({
    tenant: slug,
    rules,
    kept: plan.keep.map((k) => ({...view(k.backup), reasons: k.reasons})),
    deleted: [],
    failed: [],
    ignored: plan.ignored.map((b) => b.id),
    freedBytes: 0,
  })
  if (dryRun) {
    const {plan} = await decide()
    const out = result(plan)
    out.deleted = plan.remove.map((b) => ({...view(b), files: deletionOrder(b)}))
    out.freedBytes = out.deleted.reduce((n, b) => n + b.totalBytes, 0)
    return out
  }
  // The tenant's backup lock: never races a backup run (which sweeps uncatalogued files) or another prune.
  return withHeldLock(
    env.store,
    {key: backupLockKey(slug), owner: lockOwner(`backup prune of ${slug}`), ttlMs: LOCK_TTL_MS, busy: (holder) => busyError('BACKUP_BUSY', `A backup, verification or prune of "${slug}" is running`, holder)},
    async () => {
      // Decided under the lock, from the catalog as it is now.
      const {entries, plan} = await decide()
      const out = result(plan)
      const byTarget = new Map<string, BackupEntry[]>()
      for (const b of plan.remove) byTarget.set(b.target, [...(byTarget.get(b.target) ?? []), b])
      for (const [targetName, doomed] of byTarget) {
        const fail = (b: BackupEntry, error: unknown, filesDeleted: string[] = []) => out.failed.push({...view(b), files: deletionOrder(b), filesDeleted, error: errorSummary(error)})
        let present: Set<string>
        let target: BackupTarget
        try {
          const record = await resolveTarget(env, targetName)
          target = env.open ? env.open(record) : openTarget(env, record)
          present = new Set((await target.list(`${slug}/`)).filter((e) => !e.partial).map((e) => e.key))
          assertTargetHolds(targetName, target.location, slug, entries.filter((e) => e.target === targetName && e.status === 'complete'), present)
        } catch (error) {
          // Unreachable, unknown or apparently not mounted: nothing deleted, the entries stay.
          for (const b of doomed) fail(b, error)
          continue
        }
        // Oldest first: an interruption leaves the newer (more useful) ones.
        for (const b of [...doomed].reverse()) {
          if (env.signal?.aborted) return out
          const files = deletionOrder(b)
          const deleted: string[] = []
          const missing: string[] = []
          try {
            for (const name of files) {
              const key = backupKey(slug, b.id, name)
              if (!present.has(key)) {
                missing.push(name)
                continue
              }
              await target.delete(key)
              deleted.push(name)
            }
            await env.store.backups.delete(b.id)
          } catch (error) {
            fail(b, error, deleted)
            continue
          }
          out.deleted.push({...view(b), files, ...(missing.length > 0 ? {missing} : {})})
          out.freedBytes += b.totalBytes ?? 0
        }
      }
      // Stable output order: newest first, as listed by the plan.
      const order = new Map(plan.remove.map((b, i) => [b.id, i]))
      out.deleted.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
      out.failed.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
      return out
    },
  )
}

/**
 * A target that lists none of the manifests catalogued on it for this tenant is most likely
 * not there (an unmounted NAS shows as an empty directory): refuse rather than drop catalog
 * entries whose files may well still exist.
 */
function assertTargetHolds(targetName: string, location: string, slug: string, catalogued: BackupEntry[], present: Set<string>): void {
  if (catalogued.length === 0 || catalogued.some((e) => present.has(backupKey(slug, e.id, MANIFEST_NAME)))) return
  throw new OdoopsError('BACKUP_TARGET_EMPTY', `Target "${targetName}" (${location}) holds none of the ${catalogued.length} catalogued backups of "${slug}"; it may be unmounted or unreachable. Nothing was deleted there.`, {
    exit: ExitCode.PARTIAL,
    suggestions: [`Check that ${location} is mounted and readable, then run odoops backup prune ${slug} again.`],
    data: {target: targetName, tenant: slug},
  })
}

import {defaultTargetName, openTarget, resolveTarget} from '../backup/targets/registry.js'
import {OdoopsError} from '../errors.js'
import type {StepChange} from '../steps/runner.js'
import type {OnboardContext} from './context.js'

/**
 * The backup target of an onboarding: the run's own (--backup-target), else the default
 * target of backup run (defaultTargetName: `backup.defaultTarget`, else the built-in one).
 */
export function configuredBackupTarget(ctx: Pick<OnboardContext, 'env' | 'run'>): string {
  return ctx.run.backupTarget ?? defaultTargetName(ctx.env.defaultBackupTarget)
}

/** Where a target keeps its backups, for the step's detail ("on nas (/mnt/nas/odoops)"). */
async function describeTarget(ctx: OnboardContext, name: string): Promise<string> {
  const record = await resolveTarget({store: ctx.env.store, dataDir: ctx.env.dataDir}, name)
  const where = openTarget({store: ctx.env.store, dataDir: ctx.env.dataDir}, record).location
  return record.builtIn ? `${name} (${where}, on this machine: odoops backup target add for a real one)` : `${name} (${where})`
}

/**
 * The seam to src/lib/backup: `backupTenant(env, slug, target)` takes the backup; a
 * `verifyBackup(env, id) → {status: 'verified'|'failed', reason?}` export, when the
 * backups module has one, verifies it (until then the detail says it was not verified).
 */
interface BackupModule {
  backupTenant?: (env: {store: unknown; dataDir: string; connect?: unknown; signal?: AbortSignal}, slug: string, target?: string) => Promise<{entry: {id: string}}>
  verifyBackup?: (env: {store: unknown; dataDir: string; connect?: unknown; signal?: AbortSignal}, id: string) => Promise<{status: string; reason?: string}>
}

export async function runBackupStep(ctx: OnboardContext): Promise<{change: StepChange; detail: string}> {
  const target = configuredBackupTarget(ctx)
  const where = await describeTarget(ctx, target)
  const backups = (await import('../backup/index.js')) as unknown as BackupModule
  if (typeof backups.backupTenant !== 'function') return {change: 'unchanged', detail: 'skipped: backups are not available in this odoops'}
  const env = {store: ctx.env.store, dataDir: ctx.env.dataDir, connect: ctx.env.connect, signal: ctx.env.signal}
  let id = ctx.run.backupId
  // Resumed after the backup was catalogued: verify that one rather than take another.
  if (!id || !(await ctx.env.store.backups.get(id))) {
    const {entry} = await backups.backupTenant(env, ctx.run.customer, target)
    id = entry.id
    await ctx.save({backupId: id})
  }
  if (typeof backups.verifyBackup !== 'function') return {change: 'changed', detail: `backup ${id} on ${where} (not verified: this odoops has no backup verification yet)`}
  const verdict = await backups.verifyBackup(env, id)
  if (verdict.status !== 'verified') {
    throw new OdoopsError('ONBOARD_BACKUP_UNVERIFIED', `The initial backup ${id} failed verification: ${verdict.reason ?? verdict.status}.`, {
      suggestions: [`odoops backup show ${id}`, `Then: odoops onboard --resume ${ctx.run.id}`],
    })
  }
  return {change: 'changed', detail: `backup ${id} on ${where}, verified`}
}


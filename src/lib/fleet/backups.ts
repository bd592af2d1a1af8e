import type {BackupEntry} from '../backup/catalog.js'

/** A backup as `fleet status` shows it: which one, when it was taken and how old it is. */
export interface BackupAge {
  id: string
  startedAt: string
  /** Hours between startedAt and the reference instant, one decimal. */
  ageHours: number
}

/** The latest verification verdict of any of the tenant's backups (by verification time). */
export interface LastVerification {
  backup: string
  status: 'verified' | 'failed'
  at: string
  reason?: string
}

export interface TenantBackupFacts {
  newest: BackupAge | null
  newestVerified: BackupAge | null
  lastVerification: LastVerification | null
}

const HOUR_MS = 3_600_000

function ageOf(entry: Pick<BackupEntry, 'id' | 'startedAt'>, now: Date): BackupAge {
  return {id: entry.id, startedAt: entry.startedAt, ageHours: Math.round(((now.getTime() - Date.parse(entry.startedAt)) / HOUR_MS) * 10) / 10}
}

/**
 * Pure: the facts of ONE tenant's catalog entries. Ages count from when a backup was TAKEN
 * (startedAt: the data is as of then), as `backup list --stale` does; only `complete`
 * entries count, and only a `verified` verdict makes a backup verified.
 */
export function backupFacts(entries: readonly BackupEntry[], now: Date): TenantBackupFacts {
  const complete = entries
    .filter((e) => e.status === 'complete' && !Number.isNaN(Date.parse(e.startedAt)))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id))
  const newest = complete[0]
  const newestVerified = complete.find((e) => e.verification?.status === 'verified')
  const verdicts = complete.filter((e) => e.verification).sort((a, b) => b.verification!.at.localeCompare(a.verification!.at))
  const last = verdicts[0]
  return {
    newest: newest ? ageOf(newest, now) : null,
    newestVerified: newestVerified ? ageOf(newestVerified, now) : null,
    lastVerification: last?.verification
      ? {backup: last.id, status: last.verification.status, at: last.verification.at, ...(last.verification.reason ? {reason: last.verification.reason} : {})}
      : null,
  }
}

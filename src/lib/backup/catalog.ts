import {ExitCode, OdoopsError} from '../errors.js'
import type {BackupRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {Codec} from './shell/pipeline.js'
import type {BackupFile, RowCounts} from './manifest.js'

/**
 * A catalog entry (store collection `backups`), inserted only after every file of the
 * backup, manifest last, was committed on its target. Later steps add `verification`.
 */
export interface BackupEntry extends BackupRecord {
  /** id: the backup id, also its directory on the target (`<tenant>/<id>/`). */
  tenant: string
  target: string
  status: 'complete'
  host: string
  database: string
  mode: string
  series: string
  codec: Codec
  startedAt: string
  finishedAt: string
  durationMs: number
  /** database + filestore + manifest.json, as stored (format 2: database + manifest.json; the filestore is `blobs`). */
  files: (BackupFile | {role: 'manifest'; name: string; size: number; sha256: string})[]
  totalBytes: number
  pgDumpVersion: string
  pgServerVersion: string
  counts: RowCounts
  filestore: {files: number; bytes: number}
  newestWriteDate: string | null
  /**
   * Format 2 (odoops_blobs/ pool of the target): the filestore's files and bytes, and the blobs
   * this run sent because the target lacked them (the rest were already there). Absent on a
   * format-1 backup, whose filestore is a tar among `files`.
   */
  blobs?: {files: number; bytes: number; sent: number; sentBytes: number}
  /**
   * Format 3: the large tables stored by content (their rows are blobs in the pool, not in the
   * dump), their stored bytes, and those this run sent because the table changed (the rest
   * were the blobs of an earlier backup, found unchanged by their content hash).
   */
  tables?: {count: number; bytes: number; sent: number; sentBytes: number}
  /**
   * Set by `backup verify`: the verdict that counts (the newest full verification, or a failed
   * quick check newer than it), which tier gave it, and the host of the scratch restore.
   */
  verification?: VerificationRecord & {tier?: 'full' | 'quick'}
  /** The newest verdict of each tier (docs/backups.md, "Verification tiers"). */
  verifications?: {full?: VerificationRecord; quick?: VerificationRecord}
}

export interface VerificationRecord {
  status: 'verified' | 'failed'
  reason?: string
  at: string
  durationMs: number
  host?: string
}

/** What list/show/run print and return (the entry as is, with the directory spelled out). */
export interface BackupView extends BackupEntry {
  directory: string
}

export function backupView(entry: BackupEntry): BackupView {
  return {...entry, directory: `${entry.tenant}/${entry.id}/`}
}

export function backupNotFound(id: string): OdoopsError {
  return new OdoopsError('BACKUP_NOT_FOUND', `No backup with id "${id}" in the catalog.`, {exit: ExitCode.USAGE, suggestions: ['odoops backup list shows the backups and their ids.'], data: {id}})
}

export async function getBackup(store: Pick<StateStore, 'backups'>, id: string): Promise<BackupEntry> {
  const entry = await store.backups.get(id)
  if (!entry) throw backupNotFound(id)
  return entry as BackupEntry
}

/** Newest first; one tenant's or all. */
export async function listBackups(store: Pick<StateStore, 'backups'>, filter: {tenant?: string} = {}): Promise<BackupView[]> {
  const entries = (await store.backups.list(filter.tenant ? {tenant: filter.tenant} : undefined)) as BackupEntry[]
  return entries.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.id.localeCompare(a.id)).map(backupView)
}

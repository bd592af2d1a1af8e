import {OdoopsError} from '../../errors.js'
import type {ExecResult, SshConnection} from '../../ssh/connection.js'
import {blobKey} from '../blobs/layout.js'
import {DigestStream, drain} from '../digest.js'
import type {OdooManifest, TableSegment} from '../manifest.js'
import {copyInCommand} from '../shell/tables.js'
import type {BackupTarget} from '../targets/target.js'

/**
 * The restore side of large tables stored by content: a format-3 backup's database is its
 * dump's pre-data and data, then each table's rows (COPY FROM, from the pool), then the dump's
 * post-data: indexes and constraints are built once the rows are in, as in a whole restore.
 */

/** The large tables of a backup (format 3), none for an older one. */
export function tablesOf(manifest: Pick<OdooManifest, 'odoops'>): TableSegment[] {
  const tables = manifest.odoops?.tables
  if (tables === undefined) return []
  if (!Array.isArray(tables) || tables.some((t) => typeof t?.blob !== 'string' || !Array.isArray(t.columns) || typeof t.table !== 'string')) {
    throw new OdoopsError('BACKUP_MANIFEST_INVALID', `The manifest of ${manifest.odoops.backupId} lists its large tables in an unknown shape; nothing was restored from it.`, {
      suggestions: [`odoops backup verify ${manifest.odoops.backupId}`],
    })
  }
  return tables
}

/** `schema.name` → its parts (the manifest keeps plain names only). */
export function tableParts(segment: Pick<TableSegment, 'table' | 'columns'>): {schema: string; name: string; columns: string[]} {
  const [schema, name] = segment.table.split('.')
  return {schema: schema ?? '', name: name ?? '', columns: segment.columns}
}

export interface LoadedTable {
  result: ExecResult
  /** What was read from the pool: a blob whose bytes do not hash to its name is corrupt. */
  size: number
  sha1: string
}

/**
 * Streams a table's blob from the pool into COPY FROM on the host, hashing the bytes on the
 * way; reads to the end whatever the command left unread, so the hash covers the whole blob
 * even when the load failed (a corrupt blob is told from a failing server).
 */
export async function loadTable(conn: SshConnection, target: BackupTarget, segment: TableSegment, database: string, timeoutMs: number, signal?: AbortSignal): Promise<LoadedTable> {
  const source = await target.read(blobKey(segment.blob))
  const digest = new DigestStream(undefined, 'sha1')
  source.on('error', (error) => digest.destroy(error))
  source.pipe(digest)
  const result = await conn.exec(copyInCommand(database, tableParts(segment), segment.codec), {root: true, stdin: digest, timeoutMs})
  try {
    await drain(digest, signal)
  } catch (error) {
    source.destroy()
    throw error
  }
  return {result, size: digest.bytes, sha1: digest.hex()}
}

/** Why a loaded table's blob is not what the manifest lists, undefined when it is. */
export function tableBlobFault(segment: TableSegment, loaded: Pick<LoadedTable, 'size' | 'sha1'>): string | undefined {
  if (loaded.size === segment.size && loaded.sha1 === segment.blob) return undefined
  return `the rows of table ${segment.table} (blob ${segment.blob}) do not match (size ${loaded.size} vs ${segment.size}, sha1 ${loaded.sha1.slice(0, 12)}…)`
}

import {OdoopsError} from '../errors.js'
import {createOdooDatabase} from '../remote/postgres-admin.js'
import type {SshConnection} from '../ssh/connection.js'
import type {RemoteCommand} from '../ssh/quote.js'
import {getBackup, type BackupEntry} from './catalog.js'
import {openFilestore} from './filestore-source.js'
import {filestoreRestoreCommand} from './shell/restore.js'
import {backupKey, type BackupFile} from './manifest.js'
import {openTarget, resolveTarget, type TargetEnv} from './targets/index.js'
import {restoreCommand} from './shell/verify.js'
import {readManifestOf} from './blobs/refs.js'
import {loadTable, tableBlobFault, tablesOf} from './tables/load.js'

/** A restore of a big tenant can take hours; the SSH layer's default command limit would cut it. */
export const RESTORE_STREAM_TIMEOUT_MS = 24 * 3_600_000

/**
 * Where a restored tenant's data comes from: a catalogued backup on a target, or an Odoo
 * database-manager zip (`backup import`). The tenant's restore steps only call these two
 * loads; both stream, nothing is staged on the operator's machine.
 */
export interface RestoreSource {
  /** For people and the tenant record: `backup acme-20261123T…` or `zip /path/acme.zip`. */
  readonly description: string
  /** Load the database into `database` (exists, empty, owned by `role`) on the host. */
  loadDatabase(conn: SshConnection, database: string, role: string, signal?: AbortSignal): Promise<void>
  /** Put the filestore at `dir` (`<data_dir>/filestore/<db>`), replacing what is there. */
  loadFilestore(conn: SshConnection, dir: string, signal?: AbortSignal): Promise<void>
}

/**
 * The source loaded under a new name on the host: an empty database owned by `role` (which must
 * not exist yet), then its data, then the filestore at `filestoreDir`.
 */
export async function loadAsNewDatabase(conn: SshConnection, source: RestoreSource, target: {database: string; role: string; filestoreDir: string}, signal?: AbortSignal): Promise<void> {
  await createOdooDatabase(conn, target.database, target.role)
  await source.loadDatabase(conn, target.database, target.role, signal)
  await source.loadFilestore(conn, target.filestoreDir, signal)
}

/** What a tenant record keeps of its source, so `tenant create --resume` can reopen it. */
export type RestoredFrom = {kind: 'backup'; id: string} | {kind: 'zip'; path: string}

export function restoreFailed(what: string, conn: SshConnection, result: {code: number | null; signal: string | null; stderr: Buffer}): OdoopsError {
  const tail = result.stderr.toString('utf8').trim().split('\n').slice(-4).join(' | ')
  return new OdoopsError('RESTORE_LOAD_FAILED', `${what} on ${conn.target.name} failed (exit ${result.code ?? result.signal})${tail ? `: ${tail}` : ''}.`, {
    suggestions: ['Nothing is served from the half-restored copy: fix the cause, then resume (odoops tenant create --resume <slug>) or remove the new tenant.'],
    data: {host: conn.target.name, exitCode: result.code, signal: result.signal, stderr: tail},
  })
}

/** Streams one stored file of a backup into a command's stdin on the host. */
async function streamFile(env: TargetEnv, entry: BackupEntry, file: BackupFile, conn: SshConnection, cmd: RemoteCommand, what: string): Promise<void> {
  const target = openTarget(env, await resolveTarget(env, entry.target))
  const source = await target.read(backupKey(entry.tenant, entry.id, file.name))
  const result = await conn.exec(cmd, {root: true, stdin: source, timeoutMs: RESTORE_STREAM_TIMEOUT_MS})
  if (result.code !== 0) {
    source.destroy()
    throw restoreFailed(what, conn, result)
  }
}

function fileOf(entry: BackupEntry, role: 'database'): BackupFile {
  const file = entry.files.find((f): f is BackupFile => f.role === role)
  if (!file) throw new OdoopsError('BACKUP_INCOMPLETE', `Backup ${entry.id} lists no ${role} file.`, {suggestions: ['odoops backup verify ' + entry.id]})
  return file
}

/** A catalogued backup as a restore source (its files streamed from the target to the host). */
export async function backupSource(env: TargetEnv, id: string): Promise<RestoreSource & {entry: BackupEntry}> {
  const entry = await getBackup(env.store, id)
  return {
    entry,
    description: `backup ${entry.id}`,
    loadDatabase: async (conn, database, role, signal) => {
      const dump = fileOf(entry, 'database')
      const what = 'pg_restore --exit-on-error of ' + dump.name
      if (!entry.tables?.count) return streamFile(env, entry, dump, conn, restoreCommand(database, entry.codec, {role}), what)
      // Format 3: the dump's definitions and small tables, the large tables' rows, then indexes and constraints.
      const target = openTarget(env, await resolveTarget(env, entry.target))
      const tables = tablesOf(await readManifestOf(target, entry))
      await streamFile(env, entry, dump, conn, restoreCommand(database, entry.codec, {role, sections: ['pre-data', 'data']}), what)
      for (const table of tables) {
        signal?.throwIfAborted()
        const loaded = await loadTable(conn, target, table, database, RESTORE_STREAM_TIMEOUT_MS, signal)
        const fault = tableBlobFault(table, loaded)
        if (fault) {
          throw new OdoopsError('BACKUP_BLOB_BAD', `Backup ${entry.id}: ${fault}.`, {
            suggestions: [`odoops backup verify ${entry.id} names every backup that needs it; restore another backup of the tenant.`],
            data: {sha1: table.blob, table: table.table},
          })
        }
        if (loaded.result.code !== 0) throw restoreFailed(`COPY of table ${table.table} into ${database}`, conn, loaded.result)
      }
      await streamFile(env, entry, dump, conn, restoreCommand(database, entry.codec, {role, sections: ['post-data']}), what)
    },
    loadFilestore: async (conn, dir) => {
      const target = openTarget(env, await resolveTarget(env, entry.target))
      const filestore = await openFilestore(target, entry)
      const result = await conn.exec(filestoreRestoreCommand(dir, filestore.codec), {root: true, stdin: filestore.stream, timeoutMs: RESTORE_STREAM_TIMEOUT_MS})
      // A bad blob ends the stream (and so the unpacking): report the blob, not tar's complaint.
      if (filestore.stream.errored) throw filestore.stream.errored
      if (result.code !== 0) {
        filestore.stream.destroy()
        throw restoreFailed('unpacking ' + filestore.label, conn, result)
      }
    },
  }
}

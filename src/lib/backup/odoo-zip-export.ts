import {createWriteStream} from 'node:fs'
import {open, rename, rm} from 'node:fs/promises'
import {PassThrough, Readable} from 'node:stream'
import {finished, pipeline} from 'node:stream/promises'
import {extract as tarExtract} from 'tar-stream'
import yazl from 'yazl'
import {OdoopsError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import type {SshConnection} from '../ssh/connection.js'
import type {RemoteCommand} from '../ssh/quote.js'
import {blobKey} from './blobs/layout.js'
import {tableBlobFault, tableParts, tablesOf} from './tables/load.js'
import type {BackupTarget} from './targets/target.js'
import {getBackup, type BackupEntry} from './catalog.js'
import {DigestStream} from './digest.js'
import {openFilestore} from './filestore-source.js'
import {readManifestOf} from './blobs/refs.js'
import {backupKey, type BackupFile, type OdooManifest, type TableSegment} from './manifest.js'
import {decompressCommand, plainSqlCommand} from './shell/odoo-zip.js'
import {restoreFailed, RESTORE_STREAM_TIMEOUT_MS} from './restore-source.js'
import {openTarget, resolveTarget, type TargetEnv} from './targets/index.js'

export interface OdooZipExportResult {
  id: string
  file: string
  bytes: number
  sha256: string
  /** The host that converted the dump to plain SQL. */
  via: string
  filestoreFiles: number
}

/** Odoo's manifest fields only (dump_db_manifest); odoops' own stay in the backup. */
function odooManifestOf(manifest: OdooManifest): Omit<OdooManifest, 'odoops'> {
  const {odoo_dump, db_name, version, version_info, major_version, pg_version, modules} = manifest
  return {odoo_dump, db_name, version, version_info, major_version, pg_version, modules}
}

function fileOf(entry: BackupEntry, role: 'database'): BackupFile {
  const file = entry.files.find((f): f is BackupFile => f.role === role)
  if (!file) throw new OdoopsError('BACKUP_INCOMPLETE', `Backup ${entry.id} lists no ${role} file.`, {suggestions: ['odoops backup verify ' + entry.id]})
  return file
}

/** Pipes a host command's stdout into `sql` (left open) and waits for its end and exit. */
async function appendCommand(sql: PassThrough, conn: SshConnection, cmd: RemoteCommand, stdin: Readable, what: string): Promise<void> {
  const part = await conn.execStream(cmd, {root: true, stdin, timeoutMs: RESTORE_STREAM_TIMEOUT_MS})
  part.stdout.pipe(sql, {end: false})
  const [done] = await Promise.all([part.done, finished(part.stdout)])
  if (done.code !== 0) throw restoreFailed(what, conn, done)
}

/**
 * Format 3: dump.sql as one plain script, in the order pg_dump would have written it: the
 * dump's pre-data and data, each large table's rows as a `COPY … FROM stdin;` block (its
 * stored blob decompressed on the host, hashed here on the way), then the dump's post-data.
 */
async function addSqlWithTables(zip: yazl.ZipFile, conn: SshConnection, target: BackupTarget, entry: BackupEntry, dumpKey: string, tables: TableSegment[], signal?: AbortSignal): Promise<void> {
  const sql = new PassThrough()
  zip.addReadStream(sql, 'dump.sql', {compress: true})
  try {
    await appendCommand(sql, conn, plainSqlCommand(entry.codec, ['pre-data', 'data']), await target.read(dumpKey), 'pg_restore to plain SQL (pre-data, data)')
    for (const table of tables) {
      signal?.throwIfAborted()
      const {schema, name, columns} = tableParts(table)
      // Plain names only (shell/tables.ts), so quoting them is just the double quotes.
      sql.write(`\n--\n-- Rows of ${schema}.${name}, stored by content (odoops)\n--\n\nCOPY "${schema}"."${name}" (${columns.map((c) => `"${c}"`).join(', ')}) FROM stdin;\n`)
      const digest = new DigestStream(undefined, 'sha1')
      const source = await target.read(blobKey(table.blob))
      source.on('error', (error) => digest.destroy(error))
      await appendCommand(sql, conn, decompressCommand(table.codec), source.pipe(digest), `decompressing the rows of ${table.table}`)
      const fault = tableBlobFault(table, {size: digest.bytes, sha1: digest.hex()})
      if (fault) throw new OdoopsError('BACKUP_BLOB_BAD', `Backup ${entry.id}: ${fault}.`, {suggestions: [`odoops backup verify ${entry.id}`], data: {sha1: table.blob, table: table.table}})
      sql.write('\\.\n\n')
    }
    await appendCommand(sql, conn, plainSqlCommand(entry.codec, ['post-data']), await target.read(dumpKey), 'pg_restore to plain SQL (post-data)')
    sql.end()
  } catch (error) {
    sql.destroy(error as Error)
    throw error
  }
}

/**
 * `backup export <id> --format odoo-zip`: a zip that Odoo's database manager restores, laid
 * out as Odoo's own backup (odoo/service/db.py dump_db): `dump.sql` (plain SQL, first),
 * `manifest.json` (Odoo's fields), `filestore/<xx>/<sha1>`. The stored files stream
 * through a host (`via`, default the tenant's) that turns the custom dump into plain SQL
 * and decompresses the filestore tar; the zip is written under `<file>.partial`, fsynced
 * and renamed only when complete. Nothing is held in memory or staged on disk.
 */
export async function exportOdooZip(env: TargetEnv & {signal?: AbortSignal}, id: string, options: {output: string; via?: string}): Promise<OdooZipExportResult> {
  const entry = await getBackup(env.store, id)
  const target = openTarget(env, await resolveTarget(env, entry.target))
  const manifest = await readManifestOf(target, entry)
  const via = options.via ?? entry.host
  const conn: SshConnection = await (env.connect ?? ((h: string) => connectHost(env.store, h)))(via)
  const partial = `${options.output}.partial`
  const zip = new yazl.ZipFile()
  const digest = new DigestStream()
  // yazl's typings call its output a plain ReadableStream; it is a stream.Readable (PassThrough).
  const output = zip.outputStream as unknown as Readable
  const written = pipeline(output, digest, createWriteStream(partial, {mode: 0o600}))
  written.catch(() => {})
  let filestoreFiles = 0
  try {
    // dump.sql first, as Odoo writes it (zip_dir sorts dump.sql before the rest).
    const dumpKey = backupKey(entry.tenant, entry.id, fileOf(entry, 'database').name)
    const tables = tablesOf(manifest)
    if (tables.length === 0) {
      const sql = await conn.execStream(plainSqlCommand(entry.codec), {root: true, stdin: await target.read(dumpKey), timeoutMs: RESTORE_STREAM_TIMEOUT_MS})
      zip.addReadStream(sql.stdout, 'dump.sql', {compress: true})
      const sqlDone = await sql.done
      if (sqlDone.code !== 0) throw restoreFailed('pg_restore to plain SQL', conn, sqlDone)
    } else await addSqlWithTables(zip, conn, target, entry, dumpKey, tables, env.signal)
    env.signal?.throwIfAborted()
    zip.addBuffer(Buffer.from(JSON.stringify(odooManifestOf(manifest), null, 4)), 'manifest.json')

    // Format 1: the stored archive decompressed on the host; format 2: a tar rebuilt here from the blobs (each checked).
    const filestore = await openFilestore(target, entry, manifest)
    const files = filestore.codec ? await conn.execStream(decompressCommand(filestore.codec), {root: true, stdin: filestore.stream, timeoutMs: RESTORE_STREAM_TIMEOUT_MS}) : undefined
    const extract = tarExtract()
    if (files) files.stdout.pipe(extract)
    else {
      filestore.stream.once('error', (error) => extract.destroy(error))
      filestore.stream.pipe(extract)
    }
    for await (const item of extract) {
      const name = item.header.name.replace(/^\.\//, '')
      if (item.header.type !== 'file' || name === '') {
        item.resume()
        continue
      }
      // Attachments are mostly compressed already (images, PDFs): stored, as deflate would gain little.
      // tar-stream entries are streamx streams: wrapped as a stream.Readable for yazl.
      const file = Readable.from(item)
      zip.addReadStream(file, `filestore/${name}`, {compress: false, mtime: item.header.mtime ?? new Date()})
      await finished(file)
      filestoreFiles++
      env.signal?.throwIfAborted()
    }
    const filesDone = files ? await files.done : undefined
    if (filesDone && filesDone.code !== 0) throw restoreFailed('decompressing the filestore', conn, filesDone)
    if (filestoreFiles !== entry.filestore.files) {
      throw new OdoopsError('BACKUP_EXPORT_MISMATCH', `The filestore of ${entry.id} gave ${filestoreFiles} files, the manifest says ${entry.filestore.files}.`, {suggestions: [`odoops backup verify ${entry.id}`]})
    }
    zip.end()
    await written
    const handle = await open(partial, 'r')
    await handle.sync().finally(() => handle.close())
    await rename(partial, options.output)
    const {size, sha256} = digest.result()
    return {id: entry.id, file: options.output, bytes: size, sha256, via, filestoreFiles}
  } catch (error) {
    output.destroy()
    await rm(partial, {force: true})
    throw error
  }
}

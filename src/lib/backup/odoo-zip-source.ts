import {Readable, type Writable} from 'node:stream'
import {once} from 'node:events'
import {pack as tarPack} from 'tar-stream'
import yauzl, {type Entry, type ZipFile} from 'yauzl'
import {ExitCode, OdoopsError} from '../errors.js'
import type {SshConnection} from '../ssh/connection.js'
import {filestoreRestoreCommand, sqlLoadCommand} from './shell/restore.js'
import {restoreFailed, RESTORE_STREAM_TIMEOUT_MS, type RestoreSource} from './restore-source.js'

/** What an Odoo database-manager zip holds (odoo/service/db.py dump_db), read from its central directory. */
export interface OdooZipContents {
  /** Odoo's manifest.json, when present (Odoo writes one; restore ignores it). */
  manifest?: {db_name?: string; version?: string; major_version?: string; pg_version?: string; modules?: Record<string, string | null>}
  dumpBytes: number
  filestoreFiles: number
  filestoreBytes: number
}

const open = (path: string): Promise<ZipFile> => yauzl.openPromise(path, {lazyEntries: true, autoClose: false})

async function* entriesOf(zip: ZipFile): AsyncGenerator<Entry> {
  yield* zip.eachEntry()
}

function readStream(zip: ZipFile, entry: Entry): Promise<NodeJS.ReadableStream & import('node:stream').Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))))
}

function notOdooZip(path: string, why: string): OdoopsError {
  return new OdoopsError('ODOO_ZIP_INVALID', `${path} is not an Odoo backup zip: ${why}.`, {
    exit: ExitCode.USAGE,
    suggestions: ['Give a zip made by Odoo\'s database manager (Backup, format zip) or by odoops backup export --format odoo-zip: dump.sql, filestore/, manifest.json.'],
  })
}

/** Reads the zip's directory (never the data) and its manifest. */
export async function inspectOdooZip(path: string): Promise<OdooZipContents> {
  let zip: ZipFile
  try {
    zip = await open(path)
  } catch (error) {
    throw notOdooZip(path, (error as Error).message)
  }
  try {
    const contents: OdooZipContents = {dumpBytes: -1, filestoreFiles: 0, filestoreBytes: 0}
    for await (const entry of entriesOf(zip)) {
      if (entry.fileName === 'dump.sql') contents.dumpBytes = entry.uncompressedSize
      else if (entry.fileName.startsWith('filestore/') && !entry.fileName.endsWith('/')) {
        contents.filestoreFiles++
        contents.filestoreBytes += entry.uncompressedSize
      } else if (entry.fileName === 'manifest.json') {
        const chunks: Buffer[] = []
        for await (const chunk of await readStream(zip, entry)) chunks.push(chunk as Buffer)
        try {
          contents.manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OdooZipContents['manifest']
        } catch {
          throw notOdooZip(path, 'manifest.json is not valid JSON')
        }
      }
    }
    if (contents.dumpBytes < 0) throw notOdooZip(path, 'it has no dump.sql')
    return contents
  } finally {
    zip.close()
  }
}

/**
 * An Odoo zip as a restore source: `dump.sql` streams from the zip into psql with
 * ON_ERROR_STOP on the host (the first SQL error fails the import, unlike Odoo's own
 * restore), and the `filestore/` entries are re-packed on the fly as a tar stream that the
 * host unpacks into the tenant's filestore.
 */
export function odooZipSource(path: string): RestoreSource {
  const withEntries = async (fn: (zip: ZipFile, entry: Entry) => Promise<boolean | void>) => {
    const zip = await open(path)
    try {
      for await (const entry of entriesOf(zip)) if ((await fn(zip, entry)) === true) return
    } finally {
      zip.close()
    }
  }
  return {
    description: `Odoo zip ${path}`,
    async loadDatabase(conn: SshConnection, database: string, role: string) {
      await withEntries(async (zip, entry) => {
        if (entry.fileName !== 'dump.sql') return false
        const result = await conn.exec(sqlLoadCommand(database, role), {root: true, stdin: await readStream(zip, entry), timeoutMs: RESTORE_STREAM_TIMEOUT_MS})
        if (result.code !== 0) throw restoreFailed('psql ON_ERROR_STOP of dump.sql', conn, result)
        return true
      })
    },
    async loadFilestore(conn: SshConnection, dir: string) {
      const tar = tarPack()
      // tar-stream's pack is a streamx stream: wrapped as a stream.Readable for the SSH channel.
      const upload = conn.exec(filestoreRestoreCommand(dir, undefined), {root: true, stdin: Readable.from(tar), timeoutMs: RESTORE_STREAM_TIMEOUT_MS})
      try {
        await withEntries(async (zip, entry) => {
          const name = entry.fileName.slice('filestore/'.length)
          if (!entry.fileName.startsWith('filestore/') || name === '' || entry.fileName.endsWith('/')) return false
          if (name.split('/').some((part) => part === '..' || part === '')) throw notOdooZip(path, `unsafe filestore path ${entry.fileName}`)
          const sink = tar.entry({name, size: entry.uncompressedSize, mode: 0o640, mtime: entry.getLastModDate()})
          // A streamx writable (tar-stream 3): written by hand, honouring its backpressure.
          for await (const chunk of await readStream(zip, entry)) if (!sink.write(chunk)) await once(sink as unknown as Writable, 'drain')
          const flushed = once(sink as unknown as Writable, 'finish')
          sink.end(Buffer.alloc(0))
          await flushed
          return false
        })
        tar.finalize()
      } catch (error) {
        tar.destroy(error as Error)
        await upload.catch(() => {})
        throw error
      }
      const result = await upload
      if (result.code !== 0) throw restoreFailed('unpacking the filestore', conn, result)
    },
  }
}

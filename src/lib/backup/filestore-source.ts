import type {Readable} from 'node:stream'
import {OdoopsError} from '../errors.js'
import {filestoreTarFromBlobs} from './blobs/rebuild.js'
import {blobRefsOf, isBlobBackup, readManifestOf} from './blobs/refs.js'
import type {BlobRef} from './blobs/layout.js'
import type {BackupEntry} from './catalog.js'
import {backupKey, type BackupFile, type OdooManifest} from './manifest.js'
import type {Codec} from './shell/pipeline.js'
import type {BackupTarget} from './targets/target.js'

/**
 * A backup's filestore as one tar stream, whatever its format: format 1 reads the stored
 * archive (compressed with `codec`); format 2 builds a plain tar from the pool's blobs, each
 * checked against its SHA-1 on the way (`codec` undefined). Restore, move, verify and the
 * Odoo-zip export all read the filestore through this.
 */
export interface FilestoreStream {
  stream: Readable
  codec: Codec | undefined
  /** For messages: `filestore.tar.zst` or `the filestore's 120 blobs`. */
  label: string
  /** Format 1: the stored archive (its size and SHA-256 are in the catalog). */
  file?: BackupFile
  /** Format 2: the files it holds. */
  refs?: BlobRef[]
}

export function storedFilestoreFile(entry: BackupEntry): BackupFile {
  const file = entry.files.find((f): f is BackupFile => f.role === 'filestore')
  if (!file) throw new OdoopsError('BACKUP_INCOMPLETE', `Backup ${entry.id} lists no filestore file.`, {suggestions: ['odoops backup verify ' + entry.id]})
  return file
}

export async function openFilestore(target: BackupTarget, entry: BackupEntry, manifest?: OdooManifest): Promise<FilestoreStream> {
  if (isBlobBackup(entry)) {
    const refs = blobRefsOf(manifest ?? (await readManifestOf(target, entry)), entry.id)
    return {stream: filestoreTarFromBlobs(target, refs), codec: undefined, label: `the filestore's ${refs.length} blobs`, refs}
  }
  const file = storedFilestoreFile(entry)
  return {stream: await target.read(backupKey(entry.tenant, entry.id, file.name)), codec: entry.codec, label: file.name, file}
}

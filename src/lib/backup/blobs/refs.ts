import {OdoopsError} from '../../errors.js'
import type {StateStore} from '../../state/store.js'
import type {BackupEntry} from '../catalog.js'
import {backupKey, MANIFEST_NAME, type OdooManifest} from '../manifest.js'
import type {BackupTarget} from '../targets/target.js'
import {decodeBlob, type BlobRef} from './layout.js'
import {tablesOf} from '../tables/load.js'

/** A format-2 backup: its filestore is blobs in the target's pool, listed by its manifest. */
export function isBlobBackup(entry: Pick<BackupEntry, 'blobs'>): boolean {
  return entry.blobs !== undefined
}

/** The stored bytes of a backup's manifest.json (verify hashes them; the others parse them). */
export async function manifestBytesOf(target: BackupTarget, entry: Pick<BackupEntry, 'tenant' | 'id'>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await target.read(backupKey(entry.tenant, entry.id, MANIFEST_NAME))) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** The newest manifest format this odoops reads (manifest.ts, ManifestFormat). */
export const NEWEST_FORMAT = 3

export async function readManifestOf(target: BackupTarget, entry: Pick<BackupEntry, 'tenant' | 'id'>): Promise<OdooManifest> {
  const manifest = JSON.parse((await manifestBytesOf(target, entry)).toString('utf8')) as OdooManifest
  // A newer odoops may store parts of a backup where this one would not look: refuse, never restore less.
  if (typeof manifest.odoops?.format === 'number' && manifest.odoops.format > NEWEST_FORMAT) {
    throw new OdoopsError('BACKUP_FORMAT_UNKNOWN', `Backup ${entry.id} was written in format ${manifest.odoops.format}; this odoops reads formats 1 to ${NEWEST_FORMAT}.`, {
      suggestions: ['Upgrade odoops (npm install -g odoops) and run the command again.'],
    })
  }
  return manifest
}

/** The filestore files of a format-2 backup, from its manifest. */
export function blobRefsOf(manifest: OdooManifest, id: string): BlobRef[] {
  const tuples = manifest.odoops?.blobs
  if (!Array.isArray(tuples)) throw new OdoopsError('BACKUP_MANIFEST_INVALID', `The manifest of ${id} lists no blobs although the catalog says its filestore is stored as blobs.`, {suggestions: [`odoops backup verify ${id}`]})
  return tuples.map(decodeBlob)
}

/**
 * Every SHA-1 of the pool a backup needs: its filestore's blobs and (format 3) its large
 * tables' rows. What a sweep keeps for it and what a verify report names it for.
 */
export function pooledSha1sOf(manifest: OdooManifest, id: string): string[] {
  return [...blobRefsOf(manifest, id).map((r) => r.sha1), ...tablesOf(manifest).map((t) => t.blob)]
}

/** Catalogued format-2 backups on a target (any tenant). */
export async function blobBackupsOn(store: Pick<StateStore, 'backups'>, targetId: string): Promise<BackupEntry[]> {
  return ((await store.backups.list()) as BackupEntry[]).filter((e) => e.target === targetId && isBlobBackup(e))
}

/** Which catalogued backups on the target list any of these SHA-1s (for a verify report). */
export async function backupsNeeding(store: Pick<StateStore, 'backups'>, target: BackupTarget, targetId: string, sha1s: Set<string>): Promise<{tenant: string; id: string}[]> {
  const out: {tenant: string; id: string}[] = []
  for (const entry of await blobBackupsOn(store, targetId)) {
    const needs = await readManifestOf(target, entry).then(
      (m) => pooledSha1sOf(m, entry.id),
      () => [],
    )
    if (needs.some((sha1) => sha1s.has(sha1))) out.push({tenant: entry.tenant, id: entry.id})
  }
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

import type {BlobTuple} from './blobs/layout.js'
import {CODEC_EXTENSION, type Codec} from './shell/pipeline.js'

/**
 * manifest.json of a backup. The top-level fields are Odoo's own (odoo/service/db.py
 * dump_db_manifest), so tools that read Odoo's manifest understand it; odoops' facts are
 * under `odoops`. Written last: a backup directory without a manifest is incomplete.
 */
export interface OdooManifest {
  odoo_dump: '1'
  db_name: string
  version: string
  version_info: (number | string)[]
  major_version: string
  pg_version: string
  /** Installed module → latest_version. */
  modules: Record<string, string | null>
  odoops: OdoopsManifest
}

export interface RowCounts {
  /** res_users WHERE active (Odoo's nbr_users: portal users included). */
  res_users_active: number
  /** res_users WHERE active AND share (portal/public). */
  res_users_share: number
  res_company: number
  ir_attachment: number
  /** 0 when the table does not exist (accounting not installed). */
  account_move: number
}

export interface BackupFile {
  role: 'database' | 'filestore'
  /** Key on the target, relative to the backup's directory (`database.dump.zst`). */
  name: string
  codec: Codec
  /** Stored (compressed) bytes. */
  size: number
  /** Hex SHA-256 of the stored bytes. */
  sha256: string
}

/**
 * 1: the filestore is a compressed tar in the backup's directory (`files[]` role `filestore`).
 * 2: the filestore is blobs in the target's pool, listed in `blobs` (see blobs/layout.ts).
 * 3: as 2, and the rows of the large tables listed in `tables` are blobs in the pool too,
 *    not in the dump (an odoops that knows only 1 and 2 must not restore it: it would miss them).
 */
export type ManifestFormat = 1 | 2 | 3

/**
 * A large table whose rows are stored by content (docs/backups.md, "Large tables stored by
 * content"): its COPY text, compressed with `codec`, is a blob of the target's pool named by
 * the SHA-1 of the stored bytes; the dump holds its definition and indexes, not its rows.
 */
export interface TableSegment {
  /** `schema.name` (plain names: shell/tables.ts). */
  table: string
  /** The columns of the COPY text, in order. */
  columns: string[]
  /** SHA-256 and length of the COPY text: how a later run tells the table unchanged. */
  content: string
  contentBytes: number
  /** pg_stat_user_tables' write counters when read: a later run hashes the table again only when they are unchanged. */
  writes: number
  codec: Codec
  /** SHA-1 of the stored bytes, the blob's name in the pool, and their length. */
  blob: string
  size: number
}

export interface OdoopsManifest {
  format: ManifestFormat
  backupId: string
  tenant: string
  host: string
  mode: string
  series: string
  /** `odoo --version` of the service that ran the tenant, when known. */
  odooVersion?: string
  startedAt: string
  finishedAt: string
  pgDumpVersion: string
  pgServerVersion: string
  files: BackupFile[]
  counts: RowCounts
  filestore: {files: number; bytes: number}
  /** Format 2: every file of the filestore (`[path, size]`, or `[path, size, sha1]` when the path is not Odoo's `<ab>/<sha1>`). */
  blobs?: BlobTuple[]
  /** Format 3: the large tables whose rows are blobs in the pool (restored after the dump's data, before its post-data). */
  tables?: TableSegment[]
  /** Newest write_date over the key tables (UTC, ISO), null on an empty database. */
  newestWriteDate: string | null
  /** When the snapshot shared by pg_dump and the counts was taken (pg_export_snapshot): the counts describe exactly the dump. */
  countsTakenAt: string
}

/** Odoo's release.version_info for a series: "17.0" → [17, 0, 0, 'final', 0, ''], "saas~17.1" → [17, 1, …]. */
export function versionInfo(series: string): (number | string)[] {
  const match = /(\d+)\.(\d+)/.exec(series)
  const major = match ? Number(match[1]) : 0
  const minor = match ? Number(match[2]) : 0
  return [major, minor, 0, 'final', 0, '']
}

/** Odoo's pg_version: `"%d.%d" % divmod(server_version / 100, 100)` → "15.0" for 150008. */
export function odooPgVersion(serverVersionNum: number): string {
  const hundreds = Math.floor(serverVersionNum / 100)
  return `${Math.floor(hundreds / 100)}.${hundreds % 100}`
}

export interface ManifestInput {
  database: string
  modules: Record<string, string | null>
  serverVersionNum: number
  odoops: OdoopsManifest
}

export function buildManifest(input: ManifestInput): OdooManifest {
  const info = versionInfo(input.odoops.series)
  return {
    odoo_dump: '1',
    db_name: input.database,
    version: input.odoops.series,
    version_info: info,
    major_version: `${info[0]}.${info[1]}`,
    pg_version: odooPgVersion(input.serverVersionNum),
    modules: input.modules,
    odoops: input.odoops,
  }
}

/** The manifest as stored: stable, indented JSON with a final newline. */
/**
 * Indented JSON, but the filestore's list (`odoops.blobs`, one entry per attachment: a big
 * tenant has hundreds of thousands) one compact `[path, size]` per line, not four lines each.
 */
export function serializeManifest(manifest: OdooManifest): Buffer {
  const blobs = manifest.odoops?.blobs
  if (!Array.isArray(blobs) || blobs.length === 0) return Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8')
  const placeholder = '"odoops:blobs"'
  const text = JSON.stringify({...manifest, odoops: {...manifest.odoops, blobs: 'odoops:blobs'}}, null, 2)
  const list = `[\n${blobs.map((b) => `      ${JSON.stringify(b)}`).join(',\n')}\n    ]`
  return Buffer.from(text.replace(placeholder, () => list) + '\n', 'utf8')
}

export const MANIFEST_NAME = 'manifest.json'

export function databaseFileName(codec: Codec): string {
  return `database.dump.${CODEC_EXTENSION[codec]}`
}

export function filestoreFileName(codec: Codec): string {
  return `filestore.tar.${CODEC_EXTENSION[codec]}`
}

/** `acme-20250101T120000Z-3f2a`: sortable by time, unique with the random suffix. */
export function backupId(slug: string, at: Date, random: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `${slug}-${stamp}-${random}`
}

/** A backup's files live under `<tenant>/<backup id>/` on its target. */
export function backupKey(slug: string, id: string, name: string): string {
  return `${slug}/${id}/${name}`
}

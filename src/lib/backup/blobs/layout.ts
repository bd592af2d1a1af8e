/**
 * Where a target keeps attachment blobs (format 2 backups), and how a backup names them.
 *
 * One pool per target, shared by every tenant (so a restored copy, a moved tenant or two
 * tenants holding the same file store it once): `odoops_blobs/<ab>/<sha1>`, the blob's name
 * being the SHA-1 of its bytes, as Odoo names its filestore files. A run in progress claims
 * the blobs it needs in `odoops_claims/<tenant>/<backup id>.json` before asking the target
 * what it has (see claims.ts, sweep.ts). Neither directory can be a tenant's: slugs have no `_`.
 */
export const POOL_DIR = 'odoops_blobs'
export const CLAIMS_DIR = 'odoops_claims'

const SHA1 = /^[0-9a-f]{40}$/
/** Odoo's layout of a content-addressed file: `<sha1[:2]>/<sha1>` (ir_attachment._get_path). */
const CONTENT_PATH = /^([0-9a-f]{2})\/([0-9a-f]{40})$/

export function isSha1(value: string): boolean {
  return SHA1.test(value)
}

/** The SHA-1 a filestore path names (`ab/ab12…` → `ab12…`), when it follows Odoo's layout. */
export function contentAddress(path: string): string | undefined {
  const match = CONTENT_PATH.exec(path)
  return match && match[2].startsWith(match[1]) ? match[2] : undefined
}

export function blobKey(sha1: string): string {
  if (!isSha1(sha1)) throw new Error(`not a SHA-1: ${sha1}`)
  return `${POOL_DIR}/${sha1.slice(0, 2)}/${sha1}`
}

/** The SHA-1 of a pool key (`odoops_blobs/ab/ab12…`), undefined for anything else. */
export function sha1OfKey(key: string): string | undefined {
  const parts = key.split('/')
  if (parts.length !== 3 || parts[0] !== POOL_DIR) return undefined
  return isSha1(parts[2]) && parts[2].startsWith(parts[1]) ? parts[2] : undefined
}

export function claimKey(tenant: string, backupId: string): string {
  return `${CLAIMS_DIR}/${tenant}/${backupId}.json`
}

/**
 * One file of a backed-up filestore, in the manifest (`odoops.blobs`) as a compact tuple:
 * `[path, size]` when the path is Odoo's `<ab>/<sha1>` (the SHA-1 is in the name), else
 * `[path, size, sha1]` (a file Odoo did not name by its content, kept all the same).
 */
export type BlobTuple = [string, number] | [string, number, string]

export interface BlobRef {
  /** Relative to the filestore directory (`ab/ab12…`). */
  path: string
  size: number
  sha1: string
}

export function encodeBlob(ref: BlobRef): BlobTuple {
  return contentAddress(ref.path) === ref.sha1 ? [ref.path, ref.size] : [ref.path, ref.size, ref.sha1]
}

export function decodeBlob(tuple: BlobTuple): BlobRef {
  const [path, size, sha1] = tuple
  const named = sha1 ?? contentAddress(path)
  if (!named || !isSha1(named)) throw new Error(`manifest blob entry without a SHA-1: ${path}`)
  return {path, size, sha1: named}
}

/** A filestore path safe to recreate under a directory (relative, no `..`, no empty part). */
export function isSafePath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && path.split('/').every((p) => p !== '' && p !== '.' && p !== '..')
}

import type {Readable, Writable} from 'node:stream'
import {OdoopsError} from '../../errors.js'

/**
 * Where backups are stored. Callers (backup run, and later verify, restore, prune, export)
 * only ever use this interface, so a new kind of storage (S3-compatible object storage) is
 * one more implementation, registered in ./open.ts.
 *
 * Keys are relative, `/`-separated paths (`acme/acme-20250101T120000Z-3f2a/manifest.json`).
 * A write lands under `<key>.partial` and becomes `<key>` only in `commit`, after the size
 * and SHA-256 were checked by reading the stored bytes back AT the target; a reader never
 * sees an incomplete file under a final name.
 */
export interface BackupTarget {
  readonly name: string
  readonly type: string
  /** For people: `/var/backups/odoops` or `backup1:/srv/odoops`. */
  readonly location: string
  /**
   * Start writing `<key>.partial` (replacing a stale one). `digest` is the digest its commit
   * will be checked by (default SHA-256): a target may compute it while the bytes arrive.
   */
  openWrite(key: string, digest?: ContentDigest): Promise<TargetWrite>
  /** The stored bytes of a committed key. */
  read(key: string): Promise<Readable>
  /** Committed and partial keys under a prefix (`acme/`), with their sizes. */
  list(prefix: string): Promise<TargetEntry[]>
  /**
   * Which of these committed keys exist (partial files do not count). Asked in batches by the
   * caller's list (one round trip per batch on a remote target), never by listing a directory.
   */
  has(keys: readonly string[]): Promise<Set<string>>
  /** Removes a key (committed or partial); false when it did not exist. */
  delete(key: string): Promise<boolean>
  /** Bytes free for new backups, when the storage can tell. */
  freeBytes(): Promise<number | undefined>
}

export interface TargetEntry {
  key: string
  size: number
  /** True for a `<key>.partial` left by a write that never committed. */
  partial: boolean
}

/**
 * What a commit checks the stored bytes against: their size and one hex digest, SHA-256 for
 * backup files (the catalog's checksum) or SHA-1 for a blob (its name: the digest the sender
 * already computed, so a blob is hashed once on the way and once on the read-back).
 */
export type ExpectedContent = {size: number; sha256: string} | {size: number; sha1: string}

export type ContentDigest = 'sha256' | 'sha1'

/** The digest an expectation names, and its hex value. */
export function digestOf(expected: ExpectedContent): {algorithm: ContentDigest; hex: string} {
  return 'sha1' in expected ? {algorithm: 'sha1', hex: expected.sha1} : {algorithm: 'sha256', hex: expected.sha256}
}

/** Whether stored bytes (size and hex digest in the expectation's algorithm) are what was sent. */
export function matches(expected: ExpectedContent, actual: {size: number; hex: string}): boolean {
  return actual.size === expected.size && actual.hex === digestOf(expected).hex
}

/** One write in progress. Exactly one of commit / abort ends it. */
export interface TargetWrite {
  readonly key: string
  /** Write the bytes here, then end it (or let `pipeline` end it). */
  readonly stream: Writable
  /**
   * After `stream` finished: flush to stable storage, re-read the stored bytes at the target,
   * and rename to the final key only when size and digest match `expected` (else
   * BACKUP_TARGET_MISMATCH, and the partial file is removed). `as`: commit under this key
   * instead of the one written (a content-addressed file whose name is known only at the end).
   */
  commit(expected: ExpectedContent, as?: string): Promise<void>
  /** Stop writing and remove the partial file (safe to call more than once, or after a failed commit). */
  abort(): Promise<void>
}

export const PARTIAL_SUFFIX = '.partial'

const KEY_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** Refuses keys that could leave the target's root (absolute, `..`, empty parts) or end in `.partial`. */
export function assertKey(key: string): string {
  const parts = key.split('/')
  if (key.endsWith(PARTIAL_SUFFIX) || parts.some((p) => !KEY_PART.test(p) || p === '..' || p === '.')) {
    throw new OdoopsError('BACKUP_KEY_INVALID', `"${key}" is not a valid backup key (relative path of letters, digits, dots, dashes and underscores).`)
  }
  return key
}

/** Keys under a prefix: a prefix is empty or ends with `/`. */
export function assertPrefix(prefix: string): string {
  if (prefix !== '') assertKey(prefix.replace(/\/$/, ''))
  return prefix === '' || prefix.endsWith('/') ? prefix : prefix + '/'
}

export function mismatchError(target: string, key: string, expected: ExpectedContent, actual: {size: number; hex: string}): OdoopsError {
  const {algorithm, hex} = digestOf(expected)
  return new OdoopsError(
    'BACKUP_TARGET_MISMATCH',
    `The copy of ${key} stored on target "${target}" does not match what was sent (size ${actual.size} vs ${expected.size}, ${algorithm} ${actual.hex.slice(0, 12)}… vs ${hex.slice(0, 12)}…). It was discarded.`,
    {suggestions: ['Check the target\'s disk and file system (dmesg, SMART) and run the backup again.'], data: {target, key, expected, actual: {size: actual.size, [algorithm]: actual.hex}}},
  )
}

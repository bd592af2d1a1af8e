import {createHash, randomBytes} from 'node:crypto'
import pLimit from 'p-limit'
import type {Readable} from 'node:stream'
import {ExitCode, OdoopsError, isOdoopsError, messageOf} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import {getHost} from '../hosts/lookup.js'
import {dropDatabase, psqlAsPostgres} from '../remote/postgres-admin.js'
import {removeRemotePath} from '../remote/files.js'
import type {SshConnection} from '../ssh/connection.js'
import type {RemoteCommand} from '../ssh/quote.js'
import type {StateStore} from '../state/store.js'
import {deepEqual} from '../state/memory-ops.js'
import {withHeldLock} from '../state/with-lock.js'
import {backupLockKey, busyError, lockOwner} from '../tenants/lock.js'
import {getBackup, type BackupEntry, type VerificationRecord} from './catalog.js'
import {checkBlobs, describeBlobFault, type BlobCheck} from './blobs/check.js'
import type {BlobRef} from './blobs/layout.js'
import {backupsNeeding, blobRefsOf, isBlobBackup, manifestBytesOf, pooledSha1sOf} from './blobs/refs.js'
import {missingBlobs} from './blobs/send.js'
import {filestoreStatsCommand, parseFilestoreStats} from './shell/pipeline.js'
import {DigestStream, drain} from './digest.js'
import {databaseFacts} from './facts.js'
import {backupKey, MANIFEST_NAME, type BackupFile, type OdooManifest, type RowCounts, type TableSegment} from './manifest.js'
import {loadTable, tableBlobFault, tablesOf} from './tables/load.js'
import {openTarget, resolveTarget, type BackupTarget, type TargetEnv} from './targets/index.js'
import {attachmentCheckCommand, filestoreCheckCommand, parseFilestoreCheck, restoreCommand, scratchDatabaseName, scratchDirectory, unpackCommand} from './shell/verify.js'

/** A restore of a big tenant can take hours; the SSH layer's default command limit would cut it. */
const RESTORE_TIMEOUT_MS = 24 * 3_600_000
const VERIFY_LOCK_TTL_MS = 5 * 60_000

export interface VerifyEnv extends TargetEnv {
  signal?: AbortSignal
  now?: () => Date
}

/**
 * `full` restores the backup on a host (the proof that it restores); `quick` reads it on its
 * target only: the catalog against the manifest and every stored file against its size and
 * SHA-256 (docs/backups.md, "Verification tiers").
 */
export type VerifyTier = 'full' | 'quick'

export interface VerifyOptions {
  /** Restore on this registered host instead of the tenant's (full only). */
  host?: string
  /** Default full. */
  tier?: VerifyTier
}

export type VerifyCheckName = 'catalog' | 'checksums' | 'blobs' | 'restore' | 'counts' | 'modules' | 'filestore'

export interface VerifyCheck {
  name: VerifyCheckName
  ok: boolean
  detail: string
}

export interface VerifyResult {
  id: string
  tenant: string
  tier: VerifyTier
  status: 'verified' | 'failed'
  /** Why it failed (the first failed check), naming the file or table concerned. */
  reason?: string
  /** The host that ran the scratch restore (absent when the checksums failed first, and for a quick check). */
  host?: string
  at: string
  durationMs: number
  checks: VerifyCheck[]
}

/** A verification that found the backup bad (as opposed to an error that kept it from running). */
class VerifyFailure extends Error {
  constructor(
    readonly check: VerifyCheckName,
    message: string,
  ) {
    super(message)
  }
}

const connectFor = (env: VerifyEnv) => env.connect ?? ((host: string) => connectHost(env.store, host))

/** A stored file's size and SHA-256 as read, against the catalog's. */
function checksumMismatch(file: BackupFile, actual: {size: number; sha256: string}): VerifyFailure | undefined {
  if (actual.size === file.size && actual.sha256 === file.sha256) return undefined
  return new VerifyFailure('checksums', `${file.name} does not match its checksum (size ${actual.size} vs ${file.size}, sha256 ${actual.sha256.slice(0, 12)}… vs ${file.sha256.slice(0, 12)}…)`)
}

async function openStored(target: BackupTarget, entry: BackupEntry, file: BackupFile): Promise<Readable> {
  try {
    return await target.read(backupKey(entry.tenant, entry.id, file.name))
  } catch (error) {
    if (isOdoopsError(error) && error.code === 'BACKUP_FILE_MISSING') throw new VerifyFailure('checksums', `${file.name} is missing on target "${target.name}"`)
    throw error
  }
}


async function readManifest(target: BackupTarget, entry: BackupEntry): Promise<{manifest: OdooManifest; size: number; sha256: string}> {
  let bytes: Buffer
  try {
    bytes = await manifestBytesOf(target, entry)
  } catch (error) {
    if (isOdoopsError(error) && error.code === 'BACKUP_FILE_MISSING') throw new VerifyFailure('checksums', `${MANIFEST_NAME} is missing on target "${target.name}"`)
    throw error
  }
  const digest = {size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex')}
  try {
    return {manifest: JSON.parse(bytes.toString('utf8')) as OdooManifest, ...digest}
  } catch {
    throw new VerifyFailure('checksums', `${MANIFEST_NAME} is not valid JSON`)
  }
}

/** Stored data files (database, filestore) of a catalog entry, the manifest excluded. */
const dataFiles = (entry: BackupEntry): BackupFile[] => entry.files.filter((f): f is BackupFile => f.role !== 'manifest')

/**
 * The quick tier, on the target alone: the manifest is the catalog's (its own size and SHA-256,
 * the backup id, tenant, files, counts), then every stored file is read once and hashed, two
 * at a time, and every blob the backup lists is in the target's pool (presence). No host, no restore: it finds a damaged or missing file, not a dump that will not
 * restore (that is the full tier's job).
 */
async function checkQuick(store: Pick<StateStore, 'backups'>, target: BackupTarget, entry: BackupEntry, read: {manifest: OdooManifest; size: number; sha256: string}, checks: VerifyCheck[], signal?: AbortSignal): Promise<void> {
  const recorded = entry.files.find((f) => f.role === 'manifest')
  if (recorded && (recorded.size !== read.size || recorded.sha256 !== read.sha256)) {
    throw new VerifyFailure('checksums', `${MANIFEST_NAME} does not match its checksum (size ${read.size} vs ${recorded.size})`)
  }
  const m = read.manifest.odoops
  const files = dataFiles(entry)
  const fileKey = (f: BackupFile) => `${f.role} ${f.name} ${f.size} ${f.sha256}`
  const differences = [
    m?.backupId !== entry.id ? `backup id ${m?.backupId} vs ${entry.id}` : '',
    m?.tenant !== entry.tenant ? `tenant ${m?.tenant} vs ${entry.tenant}` : '',
    JSON.stringify((m?.files ?? []).map(fileKey).sort()) !== JSON.stringify(files.map(fileKey).sort()) ? 'the stored files (names, sizes or SHA-256)' : '',
    // Structural: a PostgreSQL state store (jsonb) gives the entry's keys back in its own order.
    !deepEqual(m?.counts, entry.counts) ? 'row counts' : '',
    !deepEqual(m?.filestore, entry.filestore) ? 'filestore totals' : '',
  ].filter(Boolean)
  if (differences.length > 0) throw new VerifyFailure('catalog', `${MANIFEST_NAME} and the catalog entry differ: ${differences.join(', ')}`)
  checks.push({name: 'catalog', ok: true, detail: `${MANIFEST_NAME} matches its checksum and the catalog entry (id, tenant, ${files.length} files, counts)`})
  const limit = pLimit(2)
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        signal?.throwIfAborted()
        const source = await openStored(target, entry, file)
        const digest = new DigestStream()
        source.on('error', (error) => digest.destroy(error))
        source.pipe(digest)
        await drain(digest, signal)
        const mismatch = checksumMismatch(file, digest.result())
        if (mismatch) throw mismatch
      }),
    ),
  )
  checks.push({name: 'checksums', ok: true, detail: `${files.map((f) => f.name).join(', ')}: size and SHA-256 match the catalog (read on target "${target.name}")`})
  if (!isBlobBackup(entry)) return
  // Presence only (asked in batches): their bytes are hashed by the full tier, which reads every blob.
  const refs = blobRefsOf(read.manifest, entry.id)
  const tables = tablesOf(read.manifest)
  const missing = await missingBlobs(target, pooledSha1sOf(read.manifest, entry.id), signal)
  if (missing.size > 0) {
    const named = [...missing].slice(0, 3).join(', ')
    throw new VerifyFailure('blobs', `${missing.size} blob(s) of the filestore${tables.length > 0 ? ' or the large tables' : ''} missing on target "${target.name}" (${named}${missing.size > 3 ? ', …' : ''}); ${await neededBy(store, target, entry, missing)}`)
  }
  const ofTables = tables.length > 0 ? ` and ${tables.length} of large tables' rows` : ''
  checks.push({name: 'blobs', ok: true, detail: `${new Set(refs.map((r) => r.sha1)).size} blobs of the filestore${ofTables} present in the pool of target "${target.name}"`})
}

/**
 * Streams a stored file from the target into a command's stdin on the verify host, hashing it
 * on the way (one read of the file, not a checksum pass and then a restore pass). A file whose
 * bytes are not the catalog's fails `checksums`, whatever the command said of them: on a failed
 * command the rest of the file is read to tell a corrupt file from a failing host.
 */
async function streamInto(conn: SshConnection, target: BackupTarget, entry: BackupEntry, file: BackupFile, cmd: RemoteCommand, check: VerifyCheckName, what: string, signal?: AbortSignal): Promise<void> {
  const source = await openStored(target, entry, file)
  const digest = new DigestStream()
  source.on('error', (error) => digest.destroy(error))
  source.pipe(digest)
  const result = await conn.exec(cmd, {root: true, stdin: digest, timeoutMs: RESTORE_TIMEOUT_MS})
  try {
    await drain(digest, signal)
  } catch (error) {
    source.destroy()
    throw error
  }
  const mismatch = checksumMismatch(file, digest.result())
  if (mismatch) throw mismatch
  if (result.code !== 0) {
    const tail = result.stderr.toString('utf8').trim().split('\n').slice(-4).join(' | ')
    throw new VerifyFailure(check, `${what} of ${file.name} on ${conn.target.name} failed (exit ${result.code ?? result.signal})${tail ? `: ${tail}` : ''}`)
  }
}

function compareCounts(expected: RowCounts, actual: RowCounts): string[] {
  return (Object.keys(expected) as (keyof RowCounts)[]).filter((k) => expected[k] !== actual[k]).map((k) => `${k} ${actual[k]} restored vs ${expected[k]} in the manifest`)
}

function compareModules(expected: Record<string, string | null>, actual: Record<string, string | null>): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()
  return names
    .filter((n) => expected[n] !== actual[n])
    .map((n) => (!(n in actual) ? `${n} missing` : !(n in expected) ? `${n} not in the manifest` : `${n} ${actual[n]} vs ${expected[n]}`))
}

/** "needed by N backup(s) of tenant(s) …: ids": every catalogued backup on the target that lists one of these blobs. */
async function neededBy(store: Pick<StateStore, 'backups'>, target: BackupTarget, entry: BackupEntry, sha1s: Set<string>): Promise<string> {
  const needing = await backupsNeeding(store, target, entry.target, sha1s)
  const tenants = [...new Set(needing.map((n) => n.tenant))].sort()
  return `needed by ${needing.length} backup(s) of tenant(s) ${tenants.join(', ')}: ${needing.map((n) => n.id).join(', ')}`
}

/**
 * A format-2 filestore, checked without unpacking it: the blob check (every blob read and
 * hashed on the target, run beside the restore) must have found no fault, the manifest's files
 * must add up to the catalog's counts, and every attachment row of the restored database must
 * name a listed file of its size (joined on the host, the list sent on stdin). A bad blob fails
 * `checksums`, naming it and every catalogued backup (of any tenant) that needs it.
 */
async function checkBlobFilestore(env: VerifyEnv, conn: SshConnection, target: BackupTarget, entry: BackupEntry, refs: BlobRef[], blobs: BlobCheck, database: string): Promise<VerifyCheck> {
  if (blobs.faults.length > 0) {
    const shown = blobs.faults.slice(0, 3).map(describeBlobFault).join('; ')
    const more = blobs.faults.length > 3 ? `; and ${blobs.faults.length - 3} more` : ''
    throw new VerifyFailure('checksums', `${blobs.faults.length} bad blob(s) on target "${target.name}": ${shown}${more}; ${await neededBy(env.store, target, entry, new Set(blobs.faults.map((f) => f.ref.sha1)))}`)
  }
  const label = `the filestore's ${refs.length} blobs`
  const bytes = refs.reduce((n, r) => n + r.size, 0)
  if (refs.length !== entry.filestore.files || bytes !== entry.filestore.bytes) {
    throw new VerifyFailure('filestore', `${label} hold ${refs.length} files / ${bytes} bytes, the catalog ${entry.filestore.files} / ${entry.filestore.bytes}`)
  }
  const listed = Buffer.from(refs.map((r) => `F\t${r.path}\t${r.size}\n`).join(''), 'utf8')
  const problems = parseFilestoreCheck((await conn.run(attachmentCheckCommand(database), {root: true, stdin: listed, timeoutMs: RESTORE_TIMEOUT_MS})))
  if (problems.total > 0) throw new VerifyFailure('filestore', `${label}: ${problems.total} problem(s): ${problems.lines.slice(0, 5).join('; ')}${problems.total > 5 ? '; …' : ''}`)
  return {name: 'filestore', ok: true, detail: `${refs.length} files, ${bytes} bytes in ${blobs.blobs} blobs on target "${target.name}", each read there and hashing to its name; every attachment's file listed with its size`}
}

/** A format-1 filestore: the stored archive unpacked into a scratch directory on the host and checked there. */
async function checkArchivedFilestore(conn: SshConnection, target: BackupTarget, entry: BackupEntry, filestore: BackupFile, database: string, dir: string, hashed: BackupFile[], signal?: AbortSignal): Promise<VerifyCheck> {
  await streamInto(conn, target, entry, filestore, unpackCommand(dir, entry.codec), 'filestore', 'unpacking', signal)
  hashed.push(filestore)
  const stats = parseFilestoreStats(await conn.run(filestoreStatsCommand(dir), {root: true}))
  if (stats.files !== entry.filestore.files || stats.bytes !== entry.filestore.bytes) {
    throw new VerifyFailure('filestore', `${filestore.name} holds ${stats.files} files / ${stats.bytes} bytes, the manifest ${entry.filestore.files} / ${entry.filestore.bytes}`)
  }
  const problems = parseFilestoreCheck(await conn.run(filestoreCheckCommand(dir, database), {root: true, timeoutMs: RESTORE_TIMEOUT_MS}))
  if (problems.total > 0) throw new VerifyFailure('filestore', `${filestore.name}: ${problems.total} problem(s): ${problems.lines.slice(0, 5).join('; ')}${problems.total > 5 ? '; …' : ''}`)
  return {name: 'filestore', ok: true, detail: `${stats.files} files, ${stats.bytes} bytes; every attachment present with its size, every file matches its SHA-1 name`}
}

/**
 * Format 3: the dump's definitions and small tables, then each large table's rows from the
 * pool (hashed on the way: a corrupt blob fails `blobs`, with the backups that need it), then
 * the dump's post-data. The dump is read twice; without its large tables' rows it is small.
 */
async function restoreWithTables(env: VerifyEnv, conn: SshConnection, target: BackupTarget, entry: BackupEntry, dump: BackupFile, tables: TableSegment[], database: string, signal?: AbortSignal): Promise<void> {
  await streamInto(conn, target, entry, dump, restoreCommand(database, entry.codec, {sections: ['pre-data', 'data']}), 'restore', 'pg_restore --exit-on-error --section=pre-data --section=data', signal)
  for (const table of tables) {
    signal?.throwIfAborted()
    const loaded = await loadTable(conn, target, table, database, RESTORE_TIMEOUT_MS, signal)
    const fault = tableBlobFault(table, loaded)
    if (fault) throw new VerifyFailure('blobs', `${fault}; ${await neededBy(env.store, target, entry, new Set([table.blob]))}`)
    if (loaded.result.code !== 0) {
      const tail = loaded.result.stderr.toString('utf8').trim().split('\n').slice(-4).join(' | ')
      throw new VerifyFailure('restore', `COPY of table ${table.table} on ${conn.target.name} failed (exit ${loaded.result.code ?? loaded.result.signal})${tail ? `: ${tail}` : ''}`)
    }
  }
  await streamInto(conn, target, entry, dump, restoreCommand(database, entry.codec, {sections: ['post-data']}), 'restore', 'pg_restore --exit-on-error --section=post-data', signal)
}

/** The checks that need a host: scratch restore, counts, modules, filestore. Scratch removed whatever happens. */
async function checkOnHost(env: VerifyEnv, conn: SshConnection, target: BackupTarget, entry: BackupEntry, manifest: OdooManifest, checks: VerifyCheck[], hashed: BackupFile[], signal?: AbortSignal): Promise<void> {
  const random = randomBytes(6).toString('hex')
  const database = scratchDatabaseName(random)
  const dir = scratchDirectory(random)
  const database_ = entry.files.find((f): f is BackupFile => f.role === 'database')
  const filestore = entry.files.find((f): f is BackupFile => f.role === 'filestore')
  if (!database_ || (!filestore && !isBlobBackup(entry))) throw new VerifyFailure('checksums', 'the catalog entry lists no database or no filestore file')
  const refs = filestore ? undefined : blobRefsOf(manifest, entry.id)
  // Format 2: the blobs are read and hashed on the target while the dump restores on the host.
  const blobsRead = new AbortController()
  const blobCheck = refs ? checkBlobs(target, refs, {signal: signal ? AbortSignal.any([signal, blobsRead.signal]) : blobsRead.signal}) : undefined
  // Awaited below or in finally; a rejection is not unhandled meanwhile.
  blobCheck?.catch(() => {})
  try {
    signal?.throwIfAborted()
    // template0: a copy of template1 would carry whatever was added there (pg_restore expects an empty database).
    await psqlAsPostgres(conn, 'CREATE DATABASE :"db" TEMPLATE template0', {vars: {db: database}})
    const tables = tablesOf(manifest)
    if (tables.length === 0) await streamInto(conn, target, entry, database_, restoreCommand(database, entry.codec), 'restore', 'pg_restore --exit-on-error', signal)
    else await restoreWithTables(env, conn, target, entry, database_, tables, database, signal)
    hashed.push(database_)
    const rows = tables.length > 0 ? ` and the rows of ${tables.length} large table(s) (${tables.map((t) => t.table).join(', ')}), each blob hashing to its name,` : ''
    checks.push({name: 'restore', ok: true, detail: `${database_.name}${rows} restored into scratch database ${database} on ${conn.target.name}`})

    signal?.throwIfAborted()
    const facts = await databaseFacts(conn, database)
    const countDiff = compareCounts(entry.counts, facts.counts)
    if (countDiff.length > 0) throw new VerifyFailure('counts', `row counts differ: ${countDiff.join(', ')}`)
    checks.push({name: 'counts', ok: true, detail: Object.entries(facts.counts).map(([k, v]) => `${k}=${v}`).join(' ')})
    const moduleDiff = compareModules(manifest.modules ?? {}, facts.modules)
    if (moduleDiff.length > 0) throw new VerifyFailure('modules', `installed modules differ: ${moduleDiff.slice(0, 10).join(', ')}${moduleDiff.length > 10 ? ', …' : ''}`)
    checks.push({name: 'modules', ok: true, detail: `${Object.keys(facts.modules).length} installed modules and versions match`})

    signal?.throwIfAborted()
    if (filestore) checks.push(await checkArchivedFilestore(conn, target, entry, filestore, database, dir, hashed, signal))
    else {
      checks.push(await checkBlobFilestore(env, conn, target, entry, refs!, await blobCheck!, database))
      hashed.push({role: 'filestore', name: `the filestore's ${refs!.length} blobs`, codec: entry.codec, size: entry.filestore.bytes, sha256: ''})
    }
  } finally {
    blobsRead.abort()
    await blobCheck?.catch(() => {})
    // Cleanup must not hide the verdict; a leftover is named so the operator can remove it.
    await dropDatabase(conn, database).catch(() => {})
    if (filestore) await removeRemotePath(conn, dir).catch(() => {})
  }
}

/**
 * Proves a backup restorable without touching a live database: on the tenant's host (or
 * `options.host`) the dump is restored into a scratch database, hashed as it streams there from
 * the target and checked against the catalog (one read per file); a format-2 filestore's blobs
 * are read and hashed on the target meanwhile and its file list joined with the restored
 * attachments, a format-1 archive is unpacked into a scratch directory and checked there; the
 * scratch copies are removed. The verdict is
 * recorded on the catalog entry (`verification`). A bad backup gives `status: 'failed'` and
 * a reason naming the file; an error that kept the verification from running (host
 * unreachable, interrupted) is thrown and nothing is recorded.
 */
export async function verifyBackup(env: VerifyEnv, id: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const tenant = (await getBackup(env.store, id)).tenant
  // Under the tenant's backup lock: a prune must not delete the backup while it is restored.
  return withHeldLock(
    env.store,
    {key: backupLockKey(tenant), owner: lockOwner(`backup verify of ${id}`), ttlMs: VERIFY_LOCK_TTL_MS, busy: (holder) => busyError('BACKUP_BUSY', `A backup, verification or prune of tenant "${tenant}" is running`, holder)},
    () => verifyLocked(env, id, options),
  )
}

async function verifyLocked(env: VerifyEnv, id: string, options: VerifyOptions): Promise<VerifyResult> {
  // Read again under the lock: it may have been pruned meanwhile.
  const entry = await getBackup(env.store, id)
  const started = env.now?.() ?? new Date()
  const target = openTarget(env, await resolveTarget(env, entry.target))
  const checks: VerifyCheck[] = []
  const tier = options.tier ?? 'full'
  const hostName = options.host ?? entry.host
  let host: string | undefined
  let failure: VerifyFailure | undefined
  // The stored files whose bytes matched the catalog as they streamed to the host.
  const hashed: BackupFile[] = []
  try {
    const read = await readManifest(target, entry)
    if (tier === 'quick') {
      await checkQuick(env.store, target, entry, read, checks, env.signal)
    } else {
      if (options.host) await getHost(env.store, options.host)
      const conn = await connectFor(env)(hostName)
      host = hostName
      await checkOnHost(env, conn, target, entry, read.manifest, checks, hashed, env.signal)
    }
  } catch (error) {
    if (!(error instanceof VerifyFailure)) throw error
    failure = error
    checks.push({name: error.check, ok: false, detail: error.message})
  }
  if (hashed.length > 0 && failure?.check !== 'checksums') {
    const stored = hashed.filter((f) => f.sha256 !== '')
    const blobs = hashed.filter((f) => f.sha256 === '')
    const parts = [
      ...(stored.length > 0 ? [`${stored.map((f) => f.name).join(', ')}: size and SHA-256 match the catalog (hashed as they streamed to ${host})`] : []),
      ...blobs.map((f) => `${f.name}: each blob's SHA-1 matches its name (read on target "${target.name}")`),
    ]
    checks.unshift({name: 'checksums', ok: true, detail: parts.join('; ')})
  }
  const durationMs = (env.now?.() ?? new Date()).getTime() - started.getTime()
  const at = started.toISOString()
  const verdict = failure ? {status: 'failed' as const, reason: failure.message, at, durationMs} : {status: 'verified' as const, at, durationMs}
  await env.store.backups.update(id, (current) => recordVerdict(current as BackupEntry, tier, {...verdict, ...(host ? {host} : {})}))
  return {id, tenant: entry.tenant, tier, ...verdict, ...(host ? {host} : {}), checks}
}

/**
 * `verification` is the verdict restores, releases and retention rely on: the newest full
 * verification, or a failed quick check newer than it (a damaged file is not restorable,
 * whatever an earlier restore proved). `verifications` keeps the newest verdict of each tier.
 */
export function recordVerdict(entry: BackupEntry, tier: VerifyTier, verdict: VerificationRecord): BackupEntry {
  const verifications = {...entry.verifications, [tier]: verdict}
  if (tier === 'full' || verdict.status === 'failed') return {...entry, verifications, verification: {...verdict, tier}}
  return {...entry, verifications}
}

/** Which backups a verify covers: one id, the newest of a tenant, or the newest of every tenant. */
export async function selectBackupsToVerify(store: Pick<StateStore, 'backups'>, selection: {id: string} | {latest: string} | {all: true}): Promise<string[]> {
  if ('id' in selection) return [(await getBackup(store, selection.id)).id]
  const entries = (await store.backups.list('latest' in selection ? {tenant: selection.latest} : undefined)) as BackupEntry[]
  const newest = new Map<string, BackupEntry>()
  for (const e of entries) {
    const seen = newest.get(e.tenant)
    if (!seen || e.startedAt > seen.startedAt || (e.startedAt === seen.startedAt && e.id > seen.id)) newest.set(e.tenant, e)
  }
  if ('latest' in selection && newest.size === 0) {
    throw new OdoopsError('BACKUP_NOT_FOUND', `Tenant "${selection.latest}" has no backup in the catalog.`, {exit: ExitCode.USAGE, suggestions: [`odoops backup run ${selection.latest}`]})
  }
  return [...newest.values()].sort((a, b) => a.tenant.localeCompare(b.tenant)).map((e) => e.id)
}

export function verifyErrorSummary(error: unknown): {code: string; message: string} {
  return isOdoopsError(error) ? {code: error.code, message: error.message} : {code: 'BACKUP_VERIFY_ERROR', message: messageOf(error)}
}

import {withHeldLock} from '../state/with-lock.js'
import {randomBytes} from 'node:crypto'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import pLimit from 'p-limit'
import {ExitCode, OdoopsError, isOdoopsError, messageOf, usageError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import type {RemoteCommand} from '../ssh/quote.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {backupLockKey, busyError, lockOwner, tenantLockKey} from '../tenants/lock.js'
import {getTenant} from '../tenants/listing.js'
import {backupView, type BackupEntry, type BackupView} from './catalog.js'
import {chooseCodec, dumpCommand, filestoreDir, parseProbe, probeCommand, serverMajor, type Codec, type HostTools} from './shell/pipeline.js'
import {DigestStream} from './digest.js'
import {streamToTarget} from './stream-to-target.js'
import {databaseFacts, serverVersion, type DatabaseFacts} from './facts.js'
import {HeldSnapshot} from './snapshot.js'
import {removeStaleClaims} from './blobs/claims.js'
import {encodeBlob} from './blobs/layout.js'
import {sendFilestore, type SendContext, type SentFilestore} from './blobs/send.js'
import {readManifestOf} from './blobs/refs.js'
import {LARGE_TABLES_SQL, parseLargeTables, qualifiedName} from './shell/tables.js'
import {sendTables, type SentTables} from './tables/send.js'
import {tablesOf} from './tables/load.js'
import {backupId, backupKey, buildManifest, databaseFileName, MANIFEST_NAME, serializeManifest, type BackupFile, type TableSegment} from './manifest.js'
import {openTarget, resolveTarget, targetFullError, type BackupTarget, type TargetEnv} from './targets/index.js'

const LOCK_TTL_MS = 5 * 60_000
/** Tenants backed up at once on one host (each runs pg_dump and tar side by side). */
export const DEFAULT_PER_HOST = 2
/** Tenant states whose database exists and can be dumped. */
const BACKUP_STATES: readonly TenantRecord['state'][] = ['active', 'stopped']

export interface BackupProgress {
  tenant: string
  /** Stored bytes written so far (database + filestore). */
  bytes: number
  phase: 'starting' | 'streaming' | 'manifest' | 'done' | 'failed'
}

export interface BackupEnv extends TargetEnv {
  signal?: AbortSignal
  onProgress?: (progress: BackupProgress) => void
  now?: () => Date
  /** Tests: observe (or pause) a run once its blob claim is written and after each blob sent. */
  blobHooks?: Pick<SendContext, 'onClaimed' | 'onBlob'>
  /**
   * Tables at least this large (bytes, heap and TOAST) have their rows stored by content
   * (docs/backups.md, "Large tables stored by content"); 0 keeps every row in the dump.
   * Default: ODOOPS_BACKUP_LARGE_TABLE_MB (MiB), else 64 MiB.
   */
  largeTableMinBytes?: number
}

const DEFAULT_LARGE_TABLE_MB = 64

/** The large-table threshold in bytes: the env's, else ODOOPS_BACKUP_LARGE_TABLE_MB, else 64 MiB; 0 = off. */
export function largeTableMinBytes(env: Pick<BackupEnv, 'largeTableMinBytes'>, vars: NodeJS.ProcessEnv = process.env): number {
  if (env.largeTableMinBytes !== undefined) return env.largeTableMinBytes
  const raw = vars.ODOOPS_BACKUP_LARGE_TABLE_MB?.trim()
  if (raw === undefined || raw === '') return DEFAULT_LARGE_TABLE_MB * 1024 * 1024
  const mb = Number(raw)
  if (!Number.isFinite(mb) || mb < 0) {
    throw usageError('BACKUP_LARGE_TABLE_INVALID', `ODOOPS_BACKUP_LARGE_TABLE_MB is "${raw}"; it must be a number of MiB (0 keeps every table in the dump).`, [
      'export ODOOPS_BACKUP_LARGE_TABLE_MB=64',
    ])
  }
  return Math.round(mb * 1024 * 1024)
}

/** The large tables of the tenant's newest backup on this target that has any, by `schema.name` (none when unreadable: then they are sent). */
async function previousTables(store: StateStore, target: BackupTarget, targetId: string, slug: string): Promise<Map<string, TableSegment>> {
  const entries = ((await store.backups.list({tenant: slug})) as BackupEntry[]).filter((e) => e.target === targetId && (e.tables?.count ?? 0) > 0)
  const newest = entries.sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0]
  if (!newest) return new Map()
  try {
    return new Map(tablesOf(await readManifestOf(target, newest)).map((t) => [t.table, t]))
  } catch {
    return new Map()
  }
}

export interface TenantBackupResult {
  tenant: string
  host: string
  ok: boolean
  durationMs: number
  /** Bytes stored by this run (dump, manifest, blobs the target lacked) when ok; bytes written before the failure otherwise. */
  bytes: number
  backup?: BackupView
  error?: {code: string; message: string; suggestions: string[]}
  /** Leftovers of earlier interrupted runs (partial files, backups never catalogued) removed first. */
  swept: number
}

export interface BackupRunReport {
  target: string
  results: TenantBackupResult[]
  succeeded: number
  failed: number
  /** 0 all ok, 3 some failed, 1 all failed, 130 interrupted. */
  exitCode: ExitCode
}

const connectFor = (env: BackupEnv) => env.connect ?? ((host: string) => connectHost(env.store, host))

async function writeSmall(target: BackupTarget, key: string, content: Buffer, signal: AbortSignal): Promise<{size: number; sha256: string}> {
  signal.throwIfAborted()
  const write = await target.openWrite(key)
  try {
    const digest = new DigestStream()
    await pipeline(Readable.from([content]), digest, write.stream, {signal})
    const result = digest.result()
    await write.commit(result)
    return result
  } catch (error) {
    await write.abort()
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw targetFullError(target.name, target.location, error)
    throw error
  }
}

/**
 * Removes what earlier runs of this tenant left on the target: partial files, and backup
 * directories the catalog does not know (a run killed between two commits). Called while
 * holding the tenant's backup lock, so no run of this tenant is writing there.
 */
async function sweepLeftovers(store: StateStore, target: BackupTarget, slug: string): Promise<number> {
  const entries = await target.list(`${slug}/`)
  let swept = 0
  const known = new Map<string, boolean>()
  for (const entry of entries) {
    const id = entry.key.split('/')[1] ?? ''
    if (!known.has(id)) known.set(id, (await store.backups.get(id)) !== undefined)
    if (entry.partial || !known.get(id)) {
      await target.delete(entry.partial ? `${entry.key}.partial` : entry.key)
      swept++
    }
  }
  return swept
}

function withBackupLock<R>(store: StateStore, slug: string, fn: () => Promise<R>): Promise<R> {
  return withHeldLock(
    store,
    {key: backupLockKey(slug), owner: lockOwner(`backup of ${slug}`), ttlMs: LOCK_TTL_MS, busy: (holder) => busyError('BACKUP_BUSY', `A backup of "${slug}" is already running`, holder)},
    fn,
  )
}

/** One tenant: dump + filestore streamed side by side, manifest last, catalog entry only after all commits. */
/**
 * `options.tenantLockOwner`: the caller (a restore in place, a move) holds the tenant's lock
 * under this owner and backs up as part of its own change; anyone else's tenant lock refuses.
 */
export async function backupTenant(
  env: BackupEnv,
  slug: string,
  targetName?: string,
  onBytes: (bytes: number) => void = () => {},
  options: {tenantLockOwner?: string} = {},
): Promise<{entry: BackupEntry; swept: number}> {
  const {store} = env
  const tenant = await getTenant(store, slug)
  if (!BACKUP_STATES.includes(tenant.state)) {
    throw new OdoopsError('BACKUP_TENANT_NOT_READY', `Tenant "${slug}" is ${tenant.state}; only active or stopped tenants can be backed up.`, {
      suggestions: [`odoops tenant show ${slug} says why; finish or clean up its operation first.`],
    })
  }
  const targetRecord = await resolveTarget(env, targetName)
  const target = openTarget(env, targetRecord)
  const tableThreshold = largeTableMinBytes(env)
  return withBackupLock(store, slug, async () => {
    const tenantLock = (await store.locks.list()).find((l) => l.key === tenantLockKey(slug))
    if (tenantLock && tenantLock.owner !== options.tenantLockOwner) throw busyError('TENANT_BUSY', `Tenant "${slug}" is being changed (create/remove/update)`, tenantLock)
    const conn = await connectFor(env)(tenant.host)
    const host = await store.hosts.get(tenant.host)
    const shared = host?.services?.[tenant.series]
    const dataDir = tenant.service?.dataDir ?? shared?.dataDir
    if (!dataDir) throw new OdoopsError('BACKUP_TENANT_INCOMPLETE', `Tenant "${slug}" has no data directory recorded, so its filestore cannot be found.`, {suggestions: [`odoops tenant show ${slug}`]})

    // Before any byte is written: pg_dump must be at least as new as the server (pg_dump refuses older servers' newer catalogs only partly).
    const probe = parseProbe(await conn.run(probeCommand(), {root: true}))
    const server = await serverVersion(conn)
    if (!probe.pgDumpMajor) throw new OdoopsError('PG_DUMP_MISSING', `pg_dump was not found on ${tenant.host}.`, {suggestions: [`Install the PostgreSQL client: odoops host exec ${tenant.host} -- apt-get install -y postgresql-client`]})
    if (probe.pgDumpMajor < serverMajor(server.versionNum)) {
      throw new OdoopsError('PG_DUMP_TOO_OLD', `pg_dump ${probe.pgDumpVersion} on ${tenant.host} is older than the PostgreSQL ${server.version} server; its dump could be incomplete.`, {
        suggestions: [`Install postgresql-client-${serverMajor(server.versionNum)} on ${tenant.host}.`],
      })
    }
    const tools: HostTools = {zstd: probe.zstd, pigz: probe.pigz}
    const codec: Codec = chooseCodec(tools)
    // Large tables need python3 on the host to hash their rows; without it they stay in the dump.
    const tableMin = probe.python3 ? tableThreshold : 0
    const swept = (await sweepLeftovers(store, target, slug)) + (await removeStaleClaims(target, slug))

    const started = env.now?.() ?? new Date()
    const id = backupId(slug, started, randomBytes(2).toString('hex'))
    const committed: string[] = []
    let claim: string | undefined
    let tablesClaim: string | undefined
    const local = new AbortController()
    const onOuterAbort = () => local.abort(env.signal?.reason)
    env.signal?.addEventListener('abort', onOuterAbort, {once: true})
    if (env.signal?.aborted) onOuterAbort()
    const progress = {database: 0, filestore: 0, tables: 0}
    const report = () => onBytes(progress.database + progress.filestore + progress.tables)
    try {
      // A stream that fails stops the others: a backup is whole or nothing.
      const stoppingTheOthers = async <T>(work: () => Promise<T>): Promise<T> => {
        try {
          return await work()
        } catch (error) {
          local.abort(error)
          throw error
        }
      }
      const artifact = (role: BackupFile['role'], name: string, cmd: RemoteCommand, what: {code: string; label: string}): Promise<BackupFile> =>
        stoppingTheOthers(async () => {
          const key = backupKey(slug, id, name)
          const stored = await streamToTarget(conn, cmd, target, key, what, local.signal, (n) => {
            progress[role] = n
            report()
          })
          committed.push(key)
          return {role, name, codec, size: stored.size, sha256: stored.hex}
        })
      const pgPort = shared?.pgPort
      // The dump and the manifest's counts share one snapshot: the counts describe exactly the dumped data.
      const snapshot = await HeldSnapshot.open(conn, tenant.database, {port: pgPort}).catch((error: unknown) => {
        throw new OdoopsError('BACKUP_DUMP_FAILED', `pg_dump of database "${tenant.database}" on ${tenant.host} could not start: ${messageOf(error)}`, {
          suggestions: ['Nothing was kept: fix the cause and run the backup again.'],
          cause: error,
        })
      })
      const countsTakenAt = (env.now?.() ?? new Date()).toISOString()
      let facts: DatabaseFacts
      let files: BackupFile[]
      let blobs: SentFilestore
      let tables: SentTables
      try {
        const large = tableMin > 0 ? parseLargeTables(await snapshot.query(LARGE_TABLES_SQL, {min: String(tableMin)})) : []
        // What the filestore's and the tables' senders share: where they write and under which claim names.
        const pool = {store, conn, target, targetId: targetRecord.id, tenant: slug, backupId: id, signal: local.signal}
        const sendLarge = (): Promise<SentTables> =>
          stoppingTheOthers(async () => {
            if (large.length === 0) return {segments: [], bytes: 0, sent: 0, sentBytes: 0}
            return sendTables({
              ...pool,
              database: tenant.database,
              ...(pgPort ? {port: pgPort} : {}),
              snapshot: snapshot.id,
              codec,
              tools,
              tables: large,
              previous: await previousTables(store, target, targetRecord.id, slug),
              onBytes: (n) => {
                progress.tables = n
                report()
              },
              onClaimed: (key) => {
                tablesClaim = key
              },
            })
          })
        const sendBlobs = (): Promise<SentFilestore> =>
          stoppingTheOthers(async () => {
            const sent = await sendFilestore({
              ...pool,
              dir: filestoreDir(dataDir, tenant.database),
              onBytes: (n) => {
                progress.filestore = n
                report()
              },
              onClaimed: async (key) => {
                claim = key
                await env.blobHooks?.onClaimed?.(key)
              },
              ...(env.blobHooks?.onBlob ? {onBlob: env.blobHooks.onBlob} : {}),
            })
            claim = sent.claim
            return sent
          })
        const excludeTableData = large.map(qualifiedName)
        const settled = await Promise.allSettled([
          artifact('database', databaseFileName(codec), dumpCommand(tenant.database, codec, tools, {port: pgPort, snapshot: snapshot.id, excludeTableData}), {code: 'BACKUP_DUMP_FAILED', label: `pg_dump of database "${tenant.database}"`}),
          sendBlobs(),
          sendLarge(),
        ])
        const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
        // The first cause, not the abort it triggered in the other streams.
        if (failure) throw firstCause(settled, env.signal)
        files = [(settled[0] as PromiseFulfilledResult<BackupFile>).value]
        blobs = (settled[1] as PromiseFulfilledResult<SentFilestore>).value
        tables = (settled[2] as PromiseFulfilledResult<SentTables>).value
        facts = await databaseFacts(conn, tenant.database, (sql, vars) => snapshot.query(sql, vars))
      } finally {
        await snapshot.close()
      }
      const filestore = {files: blobs.files, bytes: blobs.bytes}
      const finished = env.now?.() ?? new Date()
      const manifest = buildManifest({
        database: tenant.database,
        modules: facts.modules,
        serverVersionNum: server.versionNum,
        odoops: {
          format: tables.segments.length > 0 ? 3 : 2,
          backupId: id,
          tenant: slug,
          host: tenant.host,
          mode: tenant.mode,
          series: tenant.series,
          ...(shared?.odooVersion ? {odooVersion: shared.odooVersion} : {}),
          startedAt: started.toISOString(),
          finishedAt: finished.toISOString(),
          pgDumpVersion: probe.pgDumpVersion,
          pgServerVersion: server.version,
          files,
          counts: facts.counts,
          filestore,
          blobs: blobs.refs.map(encodeBlob),
          ...(tables.segments.length > 0 ? {tables: tables.segments} : {}),
          newestWriteDate: facts.newestWriteDate,
          countsTakenAt,
        },
      })
      const manifestKey = backupKey(slug, id, MANIFEST_NAME)
      const stored = await writeSmall(target, manifestKey, serializeManifest(manifest), local.signal)
      committed.push(manifestKey)
      const entry: BackupEntry = {
        id,
        tenant: slug,
        target: targetRecord.id,
        status: 'complete',
        host: tenant.host,
        database: tenant.database,
        mode: tenant.mode,
        series: tenant.series,
        codec,
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
        files: [...files, {role: 'manifest', name: MANIFEST_NAME, ...stored}],
        totalBytes: files.reduce((sum, f) => sum + f.size, stored.size),
        pgDumpVersion: probe.pgDumpVersion,
        pgServerVersion: server.version,
        counts: facts.counts,
        filestore,
        blobs: {files: blobs.files, bytes: blobs.bytes, sent: blobs.sent, sentBytes: blobs.sentBytes},
        ...(tables.segments.length > 0 ? {tables: {count: tables.segments.length, bytes: tables.bytes, sent: tables.sent, sentBytes: tables.sentBytes}} : {}),
        newestWriteDate: facts.newestWriteDate,
      }
      local.signal.throwIfAborted()
      await store.backups.insert(entry)
      // Only now: from here on the catalog entry keeps the blobs from a sweep (blobs/claims.ts).
      for (const key of [claim, tablesClaim]) if (key) await target.delete(key).catch(() => {})
      return {entry, swept}
    } catch (error) {
      // Committed files of an unfinished backup go too: no catalog entry, nothing on the target.
      // Blobs already sent stay in the pool: the next run finds them (a sweep removes them if none comes).
      for (const key of committed) await target.delete(key).catch(() => {})
      for (const key of [claim, tablesClaim]) if (key) await target.delete(key).catch(() => {})
      throw error
    } finally {
      env.signal?.removeEventListener('abort', onOuterAbort)
    }
  })
}

function firstCause(settled: PromiseSettledResult<unknown>[], outer?: AbortSignal): unknown {
  if (outer?.aborted) return outer.reason
  const reasons = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown)
  return reasons.find((r) => !(r instanceof Error && r.name === 'AbortError')) ?? reasons[0]
}

/** Which tenants a run covers: the named ones (all must exist), or every active/stopped one. */
export async function selectTenants(store: StateStore, selection: {slugs: string[]} | {all: true}): Promise<TenantRecord[]> {
  if ('all' in selection) return (await store.tenants.list()).filter((t) => BACKUP_STATES.includes(t.state)).sort((a, b) => a.id.localeCompare(b.id))
  if (selection.slugs.length === 0) throw usageError('BACKUP_SELECTION', 'Which tenants? Name them, or pass --all.', ['odoops backup run acme', 'odoops backup run --all'])
  const tenants: TenantRecord[] = []
  for (const slug of [...new Set(selection.slugs)]) tenants.push(await getTenant(store, slug))
  return tenants
}

export function errorSummary(error: unknown): {code: string; message: string; suggestions: string[]} {
  if (isOdoopsError(error)) return {code: error.code, message: error.message, suggestions: error.suggestions}
  return {code: 'BACKUP_FAILED', message: messageOf(error), suggestions: []}
}

export function runExitCode(succeeded: number, failed: number, interrupted: boolean): ExitCode {
  if (interrupted) return ExitCode.INTERRUPTED
  if (failed === 0) return ExitCode.OK
  return succeeded > 0 ? ExitCode.PARTIAL : ExitCode.FAILURE
}

/** Backs up several tenants: hosts in parallel, at most `perHost` tenants at once on each host. */
export async function runBackups(env: BackupEnv, tenants: TenantRecord[], options: {target?: string; perHost?: number} = {}): Promise<BackupRunReport> {
  const targetRecord = await resolveTarget(env, options.target)
  const limits = new Map<string, ReturnType<typeof pLimit>>()
  const limitOf = (host: string) => {
    let limit = limits.get(host)
    if (!limit) limits.set(host, (limit = pLimit(Math.max(1, options.perHost ?? DEFAULT_PER_HOST))))
    return limit
  }
  const results = await Promise.all(
    tenants.map((tenant) =>
      limitOf(tenant.host)(async (): Promise<TenantBackupResult> => {
        const startedAt = Date.now()
        let bytes = 0
        const progress = (phase: BackupProgress['phase']) => env.onProgress?.({tenant: tenant.id, bytes, phase})
        if (env.signal?.aborted) {
          return {tenant: tenant.id, host: tenant.host, ok: false, durationMs: 0, bytes: 0, swept: 0, error: errorSummary(env.signal.reason)}
        }
        progress('starting')
        try {
          const {entry, swept} = await backupTenant(env, tenant.id, targetRecord.id, (n) => {
            bytes = n
            progress('streaming')
          })
          bytes = entry.totalBytes + (entry.blobs?.sentBytes ?? 0)
          progress('done')
          return {tenant: tenant.id, host: tenant.host, ok: true, durationMs: Date.now() - startedAt, bytes, backup: backupView(entry), swept}
        } catch (error) {
          progress('failed')
          return {tenant: tenant.id, host: tenant.host, ok: false, durationMs: Date.now() - startedAt, bytes, swept: 0, error: errorSummary(error)}
        }
      }),
    ),
  )
  const succeeded = results.filter((r) => r.ok).length
  const failed = results.length - succeeded
  return {target: targetRecord.id, results, succeeded, failed, exitCode: runExitCode(succeeded, failed, Boolean(env.signal?.aborted))}
}

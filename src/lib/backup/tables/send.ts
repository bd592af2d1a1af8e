import {OdoopsError} from '../../errors.js'
import {psqlInput} from '../../remote/postgres-admin.js'
import {writeClaim} from '../blobs/claims.js'
import {blobKey} from '../blobs/layout.js'
import type {SendContext} from '../blobs/send.js'
import {backupKey, type TableSegment} from '../manifest.js'
import {CODEC_EXTENSION, type Codec, type HostTools} from '../shell/pipeline.js'
import {copyOutCommand, copyOutSql, parseContentLine, qualifiedName, tableVars, type LargeTable} from '../shell/tables.js'
import {remoteFailure, STREAM_TIMEOUT_MS, streamToTarget} from '../stream-to-target.js'

export interface TablesContext extends Pick<SendContext, 'store' | 'conn' | 'target' | 'targetId' | 'tenant' | 'backupId' | 'signal' | 'onBytes'> {
  database: string
  port?: number
  /** The backup's exported snapshot: the tables are read as the dump sees the rest. */
  snapshot: string
  codec: Codec
  tools: HostTools
  tables: readonly LargeTable[]
  /** The tables of the tenant's newest backup on this target, by `schema.name`. */
  previous: ReadonlyMap<string, TableSegment>
  /** Called with the claim's key when first written (the caller deletes it, whatever happens). */
  onClaimed?: (claim: string) => void
}

export interface SentTables {
  segments: TableSegment[]
  /** Stored bytes of all the tables, and of those sent by this run. */
  bytes: number
  sent: number
  sentBytes: number
  /** The claim on the target (its blobs kept from a sweep); the caller deletes it once the backup is catalogued (or failed). */
  claim?: string
}

/** A table's blobs are claimed apart from the filestore's (one claim file each, both read by a sweep). */
export function tablesClaimId(backupId: string): string {
  return `${backupId}-tables`
}

/**
 * Stores the rows of the large tables by content, one table at a time beside the dump and
 * the filestore. A table whose write counters did not move since the tenant's last backup on
 * this target is first hashed on the host (one read of its rows, nothing sent): the same hash
 * reuses that backup's blob. Otherwise, or when the hash differs, its rows are sent,
 * compressed on the host and hashed there on the way (the next run's comparison), and
 * committed under the SHA-1 of the stored bytes. Every blob a backup will list is claimed
 * (blobs/claims.ts) before the target is asked whether it has it and before it is committed
 * into the pool, so a sweep running meanwhile keeps it.
 */
export async function sendTables(ctx: TablesContext): Promise<SentTables> {
  const out: SentTables = {segments: [], bytes: 0, sent: 0, sentBytes: 0}
  const claimed = new Set<string>()
  const claim = async (sha1: string) => {
    claimed.add(sha1)
    out.claim = await writeClaim(ctx.store, ctx.target, ctx.targetId, {tenant: ctx.tenant, backupId: tablesClaimId(ctx.backupId), sha1s: claimed}, ctx.signal)
    ctx.onClaimed?.(out.claim)
  }
  let before = 0
  for (const [index, table] of ctx.tables.entries()) {
    ctx.signal.throwIfAborted()
    const name = qualifiedName(table)
    const previous = ctx.previous.get(name)
    const reusable = previous && previous.codec === ctx.codec && previous.columns.join(',') === table.columns.join(',')
    if (reusable && table.writes >= 0 && previous.writes === table.writes) {
      const content = await hashTable(ctx, table)
      if (content.sha256 === previous.content) {
        await claim(previous.blob)
        if ((await ctx.target.has([blobKey(previous.blob)])).size === 1) {
          out.segments.push({...previous, writes: table.writes})
          out.bytes += previous.size
          continue
        }
      }
    }
    const staging = backupKey(ctx.tenant, ctx.backupId, `table-${index}.copy.${CODEC_EXTENSION[ctx.codec]}`)
    let content: {sha256: string; bytes: number} | undefined
    const stored = await streamToTarget(
      ctx.conn,
      copyOutCommand(ctx.database, {...(ctx.port ? {port: ctx.port} : {}), send: {codec: ctx.codec, tools: ctx.tools}}),
      ctx.target,
      staging,
      {code: 'BACKUP_DUMP_FAILED', label: `COPY of table ${name} of database "${ctx.database}"`},
      ctx.signal,
      (n) => ctx.onBytes(before + n),
      {
        stdin: psqlInput(copyOutSql(table.columns.length), {...tableVars(table), snapshot: ctx.snapshot}),
        digest: 'sha1',
        settle: async (bytes, stderr) => {
          content = parseContentLine(stderr.toString('utf8'))
          if (!content) throw new OdoopsError('REMOTE_UNEXPECTED_OUTPUT', `The COPY of table ${name} on ${ctx.conn.target.name} ended without its content hash; nothing was kept.`)
          // Claimed before it enters the pool: a sweep from now on keeps it.
          await claim(bytes.hex)
          return (await ctx.target.has([blobKey(bytes.hex)])).size === 1 ? false : blobKey(bytes.hex)
        },
      },
    )
    before += stored.size
    out.segments.push({table: name, columns: table.columns, content: content!.sha256, contentBytes: content!.bytes, writes: table.writes, codec: ctx.codec, blob: stored.hex, size: stored.size})
    out.bytes += stored.size
    if (stored.committed) {
      out.sent++
      out.sentBytes += stored.size
    }
  }
  return out
}

/** The table's rows hashed on the host, inside the snapshot; nothing but the hash comes back. */
async function hashTable(ctx: TablesContext, table: LargeTable): Promise<{sha256: string; bytes: number}> {
  const name = qualifiedName(table)
  ctx.signal.throwIfAborted()
  const handle = await ctx.conn.execStream(copyOutCommand(ctx.database, ctx.port ? {port: ctx.port} : {}), {
    root: true,
    stdin: psqlInput(copyOutSql(table.columns.length), {...tableVars(table), snapshot: ctx.snapshot}),
    timeoutMs: STREAM_TIMEOUT_MS,
  })
  handle.stdout.resume()
  // The backup stopped (the dump failed, an interrupt): the host stops reading the table too.
  const stop = () => handle.kill()
  ctx.signal.addEventListener('abort', stop, {once: true})
  const result = await handle.done.finally(() => ctx.signal.removeEventListener('abort', stop))
  ctx.signal.throwIfAborted()
  if (result.code !== 0) throw remoteFailure('BACKUP_DUMP_FAILED', `Hashing the rows of table ${name} of database "${ctx.database}"`, ctx.conn, result)
  const content = parseContentLine(result.stderr.toString('utf8'))
  if (!content) throw new OdoopsError('REMOTE_UNEXPECTED_OUTPUT', `Hashing table ${name} on ${ctx.conn.target.name} printed no content hash.`)
  return content
}

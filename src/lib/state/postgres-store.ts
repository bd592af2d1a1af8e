import pg from 'pg'
import type {PoolClient} from 'pg'
import type {AuditEvent, CollectionName, LockInfo} from './records.js'
import {COLLECTIONS} from './records.js'
import type {AcquireOptions, AcquireResult, AuditFilter, Collection, Filter, Locks, StateDump, StateInfo, StateStore, StateTx} from './store.js'
import {applyChange, matches, sortById, stamp} from './memory-ops.js'
import {conflict, schemaTooNew, schemaTooOld, storeNotEmpty} from './errors.js'
import {COLLECTION_TABLES, JOB_LOCK_NAMESPACE, LOCK_NAMESPACE, MIGRATIONS, WRITE_LOCK, migrate, readSchemaVersion} from './pg-migrations.js'
import type {Migration, MigrationResult, Queryable} from './pg-migrations.js'
import {connectionError} from './pg-errors.js'
import {DUMP_FORMAT_VERSION} from './dump.js'
import {TxGate} from './tx-gate.js'
import {AutoCollections, type CollectionReads} from './auto-collections.js'
import {isProcessAlive} from '../process-alive.js'
import {MACHINE} from './file-lock.js'
import {redactUrl} from './open.js'
import {registerSecret} from '../secrets/redact.js'

/**
 * The shared store: one PostgreSQL database (see pg-migrations.ts for the tables).
 *
 * Behaves like LocalStore in every observable way: records are kept whole in `data` jsonb,
 * filters pre-select with `data @> filter` and are then checked with the same `matches`
 * as the local backend, lists are sorted by id the same way. Every write runs in a
 * transaction holding one advisory lock per database (WRITE_LOCK), so writers are
 * serialized exactly as the local store's lock file serializes them: a read-modify-write
 * inside `transaction()` can never lose a concurrent update.
 */
type AnyRecord = {id: string; createdAt?: string; updatedAt?: string}

const CONNECT_TIMEOUT_MS = 5000

export interface PostgresOpenOptions {
  /** Refuse an outdated schema (every command except `state info` / `state migrate`). */
  requireCurrentSchema: boolean
  /** The migrations to check against and apply (tests pass their own; default: MIGRATIONS). */
  migrations?: readonly Migration[]
}

export class PostgresStore extends AutoCollections implements StateStore {
  readonly backend = 'postgres' as const
  readonly audit: StateStore['audit']
  readonly locks: Locks
  private readonly gate = new TxGate()

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly migrations: readonly Migration[],
  ) {
    super()
    this.audit = {append: (event) => this.appendAudit(event), list: (filter) => this.listAudit(filter)}
    this.locks = new PgLocks(pool)
  }

  /**
   * Connects and checks the schema. A database odoops never used gets the whole schema
   * (nothing exists there to lose); an older one is refused unless `requireCurrentSchema`
   * is false; a newer one is always refused. Nothing is written in the refusing cases.
   */
  static async open(url: string, options: PostgresOpenOptions): Promise<PostgresStore> {
    const location = redactUrl(url)
    registerPassword(url)
    const pool = new pg.Pool({
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      max: 4,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'odoops',
    })
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {})
    const migrations = options.migrations ?? MIGRATIONS
    const latest = migrations[migrations.length - 1].version
    const store = new PostgresStore(pool, location, migrations)
    try {
      const client = await store.connect()
      try {
        let version = await readSchemaVersion(client)
        if (version === 0) version = (await migrate(client, location, migrations)).to
        if (version > latest) throw schemaTooNew(version, latest, location)
        if (version < latest && options.requireCurrentSchema) throw schemaTooOld(version, latest, location)
      } finally {
        client.release()
      }
      return store
    } catch (error) {
      await pool.end().catch(() => {})
      throw error
    }
  }

  /** Apply pending migrations (`odoops state migrate`). */
  async migrate(): Promise<MigrationResult> {
    const client = await this.connect()
    try {
      return await migrate(client, this.location, this.migrations)
    } finally {
      client.release()
    }
  }

  async nextSequence(name: string): Promise<number> {
    return this.transaction((tx) => tx.nextSequence(name))
  }

  async transaction<R>(fn: (tx: StateTx) => Promise<R>): Promise<R> {
    return this.gate.run(async () => {
      const client = await this.connect()
      let broken: Error | undefined
      try {
        await client.query('BEGIN')
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK])
        const result = await fn(txView(client))
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError
        })
        throw error
      } finally {
        client.release(broken)
      }
    })
  }

  async info(): Promise<StateInfo> {
    const schemaVersion = await readSchemaVersion(this.pool)
    const counts = {} as StateInfo['counts']
    for (const name of COLLECTIONS) counts[name] = await countTable(this.pool, COLLECTION_TABLES[name])
    counts.auditEvents = await countTable(this.pool, 'audit_events')
    const latestSchemaVersion = this.migrations[this.migrations.length - 1].version
    return {backend: 'postgres', location: this.location, schemaVersion, latestSchemaVersion, counts}
  }

  async export(): Promise<StateDump> {
    const client = await this.connect()
    try {
      // One snapshot for the whole dump, even while others write.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      const collections = {} as StateDump['collections']
      for (const name of COLLECTIONS) {
        const rows = await client.query<{data: AnyRecord}>(`SELECT data FROM ${COLLECTION_TABLES[name]} ORDER BY id COLLATE "C"`)
        ;(collections as Record<string, unknown>)[name] = sortById(rows.rows.map((r) => r.data))
      }
      const events = await client.query<AuditRow>(`SELECT seq::int8::text AS seq, event FROM audit_events ORDER BY seq`)
      const sequences: Record<string, number> = {}
      for (const row of (await client.query<{name: string; value: string}>(`SELECT name, value FROM sequences ORDER BY name COLLATE "C"`)).rows) {
        sequences[row.name] = Number(row.value)
      }
      await client.query('COMMIT')
      return {
        format: 'odoops-state',
        schemaVersion: DUMP_FORMAT_VERSION,
        exportedAt: new Date().toISOString(),
        collections,
        auditEvents: events.rows.map(auditFromRow),
        sequences,
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  /** Same rules as LocalStore.import: no records or sequences yet; audit events already here follow the imported ones. */
  async import(dump: StateDump): Promise<void> {
    await this.gate.run(async () => {
      const client = await this.connect()
      try {
        await client.query('BEGIN')
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK])
        let total = await countTable(client, 'sequences')
        for (const name of COLLECTIONS) total += await countTable(client, COLLECTION_TABLES[name])
        if (total > 0) throw storeNotEmpty(this.location)
        // Audit events already here (e.g. of an earlier failed import) move after the imported ones.
        await client.query(`UPDATE audit_events SET seq = -seq`)
        for (const name of COLLECTIONS) {
          // Records come back exactly as exported (their createdAt/updatedAt included).
          for (const record of dump.collections[name] ?? []) {
            const inserted = await client.query(`INSERT INTO ${COLLECTION_TABLES[name]} (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [
              record.id,
              JSON.stringify(record),
            ])
            if (inserted.rowCount === 0) throw conflict(name, record.id)
          }
        }
        for (const [name, value] of Object.entries(dump.sequences ?? {})) {
          await client.query(`INSERT INTO sequences (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, [name, value])
        }
        const events = dump.auditEvents ?? []
        for (const [i, event] of events.entries()) {
          const {seq, ...rest} = event
          await client.query(`INSERT INTO audit_events (seq, time, command, tenant, host, event) VALUES ($1, $2, $3, $4, $5, $6)`, [
            seq ?? i + 1,
            rest.time,
            rest.command,
            rest.tenant ?? null,
            rest.host ?? null,
            JSON.stringify(rest),
          ])
        }
        const top = events.reduce((max, e, i) => Math.max(max, e.seq ?? i + 1), 0)
        await client.query(`UPDATE audit_events SET seq = $1 - seq WHERE seq < 0`, [top])
        // Later appends continue after the highest number.
        await client.query(`SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), (SELECT max(seq) FROM audit_events))`)
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    })
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {})
  }

  // ---- internals -------------------------------------------------------------------

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect()
    } catch (error) {
      throw connectionError(error, this.location)
    }
  }

  private async appendAudit(event: AuditEvent): Promise<AuditEvent> {
    const {seq: _ignored, ...rest} = event
    const row = await this.pool.query<{seq: string}>(
      `INSERT INTO audit_events (time, command, tenant, host, event) VALUES ($1, $2, $3, $4, $5) RETURNING seq::text AS seq`,
      [rest.time, rest.command, rest.tenant ?? null, rest.host ?? null, JSON.stringify(rest)],
    )
    return {...rest, seq: Number(row.rows[0].seq)}
  }

  private async listAudit(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    // Same rules as filterAudit (audit-filter.ts): empty filter values mean "any", `limit` keeps the newest.
    const rows = await this.pool.query<AuditRow>(
      `SELECT seq::text AS seq, event FROM audit_events
       WHERE ($1::text IS NULL OR time >= $1::text COLLATE "C")
         AND ($2::text IS NULL OR tenant = $2) AND ($3::text IS NULL OR host = $3) AND ($4::text IS NULL OR command = $4)
       ORDER BY seq DESC LIMIT $5`,
      [filter.since || null, filter.tenant || null, filter.host || null, filter.command || null, filter.limit === undefined ? null : Math.max(0, filter.limit)],
    )
    return rows.rows.map(auditFromRow).reverse()
  }

  /** Outside a transaction: on the pool. */
  protected reads<K extends CollectionName>(name: K): CollectionReads<K> {
    return readOps(this.pool, name) as unknown as CollectionReads<K>
  }
}

interface AuditRow extends Record<string, unknown> {
  seq: string
  event: Omit<AuditEvent, 'seq'>
}

function auditFromRow(row: AuditRow): AuditEvent {
  return {...row.event, seq: Number(row.seq)}
}

function registerPassword(url: string): void {
  try {
    const password = new URL(url).password
    if (password) {
      registerSecret(password)
      registerSecret(decodeURIComponent(password))
    }
  } catch {
    // parseStateLocation already rejected unparsable URLs
  }
}

async function countTable(db: Queryable, table: string): Promise<number> {
  // A table a later migration adds is absent from an outdated schema: it holds nothing yet.
  const exists = await db.query<{t: string | null}>(`SELECT to_regclass($1)::text AS t`, [table])
  if (!exists.rows[0]?.t) return 0
  const row = await db.query<{n: number}>(`SELECT count(*)::int AS n FROM ${table}`)
  return row.rows[0].n
}

/** get/list/count of one collection (on the pool, or on a transaction's client). */
function readOps(db: Queryable, name: CollectionName): Pick<Collection<AnyRecord>, 'get' | 'list' | 'count'> {
  const table = COLLECTION_TABLES[name]
  // `@>` narrows in SQL; `matches` then applies the exact equality rules of the local backend
  // (containment alone would also accept e.g. a longer array or a superset object).
  const select = async (filter?: Filter<AnyRecord>) => {
    const rows = filter
      ? await db.query<{data: AnyRecord}>(`SELECT data FROM ${table} WHERE data @> $1::jsonb ORDER BY id COLLATE "C"`, [JSON.stringify(filter)])
      : await db.query<{data: AnyRecord}>(`SELECT data FROM ${table} ORDER BY id COLLATE "C"`)
    return rows.rows.map((r) => r.data).filter((r) => matches(r, filter))
  }
  return {
    get: async (id) => (await db.query<{data: AnyRecord}>(`SELECT data FROM ${table} WHERE id = $1`, [id])).rows[0]?.data,
    list: async (filter) => sortById(await select(filter)),
    count: async (filter) => (filter ? (await select(filter)).length : countTable(db, table)),
  }
}

/** The collections and sequences as seen inside one transaction (`client` is in BEGIN). */
function txView(client: PoolClient): StateTx {
  const view = {} as Record<string, unknown>
  for (const name of COLLECTIONS) view[name] = txCollection(client, name)
  view.nextSequence = async (seqName: string) => {
    // The row lock taken by the upsert keeps numbers gapless; a rollback undoes the increment.
    const row = await client.query<{value: string}>(
      `INSERT INTO sequences (name, value) VALUES ($1, 1)
       ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value::text AS value`,
      [seqName],
    )
    return Number(row.rows[0].value)
  }
  return view as unknown as StateTx
}

function txCollection(client: PoolClient, name: CollectionName): Collection<AnyRecord> {
  const table = COLLECTION_TABLES[name]
  const write = async (record: AnyRecord) => {
    await client.query(`UPDATE ${table} SET data = $2, updated_at = now() WHERE id = $1`, [record.id, JSON.stringify(record)])
    return record
  }
  return {
    ...readOps(client, name),
    insert: async (record) => {
      const stored = stamp(structuredClone(record))
      // DO NOTHING rather than a unique violation: an error would abort the whole transaction,
      // while a caller may catch STATE_CONFLICT and carry on, as with the local store.
      const inserted = await client.query(`INSERT INTO ${table} (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [stored.id, JSON.stringify(stored)])
      if (inserted.rowCount === 0) throw conflict(name, record.id)
      return stored
    },
    put: async (record) => {
      const previous = await lockRow(client, table, record.id)
      const stored = stamp(structuredClone(record), previous)
      await client.query(
        `INSERT INTO ${table} (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
        [stored.id, JSON.stringify(stored)],
      )
      return stored
    },
    update: async (id, change) => {
      const current = await lockRow(client, table, id)
      return write(applyChange(name, current, id, change as Partial<AnyRecord>))
    },
    delete: async (id) => ((await client.query(`DELETE FROM ${table} WHERE id = $1`, [id])).rowCount ?? 0) > 0,
  }
}

async function lockRow(client: PoolClient, table: string, id: string): Promise<AnyRecord | undefined> {
  return (await client.query<{data: AnyRecord}>(`SELECT data FROM ${table} WHERE id = $1 FOR UPDATE`, [id])).rows[0]?.data
}

interface LockRow extends Record<string, unknown> {
  key: string
  owner: string
  pid: number
  machine: string
  acquired_at: Date
  expires_at: Date
  expired: boolean
}

function lockFromRow(row: LockRow): LockInfo {
  return {key: row.key, owner: row.owner, pid: row.pid, machine: row.machine, acquiredAt: row.acquired_at.toISOString(), expiresAt: row.expires_at.toISOString()}
}

/** Like the local lock files: free when absent, expired, or held by a dead process on this machine. */
function isFree(row: LockRow | undefined): boolean {
  return !row || row.expired || (row.machine === MACHINE && !isProcessAlive(row.pid))
}

const LOCK_COLUMNS = `key, owner, pid, machine, acquired_at, expires_at, expires_at < clock_timestamp() AS expired`

/**
 * Job locks with leases in the `locks` table. Each acquire holds a transaction-level
 * advisory lock on the key, so two acquirers of one key are decided one after the other.
 * Lease times come from the database clock, shared by every machine using the store.
 */
class PgLocks implements Locks {
  constructor(private readonly pool: pg.Pool) {}

  async acquire(key: string, options: AcquireOptions): Promise<AcquireResult> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [JOB_LOCK_NAMESPACE, key])
      const current = (await client.query<LockRow>(`SELECT ${LOCK_COLUMNS} FROM locks WHERE key = $1`, [key])).rows[0]
      if (!isFree(current)) {
        await client.query('COMMIT')
        return {acquired: false, heldBy: lockFromRow(current)}
      }
      const row = await client.query<LockRow>(
        `INSERT INTO locks (key, owner, pid, machine, acquired_at, expires_at)
         VALUES ($1, $2, $3, $4, clock_timestamp(), clock_timestamp() + $5 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, pid = EXCLUDED.pid, machine = EXCLUDED.machine,
           acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
         RETURNING ${LOCK_COLUMNS}`,
        [key, options.owner, process.pid, MACHINE, options.ttlMs],
      )
      await client.query('COMMIT')
      return {acquired: true, lock: lockFromRow(row.rows[0])}
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const row = await this.pool.query(`UPDATE locks SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE key = $1 AND owner = $2`, [
      key,
      owner,
      ttlMs,
    ])
    return (row.rowCount ?? 0) > 0
  }

  async release(key: string, owner: string): Promise<void> {
    await this.pool.query(`DELETE FROM locks WHERE key = $1 AND owner = $2`, [key, owner])
  }

  async list(): Promise<LockInfo[]> {
    const rows = await this.pool.query<LockRow>(`SELECT ${LOCK_COLUMNS} FROM locks`)
    return rows.rows
      .filter((row) => !isFree(row))
      .map(lockFromRow)
      .sort((a, b) => (a.key < b.key ? -1 : 1))
  }
}

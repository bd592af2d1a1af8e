import type {CollectionName} from './records.js'
import {schemaTooNew} from './errors.js'

/**
 * Versioned schema of the PostgreSQL store. `odoops_schema` holds the version; migration N
 * brings a database from N-1 to N. Migrations are append-only: never edit a released one,
 * add the next (e.g. `{version: 2, statements: ['CREATE TABLE …', 'ALTER TABLE …']}`).
 * A new collection in records.ts needs a table here (COLLECTION_TABLES is typed so the
 * compiler asks for one) and a migration creating it.
 */
export interface Migration {
  version: number
  description: string
  statements: readonly string[]
}

/** Table of each collection: `id`, the record as `data` jsonb, row times. */
export const COLLECTION_TABLES: Readonly<Record<CollectionName, string>> = {
  hosts: 'hosts',
  tenants: 'tenants',
  backupTargets: 'backup_targets',
  backups: 'backups',
  usageSnapshots: 'usage_snapshots',
  plans: 'plans',
  invoices: 'invoices',
  onboardingRuns: 'onboarding_runs',
  secrets: 'secrets',
  schedules: 'schedules',
  addonRepos: 'addon_repos',
  releases: 'releases',
}

const collectionTable = (table: string) => [
  `CREATE TABLE ${table} (
    id text PRIMARY KEY,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // Serves the `data @> filter` pre-selection of list/count.
  `CREATE INDEX ${table}_data_idx ON ${table} USING gin (data jsonb_path_ops)`,
]

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'collections, sequences, audit events, job locks',
    statements: [
      ...['hosts', 'tenants', 'backup_targets', 'backups', 'usage_snapshots', 'plans', 'invoices', 'onboarding_runs', 'secrets'].flatMap(collectionTable),
      `CREATE TABLE sequences (name text PRIMARY KEY, value bigint NOT NULL)`,
      `CREATE TABLE audit_events (
        seq bigserial PRIMARY KEY,
        time text NOT NULL,
        command text NOT NULL,
        tenant text,
        host text,
        event jsonb NOT NULL
      )`,
      `CREATE INDEX audit_events_time_idx ON audit_events (time COLLATE "C")`,
      `CREATE INDEX audit_events_tenant_idx ON audit_events (tenant)`,
      `CREATE TABLE locks (
        key text PRIMARY KEY,
        owner text NOT NULL,
        pid integer NOT NULL,
        machine text NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description: 'schedules (schedule apply)',
    statements: collectionTable('schedules'),
  },
  {
    version: 3,
    description: 'addon repositories (addons repo add)',
    statements: collectionTable('addon_repos'),
  },
  {
    version: 4,
    description: 'releases (release plan)',
    statements: collectionTable('releases'),
  },
]

export const PG_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/** Advisory lock keys (two-int form): namespace, then what is locked. */
export const LOCK_NAMESPACE = 0x6f646f6f // "odoo"
export const MIGRATION_LOCK = 0
export const WRITE_LOCK = 1
/** Namespace for job locks: second key is hashtext(lock key). */
export const JOB_LOCK_NAMESPACE = LOCK_NAMESPACE + 1

/** What runs queries: a pool or one checked-out client. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{rows: R[]; rowCount: number | null}>
}

/** Schema version of the database, 0 when odoops never wrote to it. */
export async function readSchemaVersion(db: Queryable): Promise<number> {
  const exists = await db.query<{t: string | null}>(`SELECT to_regclass('odoops_schema')::text AS t`)
  if (!exists.rows[0]?.t) return 0
  const row = await db.query<{version: number}>(`SELECT version FROM odoops_schema`)
  return row.rows[0]?.version ?? 0
}

export interface MigrationResult {
  from: number
  to: number
  applied: number[]
}

/**
 * Bring the database to the latest version, all in one transaction under an advisory
 * lock, so two processes never migrate at once (the second waits, then finds nothing to do)
 * and a failure leaves the previous version intact. `client` must not be in a transaction.
 */
export async function migrate(client: Queryable, location: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  const latest = migrations[migrations.length - 1].version
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK])
    // Writers hold this lock for their transactions: none runs half-way through a migration.
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK])
    await client.query(
      `CREATE TABLE IF NOT EXISTS odoops_schema (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        version integer NOT NULL,
        migrated_at timestamptz NOT NULL DEFAULT now()
      )`,
    )
    const from = await readSchemaVersion(client)
    if (from > latest) throw schemaTooNew(from, latest, location)
    const applied: number[] = []
    for (const migration of migrations) {
      if (migration.version <= from) continue
      for (const statement of migration.statements) await client.query(statement)
      applied.push(migration.version)
    }
    if (applied.length > 0) {
      await client.query(
        `INSERT INTO odoops_schema (singleton, version) VALUES (true, $1)
         ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()`,
        [latest],
      )
    }
    await client.query('COMMIT')
    return {from, to: Math.max(from, latest), applied}
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

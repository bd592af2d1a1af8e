import {OdoopsError} from '../errors.js'
import {psqlAsPostgres} from '../remote/postgres-admin.js'
import type {SshConnection} from '../ssh/connection.js'
import type {RowCounts} from './manifest.js'

/** Tables whose counts and write_date odoops records; which exist depends on the installed modules. */
const KNOWN_TABLES = ['res_users', 'res_company', 'res_partner', 'ir_attachment', 'ir_module_module', 'account_move', 'sale_order', 'stock_picking'] as const
type KnownTable = (typeof KNOWN_TABLES)[number]

export interface ServerVersion {
  versionNum: number
  version: string
}

export async function serverVersion(conn: SshConnection): Promise<ServerVersion> {
  const out = (await psqlAsPostgres(conn, "SELECT current_setting('server_version_num') || '|' || current_setting('server_version')")).trim()
  const [num, version] = out.split('|')
  const versionNum = Number(num)
  if (!Number.isInteger(versionNum)) throw new OdoopsError('REMOTE_UNEXPECTED_OUTPUT', `PostgreSQL on ${conn.target.name} reported server_version_num "${num}".`)
  return {versionNum, version: version ?? ''}
}

export interface DatabaseFacts {
  counts: RowCounts
  modules: Record<string, string | null>
  newestWriteDate: string | null
}

/**
 * Row counts, installed modules and the newest write_date, read from the tenant database.
 * The SQL names only tables from the constant list above, and only those that exist
 * (to_regclass), so a database without accounting still answers.
 */
/** Runs SQL (psql variables allowed) against the tenant database; psql's unaligned output. */
export type SqlRunner = (sql: string, vars?: Record<string, string>) => Promise<string>

export async function databaseFacts(conn: SshConnection, database: string, run: SqlRunner = (sql, vars) => psqlAsPostgres(conn, sql, {database, vars})): Promise<DatabaseFacts> {
  const present = (await run("SELECT t FROM unnest(:'tables'::text[]) AS t WHERE to_regclass('public.' || quote_ident(t)) IS NOT NULL", {tables: `{${KNOWN_TABLES.join(',')}}`}))
    .split('\n')
    .map((l) => l.trim())
    .filter((l): l is KnownTable => (KNOWN_TABLES as readonly string[]).includes(l))
  const has = (t: KnownTable) => present.includes(t)
  const count = (t: KnownTable, where = '') => (has(t) ? `(SELECT count(*) FROM ${t}${where ? ` WHERE ${where}` : ''})` : '0')
  const writeDates = present.filter((t) => t !== 'ir_module_module').map((t) => `SELECT max(write_date) AS d FROM ${t}`)
  const sql = `SELECT json_build_object(
    'res_users_active', ${count('res_users', 'active')},
    'res_users_share', ${count('res_users', 'active AND share')},
    'res_company', ${count('res_company')},
    'ir_attachment', ${count('ir_attachment')},
    'account_move', ${count('account_move')},
    'modules', ${has('ir_module_module') ? "(SELECT coalesce(json_object_agg(name, latest_version ORDER BY name), '{}'::json) FROM ir_module_module WHERE state = 'installed')" : "'{}'::json"},
    'newest_write_date', ${writeDates.length > 0 ? `(SELECT to_char(max(d), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM (${writeDates.join(' UNION ALL ')}) AS w)` : 'NULL'}
  )`
  const row = JSON.parse((await run(sql)).trim()) as {
    res_users_active: number
    res_users_share: number
    res_company: number
    ir_attachment: number
    account_move: number
    modules: Record<string, string | null>
    newest_write_date: string | null
  }
  return {
    counts: {res_users_active: row.res_users_active, res_users_share: row.res_users_share, res_company: row.res_company, ir_attachment: row.ir_attachment, account_move: row.account_move},
    modules: row.modules,
    newestWriteDate: row.newest_write_date,
  }
}

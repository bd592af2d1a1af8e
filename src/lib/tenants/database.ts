import {databaseExists, psqlAsPostgres} from '../remote/postgres-admin.js'
import type {SshConnection} from '../ssh/connection.js'

/**
 * What a tenant database holds, read as the postgres superuser on the host (peer auth
 * over the Unix socket; psql variables keep the SQL parameterized).
 */
export type DatabaseState = {exists: false} | {exists: true; initialized: boolean; modules: Record<string, string>}

export async function inspectDatabase(conn: SshConnection, database: string, modules: readonly string[]): Promise<DatabaseState> {
  if (!(await databaseExists(conn, database))) return {exists: false}
  const hasCatalog = (await psqlAsPostgres(conn, `SELECT to_regclass('public.ir_module_module') IS NOT NULL`, {database})).trim() === 't'
  if (!hasCatalog) return {exists: true, initialized: false, modules: {}}
  const rows = await psqlAsPostgres(conn, `SELECT name || '=' || state FROM ir_module_module WHERE name = ANY(string_to_array(:'names', ','))`, {
    database,
    vars: {names: ['base', ...modules].join(',')},
  })
  const states: Record<string, string> = {}
  for (const line of rows.split('\n').filter(Boolean)) {
    const [name, state] = line.split('=')
    states[name] = state
  }
  return {exists: true, initialized: states.base === 'installed', modules: states}
}

/** Modules asked for that are not `installed` (Odoo exits 0 on unknown module names, so check the catalog). */
export function missingModules(state: DatabaseState, modules: readonly string[]): string[] {
  if (!state.exists) return [...modules]
  return modules.filter((m) => state.modules[m] !== 'installed')
}

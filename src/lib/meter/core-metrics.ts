import {filestoreMetric} from './filestore.js'
import {MetricRegistry} from './registry.js'
import {
  activeUsersQuery,
  activeUsersSinceQuery,
  confirmedOrdersQuery,
  databaseSizeQuery,
  donePickingsQuery,
  installedAppsQuery,
  internalUsersQuery,
  postedInvoicesQuery,
  shareUsersQuery,
  type SqlQuery,
} from './sql.js'
import type {DatabaseMetric, MetricContext} from './types.js'

/** Publisher warranty's window for "active" users (addons/mail/models/update.py: `timedelta(15)`). */
export const ACTIVE_WINDOW_DAYS = 15

/** The single number a metric query returns (`n`); count(*) and pg_database_size are bigint, which pg returns as text. */
export async function scalar(ctx: Pick<MetricContext, 'client'>, query: SqlQuery): Promise<number> {
  const result = await ctx.client.query<{n: string | number | null}>(query.text, query.values)
  const value = Number(result.rows[0]?.n ?? 0)
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`query returned ${String(result.rows[0]?.n)}, not a count`)
  return value
}

/** The count, or 0 when the table's module is not installed (no table, nothing to count). */
async function countIn(ctx: MetricContext, table: string, query: SqlQuery): Promise<number> {
  return (await ctx.tableExists(table)) ? scalar(ctx, query) : 0
}

/** `timestamp without time zone` literal in UTC, as Odoo stores datetimes. */
export function utcTimestamp(instant: Date): string {
  return instant.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replace('Z', '')
}

function usersMetric(name: string, description: string, query: (ctx: MetricContext) => SqlQuery, tables: string[] = ['res_users']): DatabaseMetric {
  return {name, unit: 'users', aggregation: 'max', queryVersion: 1, description, scope: 'database', tables, collect: (ctx) => countIn(ctx, tables.at(-1)!, query(ctx))}
}

/** The metrics odoops measures in every tenant (definitions and their Odoo sources: sql.ts, docs/metering.md). */
export function coreMetrics() {
  return [
    usersMetric('users.active', 'active users, portal included (publisher warranty nbr_users)', () => activeUsersQuery()),
    usersMetric('users.internal', 'active internal users: active AND NOT share (billable)', () => internalUsersQuery()),
    usersMetric('users.share', 'active share (portal/public) users (publisher warranty nbr_share_users)', () => shareUsersQuery()),
    usersMetric(
      'users.active_15d',
      'active users who logged in during the last 15 days (res_users_log; publisher warranty nbr_active_users)',
      (ctx) => activeUsersSinceQuery(utcTimestamp(new Date(ctx.day.asOf.getTime() - ACTIVE_WINDOW_DAYS * 86_400_000))),
      ['res_users', 'res_users_log'],
    ),
    {
      name: 'apps.installed',
      unit: 'apps',
      aggregation: 'max',
      queryVersion: 1,
      description: "installed applications: ir_module_module application, state installed / to upgrade / to remove",
      scope: 'database',
      tables: ['ir_module_module'],
      collect: (ctx) => countIn(ctx, 'ir_module_module', installedAppsQuery()),
    },
    {
      name: 'storage.database_bytes',
      unit: 'bytes',
      aggregation: 'max',
      queryVersion: 1,
      description: 'pg_database_size of the tenant database',
      scope: 'database',
      collect: (ctx) => scalar(ctx, databaseSizeQuery()),
    },
    filestoreMetric,
    {
      name: 'invoices.posted',
      unit: 'invoices',
      aggregation: 'average',
      queryVersion: 1,
      description: 'customer invoices and credit notes (out_invoice, out_refund) posted with invoice_date on the day',
      scope: 'database',
      tables: ['account_move'],
      collect: (ctx) => countIn(ctx, 'account_move', postedInvoicesQuery(ctx.day.date)),
    },
    {
      name: 'sales.confirmed',
      unit: 'orders',
      aggregation: 'average',
      queryVersion: 1,
      description: 'sales orders in state sale (or done, 16 and earlier) with date_order on the day (UTC)',
      scope: 'database',
      tables: ['sale_order'],
      collect: (ctx) => countIn(ctx, 'sale_order', confirmedOrdersQuery(ctx.day.start, ctx.day.end)),
    },
    {
      name: 'pickings.done',
      unit: 'pickings',
      aggregation: 'average',
      queryVersion: 1,
      description: 'transfers (stock_picking) done with date_done on the day (UTC)',
      scope: 'database',
      tables: ['stock_picking'],
      collect: (ctx) => countIn(ctx, 'stock_picking', donePickingsQuery(ctx.day.start, ctx.day.end)),
    },
  ] satisfies (DatabaseMetric | typeof filestoreMetric)[]
}

/** A registry holding the core metrics. */
export function coreRegistry(): MetricRegistry {
  const registry = new MetricRegistry()
  for (const metric of coreMetrics()) registry.register(metric)
  return registry
}

/**
 * The registry `meter collect` uses: the core metrics, plus whatever plugin packs register
 * when they load (issue 9) with `meterRegistry.register(metric, {owner: '<pack>'})`.
 */
export const meterRegistry: MetricRegistry = coreRegistry()

import type pg from 'pg'
import type {SshConnection} from '../ssh/connection.js'
import type {HostRecord, TenantRecord} from '../state/records.js'

/**
 * How a plan turns a period's daily snapshots of a metric into one quantity by default
 * (a plan may override it per metric): the peak, the last day's value, or the mean.
 */
export type Aggregation = 'max' | 'latest' | 'average'
export const AGGREGATIONS: readonly Aggregation[] = ['max', 'latest', 'average']

/** The day being measured, with its bounds as PostgreSQL `timestamp without time zone` literals in UTC (Odoo stores UTC). */
export interface MeterDay {
  /** YYYY-MM-DD. */
  date: string
  /** `YYYY-MM-DD 00:00:00` of the day (inclusive). */
  start: string
  /** `YYYY-MM-DD 00:00:00` of the next day (exclusive). */
  end: string
  /**
   * The instant "now" stands for in rolling windows (users active in the last 15 days):
   * the collection time when measuring today, the end of the day for a past day.
   */
  asOf: Date
}

/** What a database metric's collector gets: a client on the tenant's own database, the tenant, the day. */
export interface MetricContext {
  /** Connected to the tenant's database as its own (non-superuser) role, through the host's SSH tunnel. */
  client: pg.ClientBase
  tenant: TenantRecord
  day: MeterDay
  /**
   * True when the table exists in the tenant's database (`to_regclass`). A module that is
   * not installed has no table: its metrics count 0, never fail. Answers come from one
   * query per tenant made before the collectors run (tables every metric declares), then
   * one query per table not declared.
   */
  tableExists(table: string): Promise<boolean>
}

/** What a host-scoped collector gets: the host's SSH connection and every tenant of that host being measured. */
export interface HostMetricContext {
  conn: SshConnection
  host: HostRecord
  tenants: TenantRecord[]
  day: MeterDay
}

interface MetricBase {
  /**
   * `<namespace>.<name>`, lowercase (`users.internal`, `wholesale.pricelists`). Core metrics
   * use the core namespaces (users, apps, storage, invoices, sales, pickings); a plugin pack
   * registers under its own namespace.
   */
  name: string
  /** What one unit is: `users`, `apps`, `bytes`, `invoices`, `orders`, `pickings`, … */
  unit: string
  aggregation: Aggregation
  /** Bump whenever the query changes what it counts: every snapshot records the version that produced it. */
  queryVersion: number
  /** One line for `meter show` and docs: what is counted. */
  description: string
}

/** Measured inside the tenant's database, once per tenant. */
export interface DatabaseMetric extends MetricBase {
  scope: 'database'
  /** Tables the query reads: checked in one round trip before the collectors run. */
  tables?: readonly string[]
  collect(ctx: MetricContext): Promise<number>
}

/**
 * Measured on the host once for all its tenants (one SSH command for the lot), e.g.
 * filestore sizes. Returns a value per tenant id; a tenant missing from the map failed.
 */
export interface HostMetric extends MetricBase {
  scope: 'host'
  collectHost(ctx: HostMetricContext): Promise<Map<string, number>>
}

export type Metric = DatabaseMetric | HostMetric

/** A metric as the registry lists it: its definition and who registered it. */
export interface MetricInfo {
  name: string
  unit: string
  aggregation: Aggregation
  queryVersion: number
  description: string
  scope: Metric['scope']
  /** `core`, or the plugin pack that registered it. */
  owner: string
}

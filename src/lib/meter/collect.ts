import pLimit from 'p-limit'
import pg from 'pg'
import {ExitCode, OdoopsError, isOdoopsError, messageOf, usageError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import {parseLsClusters} from '../remote/postgres-admin.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {SshConnection} from '../ssh/connection.js'
import {command} from '../ssh/quote.js'
import type {HostRecord, TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {getTenant} from '../tenants/listing.js'
import type {UsageSnapshot} from '../billing/types.js'
import {meterRegistry} from './core-metrics.js'
import {tenantDbLogin} from './db-login.js'
import type {MetricRegistry} from './registry.js'
import {tablesPresentQuery} from './sql.js'
import type {DatabaseMetric, HostMetric, MeterDay, Metric, MetricContext} from './types.js'

/** Tenant states whose database exists and answers (a stopped tenant's service is down, its database is not). */
export const METERED_STATES: readonly TenantRecord['state'][] = ['active', 'stopped']
/** Tenants measured at once on one host (each holds one PostgreSQL session through the host's tunnel). */
export const DEFAULT_PER_HOST = 8
/** Hosts measured at once. */
export const DEFAULT_HOSTS_AT_ONCE = 8
const CONNECT_TIMEOUT_MS = 20_000
const QUERY_TIMEOUT_MS = 120_000

export interface MeterEnv {
  store: StateStore
  box: SecretBox
  registry?: MetricRegistry
  connect?: (host: string) => Promise<SshConnection>
  signal?: AbortSignal
  now?: () => Date
  /** Called as each tenant finishes. */
  onTenant?: (result: TenantMeterResult) => void
}

export interface MeterOptions {
  day: MeterDay
  /** Only these metrics (default: every registered one). */
  metrics?: string[]
  perHost?: number
}

export interface MetricReading {
  metric: string
  unit: string
  queryVersion: number
  /** Absent when this metric failed for this tenant. */
  value?: number
  error?: string
}

export interface TenantMeterResult {
  tenant: string
  host: string
  /** True when every metric was measured and stored. */
  ok: boolean
  odooVersion: string
  durationMs: number
  metrics: MetricReading[]
  /** Snapshots stored for this tenant (the metrics that were measured, even when others failed). */
  stored: number
  error?: {code: string; message: string; suggestions: string[]}
}

export interface MeterCollectReport {
  date: string
  results: TenantMeterResult[]
  succeeded: number
  failed: number
  snapshots: number
  /** 0 all measured, 3 some tenants failed, 1 all failed, 130 interrupted. */
  exitCode: ExitCode
}

/** The tenants to measure: the named ones, or every active/stopped tenant with --all. */
export async function selectMeterTenants(store: Pick<StateStore, 'tenants'>, selection: {slugs: string[]} | {all: true}): Promise<TenantRecord[]> {
  if ('all' in selection) return (await store.tenants.list()).filter((t) => METERED_STATES.includes(t.state)).sort((a, b) => a.id.localeCompare(b.id))
  if (selection.slugs.length === 0) throw usageError('METER_SELECTION', 'Which tenants? Name them, or pass --all.', ['odoops meter collect acme', 'odoops meter collect --all'])
  const tenants: TenantRecord[] = []
  for (const slug of [...new Set(selection.slugs)]) tenants.push(await getTenant(store, slug))
  return tenants
}

function errorSummary(error: unknown): {code: string; message: string; suggestions: string[]} {
  if (isOdoopsError(error)) return {code: error.code, message: error.message, suggestions: error.suggestions}
  return {code: 'METER_FAILED', message: messageOf(error), suggestions: []}
}

export function snapshotId(tenant: string, date: string, metric: string): string {
  return `${tenant}/${date}/${metric}`
}

/** Odoo version of the tenant's service: the host's installed package (one `odoo` package per host), else the series. */
export function odooVersionOf(host: HostRecord | undefined, tenant: TenantRecord): string {
  return host?.services?.[tenant.series]?.odooVersion ?? tenant.series
}

/** Port (and address) of the host's PostgreSQL cluster: recorded by host prepare, else asked of `pg_lsclusters`. */
async function clusterAddress(conn: SshConnection, host: HostRecord, tenants: TenantRecord[]): Promise<{host: string; port: number}> {
  for (const t of tenants) {
    const service = host.services?.[t.series]
    if (service) return {host: service.pgHost || '127.0.0.1', port: service.pgPort}
  }
  const any = Object.values(host.services ?? {})[0]
  if (any) return {host: any.pgHost || '127.0.0.1', port: any.pgPort}
  const result = await conn.exec(command(['pg_lsclusters', '-h']), {root: true})
  const cluster = parseLsClusters(result.stdout.toString('utf8')).filter((c) => c.running).sort((a, b) => b.major - a.major)[0]
  if (!cluster) throw new OdoopsError('METER_NO_POSTGRES', `No running PostgreSQL cluster on ${host.id}.`, {suggestions: [`odoops host check ${host.id}`]})
  return {host: '127.0.0.1', port: cluster.port}
}

/** The `tableExists` of a tenant: one query for the declared tables, then one per other table asked. */
async function tableLookup(client: pg.ClientBase, declared: readonly string[]): Promise<(table: string) => Promise<boolean>> {
  const known = new Map<string, boolean>()
  if (declared.length > 0) {
    const query = tablesPresentQuery(declared)
    const present = new Set((await client.query<{name: string}>(query.text, query.values)).rows.map((r) => r.name))
    for (const t of declared) known.set(t, present.has(t))
  }
  return async (table) => {
    const cached = known.get(table)
    if (cached !== undefined) return cached
    const query = tablesPresentQuery([table])
    const exists = (await client.query(query.text, query.values)).rows.length > 0
    known.set(table, exists)
    return exists
  }
}

/** Runs the database metrics of one tenant over one read-only session; a failing metric fails alone. */
async function measureDatabase(
  forward: {host: string; port: number},
  login: {user: string; password: string},
  tenant: TenantRecord,
  day: MeterDay,
  metrics: DatabaseMetric[],
): Promise<Map<string, number | Error>> {
  const client = new pg.Client({
    host: forward.host,
    port: forward.port,
    user: login.user,
    password: login.password,
    database: tenant.database,
    application_name: 'odoops-meter',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    // Metering only reads: a collector (a plugin's too) cannot change the tenant's data.
    options: '-c default_transaction_read_only=on',
  })
  // A session dropped mid-run surfaces as the failing query's error, not as an uncaught event.
  client.on('error', () => {})
  const values = new Map<string, number | Error>()
  try {
    await client.connect()
  } catch (error) {
    throw new OdoopsError('METER_DB_CONNECT', `Could not open database "${tenant.database}" as ${login.user}: ${messageOf(error)}`, {
      suggestions: [`Check that the database exists and the role can log in: odoops tenant status ${tenant.id}`],
    })
  }
  try {
    const declared = [...new Set(metrics.flatMap((m) => m.tables ?? []))]
    const ctx: MetricContext = {client, tenant, day, tableExists: await tableLookup(client, declared)}
    for (const metric of metrics) {
      try {
        values.set(metric.name, checkValue(metric, await metric.collect(ctx)))
      } catch (error) {
        values.set(metric.name, error instanceof Error ? error : new Error(String(error)))
      }
    }
  } finally {
    await client.end().catch(() => {})
  }
  return values
}

function checkValue(metric: Metric, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`collector of ${metric.name} returned ${String(value)}, not a number >= 0`)
  return value
}

interface HostBatch {
  host: string
  tenants: TenantRecord[]
}

function interrupted(): OdoopsError {
  return new OdoopsError('METER_INTERRUPTED', 'Interrupted before this tenant was measured.', {exit: ExitCode.INTERRUPTED})
}

/** Values of the host-scoped metrics: per tenant, or the error that failed the metric for all of them. */
type HostValues = Map<string, Map<string, number> | Error>

/** What each tenant of one host is measured with. */
interface HostRun {
  env: MeterEnv
  host: HostRecord
  batch: HostBatch
  metrics: Metric[]
  dbMetrics: DatabaseMetric[]
  options: MeterOptions
  forward: {host: string; port: number}
}

/**
 * Measures one host's tenants over its single SSH connection: host-scoped metrics once for
 * all of them (one command each), then a PostgreSQL session per tenant through one local
 * forward to the host's cluster, `perHost` at once. The host's snapshots are stored in one
 * transaction when its tenants are done.
 */
async function collectHost(env: MeterEnv, batch: HostBatch, metrics: Metric[], options: MeterOptions): Promise<TenantMeterResult[]> {
  const started = Date.now()
  const now = env.now ?? (() => new Date())
  const record = await env.store.hosts.get(batch.host)
  const failAll = (error: unknown) => failedResults(batch, record, started, error)
  if (!record) return failAll(new OdoopsError('HOST_NOT_FOUND', `Host ${batch.host} is not registered.`, {suggestions: ['odoops host list']}))
  let conn: SshConnection
  let forward: {host: string; port: number; close(): Promise<void>}
  try {
    conn = await (env.connect ?? ((h: string) => connectHost(env.store, h)))(batch.host)
    const cluster = await clusterAddress(conn, record, batch.tenants)
    forward = await conn.forwardLocal(cluster.host, cluster.port)
  } catch (error) {
    return failAll(error)
  }
  try {
    const dbMetrics = metrics.filter((m): m is DatabaseMetric => m.scope === 'database')
    const hostValues = await collectHostMetrics(conn, record, batch.tenants, metrics, options.day)
    const run: HostRun = {env, host: record, batch, metrics, dbMetrics, options, forward}
    const limit = pLimit(Math.max(1, options.perHost ?? DEFAULT_PER_HOST))
    const measured = await Promise.all(batch.tenants.map((tenant) => limit(() => measureTenant(run, tenant, hostValues))))
    await storeSnapshots(env.store, measured, options.day.date, now().toISOString())
    for (const r of measured) {
      r.stored = r.metrics.filter((m) => m.value !== undefined).length
      env.onTenant?.(r)
    }
    return measured
  } finally {
    await forward.close().catch(() => {})
  }
}

/** Every tenant of the host failed by one error (the host is unknown or unreachable). */
function failedResults(batch: HostBatch, record: HostRecord | undefined, started: number, error: unknown): TenantMeterResult[] {
  return batch.tenants.map((t): TenantMeterResult => ({
    tenant: t.id,
    host: batch.host,
    ok: false,
    odooVersion: odooVersionOf(record, t),
    durationMs: Date.now() - started,
    metrics: [],
    stored: 0,
    error: errorSummary(error),
  }))
}

/** Host-scoped metrics, once for all the host's tenants; a failing metric fails alone. */
async function collectHostMetrics(conn: SshConnection, host: HostRecord, tenants: TenantRecord[], metrics: Metric[], day: MeterDay): Promise<HostValues> {
  const hostMetrics = metrics.filter((m): m is HostMetric => m.scope === 'host')
  const hostValues: HostValues = new Map()
  for (const metric of hostMetrics) {
    try {
      hostValues.set(metric.name, await metric.collectHost({conn, host, tenants, day}))
    } catch (error) {
      hostValues.set(metric.name, error instanceof Error ? error : new Error(String(error)))
    }
  }
  return hostValues
}

/** One tenant's readings; whatever fails the tenant as a whole becomes its result's error. */
async function measureTenant(run: HostRun, tenant: TenantRecord, hostValues: HostValues): Promise<TenantMeterResult> {
  const {env, host, batch, options} = run
  const tenantStarted = Date.now()
  const odooVersion = odooVersionOf(host, tenant)
  try {
    if (env.signal?.aborted) throw interrupted()
    if (!METERED_STATES.includes(tenant.state)) {
      throw new OdoopsError('METER_TENANT_STATE', `Tenant ${tenant.id} is ${tenant.state}: only active or stopped tenants have a database to measure.`, {
        suggestions: [`odoops tenant show ${tenant.id}`],
      })
    }
    const login = await tenantDbLogin(env.store, env.box, host, tenant)
    const dbValues = run.dbMetrics.length > 0 ? await measureDatabase(run.forward, login, tenant, options.day, run.dbMetrics) : new Map<string, number | Error>()
    const readings = run.metrics.map((metric) => readingOf(metric, tenant, dbValues, hostValues))
    const failedMetrics = readings.filter((r) => r.error !== undefined)
    const result: TenantMeterResult = {tenant: tenant.id, host: batch.host, ok: failedMetrics.length === 0, odooVersion, durationMs: Date.now() - tenantStarted, metrics: readings, stored: 0}
    if (failedMetrics.length > 0) {
      result.error = {
        code: 'METER_METRIC_FAILED',
        message: failedMetrics.map((r) => `${r.metric}: ${r.error}`).join('; '),
        suggestions: ['The other metrics were stored; fix the cause and collect the day again (it replaces).'],
      }
    }
    return result
  } catch (error) {
    return {tenant: tenant.id, host: batch.host, ok: false, odooVersion, durationMs: Date.now() - tenantStarted, metrics: [], stored: 0, error: errorSummary(error)}
  }
}

function readingOf(metric: Metric, tenant: TenantRecord, dbValues: Map<string, number | Error>, hostValues: HostValues): MetricReading {
  const base = {metric: metric.name, unit: metric.unit, queryVersion: metric.queryVersion}
  let value: number | Error | undefined
  if (metric.scope === 'database') value = dbValues.get(metric.name)
  else {
    const all = hostValues.get(metric.name)
    value = all instanceof Error ? all : all?.get(tenant.id)
    if (value === undefined) value = new Error(`${metric.name}: no value measured for ${tenant.id}`)
  }
  return value instanceof Error || value === undefined ? {...base, error: value?.message ?? 'not measured'} : {...base, value}
}

/** The measured values of the host's tenants, stored in one transaction. */
async function storeSnapshots(store: StateStore, measured: TenantMeterResult[], date: string, collectedAt: string): Promise<void> {
  const snapshots: UsageSnapshot[] = measured.flatMap((r) =>
    r.metrics.flatMap((m) =>
      m.value === undefined
        ? []
        : [{id: snapshotId(r.tenant, date, m.metric), tenant: r.tenant, date, metric: m.metric, value: m.value, unit: m.unit, queryVersion: m.queryVersion, odooVersion: r.odooVersion, collectedAt}],
    ),
  )
  if (snapshots.length > 0) {
    await store.transaction(async (tx) => {
      for (const s of snapshots) await tx.usageSnapshots.put(s)
    })
  }
}

/** Measures `tenants`: hosts in parallel, one SSH connection each; snapshots stored per host. */
export async function collectUsage(env: MeterEnv, tenants: TenantRecord[], options: MeterOptions): Promise<MeterCollectReport> {
  const metrics = (env.registry ?? meterRegistry).select(options.metrics)
  const byHost = new Map<string, TenantRecord[]>()
  for (const t of tenants) byHost.set(t.host, [...(byHost.get(t.host) ?? []), t])
  const hostLimit = pLimit(DEFAULT_HOSTS_AT_ONCE)
  const perHost = await Promise.all([...byHost].map(([host, list]) => hostLimit(() => collectHost(env, {host, tenants: list}, metrics, options))))
  const order = new Map(tenants.map((t, i) => [t.id, i]))
  const results = perHost.flat().sort((a, b) => (order.get(a.tenant) ?? 0) - (order.get(b.tenant) ?? 0))
  const succeeded = results.filter((r) => r.ok).length
  const failed = results.length - succeeded
  let exitCode: ExitCode = failed === 0 ? ExitCode.OK : succeeded > 0 ? ExitCode.PARTIAL : ExitCode.FAILURE
  if (env.signal?.aborted) exitCode = ExitCode.INTERRUPTED
  return {date: options.day.date, results, succeeded, failed, snapshots: results.reduce((n, r) => n + r.stored, 0), exitCode}
}

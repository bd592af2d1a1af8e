import type {BackupEntry} from '../backup/catalog.js'
import type {PlanVersionRecord} from '../billing/plans/types.js'
import type {BillableTenant} from '../billing/tenant-billing.js'
import type {UsageSnapshot} from '../billing/types.js'
import {messageOf, usageError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantMode} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {EffectiveTenantState} from '../tenants/listing.js'
import {tenantStatus, type TenantHealth, type TenantVerdict} from '../tenants/status.js'
import {backupFacts, type TenantBackupFacts} from './backups.js'
import {resolveRpo, type ResolvedRpo, type RpoConfig} from './rpo.js'
import {scoreTenant, type Deduction, type FleetTenantStatus} from './score.js'
import {tenantUsage, versionsByPlan, type TenantUsage} from './usage.js'

/** One row of `fleet status`. */
export interface FleetTenantRow {
  tenant: string
  host: string
  mode: TenantMode
  domain: string
  plan: string | null
  state: EffectiveTenantState
  /** The `tenant status` verdict (healthy, unhealthy, stopped, busy). */
  verdict: TenantVerdict
  /** Health through nginx: `/web/health` with the tenant's Host header; null when not probed. */
  http: {ok: boolean; status: number; detail: string} | null
  /** The systemd unit serving it; null when not probed or unreadable. */
  service: {unit: string; active: string; enabled: string} | null
  /** Free bytes on the host's file system holding the tenant's data directory. */
  diskFreeBytes: number | null
  databaseBytes: number | null
  rpo: ResolvedRpo
  backups: TenantBackupFacts
  usage: TenantUsage | null
  score: number
  status: FleetTenantStatus
  deductions: Deduction[]
}

export interface FleetHostRow {
  host: string
  reachable: boolean
  /** Why it could not be reached. */
  error?: string
  tenants: number
}

export interface FleetStatusReport {
  generatedAt: string
  hosts: FleetHostRow[]
  tenants: FleetTenantRow[]
  counts: {ok: number; warning: number; breach: number}
  /** Tenants in breach (the command exits 1 when this is not 0). */
  breaches: number
}

export interface FleetStatusEnv {
  store: StateStore
  rpo: RpoConfig
  /** The SSH connection of a registered host (default: the pooled `connectHost`, one per host). */
  connect?: (host: string) => Promise<SshConnection>
  now?: () => Date
}

const HOUR_MS = 3_600_000

/**
 * `fleet status`: `tenant status` (service, /web/health through nginx, database, disk,
 * every host in parallel over its one pooled SSH connection; an unreachable host marks
 * its tenants) joined with what the store knows: the backup catalog against the RPO of
 * the tenant's plan tier, and the metering snapshots against the plan's fair-use
 * thresholds. Each tenant gets a score with the reason of every deduction.
 */
export async function fleetStatus(env: FleetStatusEnv, selection: {host?: string} = {}): Promise<FleetStatusReport> {
  const {store} = env
  const now = env.now?.() ?? new Date()
  if (selection.host && !(await store.hosts.get(selection.host))) {
    throw usageError('HOST_NOT_FOUND', `No registered host "${selection.host}".`, ['odoops host list shows the registered hosts.'])
  }
  const unreachable = new Map<string, string>()
  const connect = env.connect ?? ((host: string) => connectHost(store, host))
  const remote = await tenantStatus(
    {
      store,
      // Wrapped to learn which hosts could not be reached (tenant status only says so in prose).
      connect: async (host) => {
        try {
          return await connect(host)
        } catch (error) {
          unreachable.set(host, messageOf(error))
          throw error
        }
      },
    },
    {host: selection.host},
  )
  const [tenants, catalog, snapshots, plans] = await Promise.all([
    store.tenants.list(selection.host ? {host: selection.host} : undefined) as Promise<BillableTenant[]>,
    store.backups.list() as Promise<BackupEntry[]>,
    store.usageSnapshots.list() as unknown as Promise<UsageSnapshot[]>,
    store.plans.list() as unknown as Promise<PlanVersionRecord[]>,
  ])
  const byTenant = new Map(tenants.map((t) => [t.id, t]))
  const versions = versionsByPlan(plans)
  const today = now.toISOString().slice(0, 10)
  const rows = remote.tenants.map((health) => fleetRow(health, byTenant.get(health.slug), {catalog, snapshots, versions, rpo: env.rpo, now, today, unreachable: unreachable.get(health.host)}))
  const hostNames = [...new Set(rows.map((r) => r.host))].sort()
  const hosts = hostNames.map((host) => ({
    host,
    reachable: !unreachable.has(host),
    ...(unreachable.has(host) ? {error: unreachable.get(host)} : {}),
    tenants: rows.filter((r) => r.host === host).length,
  }))
  const count = (s: FleetTenantStatus) => rows.filter((r) => r.status === s).length
  return {generatedAt: now.toISOString(), hosts, tenants: rows, counts: {ok: count('ok'), warning: count('warning'), breach: count('breach')}, breaches: count('breach')}
}

interface RowContext {
  catalog: BackupEntry[]
  snapshots: UsageSnapshot[]
  versions: Map<string, PlanVersionRecord[]>
  rpo: RpoConfig
  now: Date
  today: string
  unreachable?: string
}

function fleetRow(health: TenantHealth, record: BillableTenant | undefined, ctx: RowContext): FleetTenantRow {
  const plan = record?.plan ?? null
  const rpo = resolveRpo(ctx.rpo, plan ?? undefined)
  const backups = backupFacts(
    ctx.catalog.filter((b) => b.tenant === health.slug),
    ctx.now,
  )
  const usage = record ? tenantUsage(record, ctx.snapshots, ctx.versions, {kind: 'latest'}, ctx.today) : null
  const createdAt = record?.createdAt ? Date.parse(record.createdAt) : NaN
  const scored = scoreTenant({
    state: health.state,
    verdict: health.verdict,
    ...(ctx.unreachable !== undefined ? {unreachable: ctx.unreachable} : {}),
    service: health.service,
    http: health.http,
    databaseBytes: health.databaseBytes,
    diskFreeBytes: health.diskFreeBytes,
    problems: health.problems,
    tenantAgeHours: Number.isNaN(createdAt) ? null : (ctx.now.getTime() - createdAt) / HOUR_MS,
    backups,
    rpo,
    usage,
  })
  return {
    tenant: health.slug,
    host: health.host,
    mode: health.mode,
    domain: health.domain,
    plan,
    state: health.state,
    verdict: health.verdict,
    http: health.http,
    service: health.service,
    diskFreeBytes: health.diskFreeBytes,
    databaseBytes: health.databaseBytes,
    rpo,
    backups,
    usage,
    ...scored,
  }
}

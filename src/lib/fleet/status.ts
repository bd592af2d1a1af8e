import pLimit from 'p-limit'
import type {BackupEntry} from '../backup/catalog.js'
import type {PlanVersionRecord} from '../billing/plans/types.js'
import type {BillableTenant} from '../billing/tenant-billing.js'
import type {UsageSnapshot} from '../billing/types.js'
import {messageOf, usageError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantMode, TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {EffectiveTenantState} from '../tenants/listing.js'
import {STATUS_CONCURRENCY_PER_HOST, tenantStatus, type TenantHealth, type TenantVerdict} from '../tenants/status.js'
import {tenantAddons, type TenantAddonView} from '../tenants/view.js'
import {backupFacts, type TenantBackupFacts} from './backups.js'
import {hostCertificates, type TenantCertificate} from './certificates.js'
import {packCheckRegistry, type RegisteredPackCheck} from './check-registry.js'
import {odooBuildOf, type FleetOdooBuild} from './odoo-build.js'
import {checksFor, notRunResults, runPackChecks, storedTenantOdoo, tenantTemplates, type FleetCheckResult, type TenantOdooOpener, type TenantPackChecks, type TenantTemplate} from './pack-checks.js'
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
  /** The Odoo build its host runs for its series and how many builds behind the newest offered it is (null: the host has no record of that service). */
  odoo: FleetOdooBuild | null
  /** The addon releases its service runs, in addons_path order (the shared service's for a shared tenant). */
  addons: TenantAddonView[]
  /** The results of the packs' fleet checks that concern it (by its onboarding template); [] when none do. */
  packChecks: FleetCheckResult[]
  /** The certificate nginx serves for it, read on its host (issuer, notAfter, days left, certbot's last failed renewal); null when not read (host unreachable, tenant not active or stopped, no certificate recorded). */
  certificate: TenantCertificate | null
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
  /** Why the tenants' certificates could not be read on a reachable host. */
  certificatesError?: string
}

/** A pack's fleet check as `fleet status` ran it (docs/plugins.md, "Fleet checks"). */
export interface FleetPackCheckInfo {
  /** `<namespace>/<check>`, as in `tenants[].packChecks[].name`. */
  name: string
  pack: string
  description: string
  severity: 'warning' | 'breach'
  /** Templates whose tenants it checks (`<namespace>/*`, `*` for every tenant). */
  templates: string[]
  timeoutMs: number
}

export interface FleetStatusReport {
  generatedAt: string
  hosts: FleetHostRow[]
  tenants: FleetTenantRow[]
  /** The packs' fleet checks loaded (each tenant's results are in its `packChecks`). */
  packChecks: FleetPackCheckInfo[]
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
  /** Opens the vault (tenants' admin credentials); only called when a pack check has a tenant to run on. */
  box?: () => Promise<SecretBox>
  /** The packs' checks (default: those the loaded packs registered) and how their admin session is opened (default: the stored credentials over `connect`). */
  packChecks?: {checks?: readonly RegisteredPackCheck[]; odoo?: TenantOdooOpener}
}

const HOUR_MS = 3_600_000

/**
 * `fleet status`: `tenant status` (service, /web/health through nginx, database, disk,
 * every host in parallel over its one pooled SSH connection; an unreachable host marks
 * its tenants) joined with what the store knows: the backup catalog against the RPO of
 * the tenant's plan tier, and the metering snapshots against the plan's fair-use
 * thresholds; then the packs' fleet checks, on each active tenant they concern, over an admin
 * session on its Odoo (a few tenants at a time per host, each check with its timeout). Each
 * tenant gets a score with the reason of every deduction.
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
  const [tenants, catalog, snapshots, plans, hostRecords, addonRepos] = await Promise.all([
    store.tenants.list(selection.host ? {host: selection.host} : undefined) as Promise<BillableTenant[]>,
    store.backups.list() as Promise<BackupEntry[]>,
    store.usageSnapshots.list() as unknown as Promise<UsageSnapshot[]>,
    store.plans.list() as unknown as Promise<PlanVersionRecord[]>,
    store.hosts.list(),
    store.addonRepos.list(),
  ])
  const hostsById = new Map(hostRecords.map((h) => [h.id, h]))
  const byTenant = new Map(tenants.map((t) => [t.id, t]))
  const versions = versionsByPlan(plans)
  const today = now.toISOString().slice(0, 10)
  const checks = env.packChecks?.checks ?? packCheckRegistry.list()
  const checked = await fleetPackChecks(remote.tenants, byTenant, checks, {
    store,
    unreachable,
    open: env.packChecks?.odoo ?? storedTenantOdoo(store, env.box, connect),
  })
  const certs = await fleetCertificates(tenants, unreachable, connect, now)
  const rows = remote.tenants.map((health) =>
    fleetRow(health, byTenant.get(health.slug), {
      addons: (t) => tenantAddons(t, hostsById.get(t.host), addonRepos),
      odoo: (t) => odooBuildOf(t, hostsById.get(t.host)),
      catalog,
      snapshots,
      versions,
      rpo: env.rpo,
      now,
      today,
      unreachable: unreachable.get(health.host),
      packChecks: checked.get(health.slug),
      certificate: certs.certificates.get(health.slug) ?? null,
    }),
  )
  const hostNames = [...new Set(rows.map((r) => r.host))].sort()
  const hosts = hostNames.map((host) => ({
    host,
    reachable: !unreachable.has(host),
    ...(unreachable.has(host) ? {error: unreachable.get(host)} : {}),
    tenants: rows.filter((r) => r.host === host).length,
    ...(certs.errors.has(host) ? {certificatesError: certs.errors.get(host)} : {}),
  }))
  const count = (s: FleetTenantStatus) => rows.filter((r) => r.status === s).length
  const packChecks = checks.map((c) => ({name: c.name, pack: c.pack, description: c.description, severity: c.severity, templates: [...c.templates], timeoutMs: c.timeoutMs}))
  return {generatedAt: now.toISOString(), hosts, tenants: rows, packChecks, counts: {ok: count('ok'), warning: count('warning'), breach: count('breach')}, breaches: count('breach')}
}

/** Every reachable host's tenants' certificates, hosts in parallel, one round trip each. */
async function fleetCertificates(
  tenants: readonly TenantRecord[],
  unreachable: Map<string, string>,
  connect: (host: string) => Promise<SshConnection>,
  now: Date,
): Promise<{certificates: Map<string, TenantCertificate>; errors: Map<string, string>}> {
  const certificates = new Map<string, TenantCertificate>()
  const errors = new Map<string, string>()
  const byHost = new Map<string, TenantRecord[]>()
  for (const t of tenants) byHost.set(t.host, [...(byHost.get(t.host) ?? []), t])
  await Promise.all(
    [...byHost].map(async ([host, list]) => {
      if (unreachable.has(host)) return
      let conn: SshConnection
      try {
        conn = await connect(host)
      } catch (error) {
        errors.set(host, messageOf(error))
        return
      }
      const got = await hostCertificates(conn, list, now)
      for (const [slug, cert] of got.certificates) certificates.set(slug, cert)
      if (got.error !== undefined) errors.set(host, got.error)
    }),
  )
  return {certificates, errors}
}

/**
 * Why the checks are not attempted on this tenant (its other deductions already say what is
 * wrong), or undefined to run them. They reach the service on the host's loopback, not through
 * nginx: a failing /web/health through nginx does not stop them.
 */
function notAttempted(health: TenantHealth, unreachable: string | undefined): string | undefined {
  if (unreachable !== undefined) return `host ${health.host} unreachable`
  if (health.state !== 'active') return `the tenant is ${health.state}`
  if (health.service && health.service.active !== 'active') return `${health.service.unit} is ${health.service.active}`
  return undefined
}

/** The packs' checks of every tenant they concern, by slug; a few tenants at a time per host. */
async function fleetPackChecks(
  healths: TenantHealth[],
  records: Map<string, TenantRecord>,
  checks: readonly RegisteredPackCheck[],
  ctx: {store: Pick<StateStore, 'onboardingRuns'>; unreachable: Map<string, string>; open: TenantOdooOpener},
): Promise<Map<string, TenantPackChecks>> {
  const out = new Map<string, TenantPackChecks>()
  if (checks.length === 0) return out
  const templates: Map<string, TenantTemplate> = await tenantTemplates(ctx.store)
  const limits = new Map<string, ReturnType<typeof pLimit>>()
  await Promise.all(
    healths.map(async (health) => {
      const record = records.get(health.slug)
      const template = templates.get(health.slug) ?? null
      const concerned = checksFor(checks, template)
      if (concerned.length === 0 || !record) return
      const skip = notAttempted(health, ctx.unreachable.get(health.host))
      if (skip !== undefined) {
        out.set(health.slug, {results: notRunResults(concerned, skip)})
        return
      }
      let limit = limits.get(health.host)
      if (!limit) limits.set(health.host, (limit = pLimit(STATUS_CONCURRENCY_PER_HOST)))
      out.set(health.slug, await limit(() => runPackChecks(record, template, concerned, ctx.open)))
    }),
  )
  return out
}

interface RowContext {
  addons: (tenant: TenantRecord) => TenantAddonView[]
  odoo: (tenant: TenantRecord) => FleetOdooBuild | null
  catalog: BackupEntry[]
  snapshots: UsageSnapshot[]
  versions: Map<string, PlanVersionRecord[]>
  rpo: RpoConfig
  now: Date
  today: string
  unreachable?: string
  packChecks?: TenantPackChecks
  certificate: TenantCertificate | null
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
    ...(ctx.packChecks ? {packChecks: ctx.packChecks} : {}),
    certificate: ctx.certificate,
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
    odoo: record ? ctx.odoo(record) : null,
    addons: record ? ctx.addons(record) : [],
    packChecks: ctx.packChecks?.results ?? [],
    certificate: ctx.certificate,
    ...scored,
  }
}

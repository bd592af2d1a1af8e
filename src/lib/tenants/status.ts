import pLimit from 'p-limit'
import {messageOf} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import {freeBytes} from '../remote/disk.js'
import {databaseSize} from '../remote/postgres-admin.js'
import {unitStatus, type UnitStatus} from '../remote/systemd.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantMode, TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {checkTenantThroughNginx} from './health.js'
import {getTenant, stateGivenLocks, type EffectiveTenantState} from './listing.js'
import {MIN_FREE_BYTES} from './preflight.js'

/**
 * `tenant status`: each tenant as it is on its host right now — its service unit
 * (systemd), `/web/health` through nginx with its Host header, its database size
 * (pg_database_size) and the free space where its files live.
 *
 * Verdicts (exit 1 when any tenant is `unhealthy`):
 * - `healthy`: recorded active, unit active, health passes through nginx, database
 *   present, at least MIN_FREE_BYTES free (the same floor `tenant create` refuses below).
 * - `unhealthy`: any of those fails (e.g. someone ran `systemctl stop` on its unit), or
 *   the host cannot be reached, or the tenant is `failed`/`interrupted` (it needs
 *   `tenant create --resume` or `tenant remove`), or it is recorded `stopped` while its
 *   unit runs (the record is wrong).
 * - `stopped`: stopped on purpose with `tenant stop` and its unit is indeed inactive.
 *   Not counted as unhealthy: a deliberately stopped tenant must not page anyone.
 * - `busy`: a create/remove is running right now (its lock is held); not probed.
 */
export type TenantVerdict = 'healthy' | 'unhealthy' | 'stopped' | 'busy'

export interface TenantHealth {
  slug: string
  host: string
  mode: TenantMode
  domain: string
  state: EffectiveTenantState
  verdict: TenantVerdict
  healthy: boolean
  /** The unit serving it (its own, or the host's shared one); null when not probed. */
  service: {unit: string; active: string; enabled: string} | null
  /** `/web/health` through nginx with the tenant's Host header; null when not probed. */
  http: {ok: boolean; status: number; detail: string} | null
  databaseBytes: number | null
  /** Free bytes on the file system of the tenant's data directory. */
  diskFreeBytes: number | null
  problems: string[]
}

export interface TenantStatusReport {
  tenants: TenantHealth[]
  healthy: number
  unhealthy: number
  stopped: number
  busy: number
}

/** What was observed on the host; a string is the error met while observing. */
export interface TenantObservation {
  /** The host could not be reached at all. */
  unreachable?: string
  unit?: UnitStatus | string
  http?: {ok: boolean; status: number; detail: string} | string
  /** pg_database_size; 0 when the database does not exist. */
  databaseBytes?: number | string
  diskFreeBytes?: number | string
}

/** Which observations a tenant in this state gets. */
export function probesFor(state: EffectiveTenantState): {unit: boolean; http: boolean; database: boolean; disk: boolean} {
  if (state === 'active') return {unit: true, http: true, database: true, disk: true}
  if (state === 'stopped') return {unit: true, http: false, database: true, disk: true}
  return {unit: false, http: false, database: false, disk: false}
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`

/** Pure: the verdict and problems of one tenant from its record and what was observed. */
export function judgeTenant(tenant: TenantRecord, state: EffectiveTenantState, seen: TenantObservation, minFreeBytes = MIN_FREE_BYTES): TenantHealth {
  const problems: string[] = []
  const unitName = tenant.service?.unit ?? ''
  const unit = typeof seen.unit === 'object' ? seen.unit : undefined
  const http = typeof seen.http === 'object' ? seen.http : undefined
  const databaseBytes = typeof seen.databaseBytes === 'number' && seen.databaseBytes > 0 ? seen.databaseBytes : null
  const diskFreeBytes = typeof seen.diskFreeBytes === 'number' ? seen.diskFreeBytes : null
  const op = tenant.operation

  if (state === 'failed') problems.push(`its ${op?.kind ?? 'last operation'} failed${op?.failedStep ? ` at step "${op.failedStep}"` : ''}${op?.error ? `: ${op.error}` : ''}`)
  if (state === 'interrupted') problems.push(`its ${op?.kind ?? 'last operation'} was interrupted${op?.failedStep ? ` at step "${op.failedStep}"` : ''} (the process running it died)`)
  if (seen.unreachable !== undefined) problems.push(`host ${tenant.host} unreachable: ${seen.unreachable}`)
  else {
    if (typeof seen.unit === 'string') problems.push(`could not read the state of ${unitName}: ${seen.unit}`)
    else if (unit && !unit.exists) problems.push(`${unitName} does not exist on ${tenant.host}`)
    else if (unit && state === 'active' && unit.active !== 'active') problems.push(`${unitName} is ${unit.active}`)
    else if (unit && state === 'stopped' && unit.active !== 'inactive' && unit.active !== 'failed') problems.push(`recorded as stopped but ${unitName} is ${unit.active}`)
    if (typeof seen.http === 'string') problems.push(`/web/health through nginx: ${seen.http}`)
    else if (http && !http.ok) problems.push(`/web/health through nginx: ${http.detail}`)
    if (typeof seen.databaseBytes === 'string') problems.push(`could not read the size of database ${tenant.database}: ${seen.databaseBytes}`)
    else if (seen.databaseBytes === 0) problems.push(`database ${tenant.database} does not exist`)
    if (typeof seen.diskFreeBytes === 'string') problems.push(`could not read the free space under ${tenant.service?.dataDir}: ${seen.diskFreeBytes}`)
    else if (diskFreeBytes !== null && diskFreeBytes < minFreeBytes) problems.push(`only ${mib(diskFreeBytes)} free under ${tenant.service?.dataDir} (less than ${mib(minFreeBytes)})`)
  }

  let verdict: TenantVerdict
  if (state === 'creating' || state === 'removing' || state === 'moving') verdict = 'busy'
  else if (problems.length > 0) verdict = 'unhealthy'
  else verdict = state === 'stopped' ? 'stopped' : 'healthy'
  return {
    slug: tenant.id,
    host: tenant.host,
    mode: tenant.mode,
    domain: tenant.domain,
    state,
    verdict,
    healthy: verdict === 'healthy',
    service: unit ? {unit: unitName, active: unit.active, enabled: unit.enabled} : null,
    http: http ?? null,
    databaseBytes,
    diskFreeBytes,
    problems,
  }
}

/** Pure: the report, tenants in slug order, with the counts per verdict. */
export function summarizeStatus(tenants: TenantHealth[]): TenantStatusReport {
  const sorted = [...tenants].sort((a, b) => a.slug.localeCompare(b.slug))
  const count = (v: TenantVerdict) => sorted.filter((t) => t.verdict === v).length
  return {tenants: sorted, healthy: count('healthy'), unhealthy: count('unhealthy'), stopped: count('stopped'), busy: count('busy')}
}

/** The value observed, or the message of the error met while observing it. */
async function observe<T>(work: () => Promise<T>): Promise<T | string> {
  try {
    return await work()
  } catch (error) {
    return messageOf(error)
  }
}

/**
 * Per host: tenants of a shared service share its unit and data directory, so those
 * are read once per host and reused.
 */
class HostProbe {
  private readonly units = new Map<string, Promise<UnitStatus | string>>()
  private readonly disks = new Map<string, Promise<number | string>>()

  constructor(private readonly conn: SshConnection) {}

  unit(name: string): Promise<UnitStatus | string> {
    let entry = this.units.get(name)
    if (!entry) this.units.set(name, (entry = observe(() => unitStatus(this.conn, name))))
    return entry
  }

  disk(path: string): Promise<number | string> {
    let entry = this.disks.get(path)
    if (!entry) this.disks.set(path, (entry = observe(() => freeBytes(this.conn, path))))
    return entry
  }

  async tenant(tenant: TenantRecord, state: EffectiveTenantState): Promise<TenantObservation> {
    const wanted = probesFor(state)
    const svc = tenant.service
    const [unit, http, databaseBytes, diskFreeBytes] = await Promise.all([
      wanted.unit && svc ? this.unit(svc.unit) : undefined,
      wanted.http ? observe(async () => (await checkTenantThroughNginx(this.conn, tenant)).http) : undefined,
      wanted.database ? observe(() => databaseSize(this.conn, tenant.database)) : undefined,
      wanted.disk && svc ? this.disk(svc.dataDir) : undefined,
    ])
    return {unit, http, databaseBytes, diskFreeBytes}
  }
}

export interface StatusEnv {
  store: Pick<StateStore, 'tenants' | 'locks' | 'hosts'>
  /** The SSH connection of a registered host (default: the pooled `connectHost`). */
  connect?: (host: string) => Promise<SshConnection>
}

/** Tenants checked at once on one host (each check opens a few SSH channels). */
export const STATUS_CONCURRENCY_PER_HOST = 4

/**
 * The status of the given tenants (`slugs`), or of every tenant (optionally on one
 * host). Hosts are checked in parallel, each over its one pooled SSH connection, a few
 * tenants at a time.
 */
export async function tenantStatus(env: StatusEnv, selection: {slugs?: string[]; host?: string} = {}): Promise<TenantStatusReport> {
  const {store} = env
  const tenants = selection.slugs
    ? await Promise.all(selection.slugs.map((slug) => getTenant(store, slug)))
    : await store.tenants.list(selection.host ? {host: selection.host} : undefined)
  const locks = await store.locks.list()
  const connect = env.connect ?? ((host: string) => connectHost(store, host))
  const byHost = new Map<string, TenantRecord[]>()
  for (const t of tenants) byHost.set(t.host, [...(byHost.get(t.host) ?? []), t])

  const perHost = await Promise.all(
    [...byHost].map(async ([host, list]) => {
      const states = list.map((t) => stateGivenLocks(t, locks))
      const needsHost = states.some((s) => Object.values(probesFor(s)).some(Boolean))
      let probe: HostProbe | undefined
      let unreachable: string | undefined
      if (needsHost) {
        try {
          probe = new HostProbe(await connect(host))
        } catch (error) {
          unreachable = messageOf(error)
        }
      }
      const limit = pLimit(STATUS_CONCURRENCY_PER_HOST)
      return Promise.all(
        list.map((tenant, i) =>
          limit(async () => {
            const state = states[i]
            const probed = Object.values(probesFor(state)).some(Boolean)
            if (!probed) return judgeTenant(tenant, state, {})
            if (!probe) return judgeTenant(tenant, state, {unreachable: unreachable ?? 'not connected'})
            return judgeTenant(tenant, state, await probe.tenant(tenant, state))
          }),
        ),
      )
    }),
  )
  return summarizeStatus(perHost.flat())
}

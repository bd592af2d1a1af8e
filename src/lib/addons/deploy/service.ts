import {ExitCode, OdoopsError, usageError} from '../../errors.js'
import {getHost} from '../../hosts/lookup.js'
import {withHeldLock} from '../../state/with-lock.js'
import type {StateStore} from '../../state/store.js'
import type {AddonSetEntry, HostRecord, SharedServiceRecord, TenantRecord} from '../../state/records.js'
import {getTenant} from '../../tenants/listing.js'
import {busyError, lockOwner, withTenantLock} from '../../tenants/lock.js'
import {nextAddonsRecord} from './layout.js'

/**
 * The Odoo service a deploy changes: the host's shared service (`--service shared`) or a
 * dedicated tenant's own (`--service <slug>`), with what the deploy needs of it.
 */
export interface DeployTarget {
  host: HostRecord
  kind: 'shared' | 'dedicated'
  series: string
  unit: string
  config: string
  httpPort: number
  /** Dedicated: its tenant. */
  tenant?: TenantRecord
  /** The tenants it serves (health checks, installed versions). */
  tenants: TenantRecord[]
  /** Every tenant on the host (the releases they use survive a prune). */
  tenantsOnHost: TenantRecord[]
  /** False for a stopped dedicated tenant: its config changes, its service stays stopped. */
  serving: boolean
  addons?: AddonSetEntry[]
  addonsHistory?: AddonSetEntry[][]
}

export const SHARED = 'shared'

/** `shared 17.0` or `tenant acme`, for messages. */
export function targetLabel(target: Pick<DeployTarget, 'kind' | 'series' | 'tenant'>): string {
  return target.kind === 'shared' ? `shared ${target.series}` : `tenant ${target.tenant?.id}`
}

export async function resolveTarget(store: Pick<StateStore, 'hosts' | 'tenants'>, hostName: string, service: string): Promise<DeployTarget> {
  const host = await getHost(store, hostName)
  const tenantsOnHost = await store.tenants.list({host: host.id})
  if (service === SHARED) return sharedTarget(host, tenantsOnHost)
  const tenant = await getTenant(store, service)
  if (tenant.host !== host.id) {
    throw usageError('ADDONS_TENANT_ELSEWHERE', `Tenant ${tenant.id} is on host ${tenant.host}, not ${host.id}.`, [`odoops addons deploy <repo>… --host ${tenant.host} --service ${tenant.id}`])
  }
  if (tenant.mode !== 'dedicated') {
    throw usageError('ADDONS_TENANT_SHARED', `Tenant ${tenant.id} runs on the shared service of ${host.id}: its modules come from that service's addons.`, [
      `odoops addons deploy <repo>… --host ${host.id} --service shared   (every tenant of the shared service gets them)`,
    ])
  }
  if (tenant.state !== 'active' && tenant.state !== 'stopped') {
    throw new OdoopsError('ADDONS_TENANT_NOT_SETTLED', `Tenant ${tenant.id} is ${tenant.state}: addons go to an active or stopped tenant only.`, {
      exit: ExitCode.USAGE,
      suggestions: [`odoops tenant show ${tenant.id}`],
    })
  }
  if (!tenant.service) throw new OdoopsError('TENANT_NO_SERVICE', `Tenant ${tenant.id} has no service recorded.`, {suggestions: [`odoops tenant show ${tenant.id}`]})
  return {
    host,
    kind: 'dedicated',
    series: tenant.series,
    unit: tenant.service.unit,
    config: tenant.service.config,
    httpPort: tenant.service.httpPort,
    tenant,
    tenants: [tenant],
    tenantsOnHost,
    serving: tenant.state === 'active',
    ...(tenant.addons ? {addons: tenant.addons} : {}),
    ...(tenant.addonsHistory ? {addonsHistory: tenant.addonsHistory} : {}),
  }
}

function sharedTarget(host: HostRecord, tenantsOnHost: TenantRecord[]): DeployTarget {
  const services = Object.values(host.services ?? {})
  if (services.length === 0) {
    throw usageError('ADDONS_NO_SHARED_SERVICE', `Host ${host.id} has no shared Odoo service.`, [`odoops host prepare ${host.id} --odoo <series>`, 'Or deploy to a dedicated tenant: --service <tenant>'])
  }
  // One Debian package "odoo" per host, so one series: several services are a record to mend.
  if (services.length > 1) {
    throw new OdoopsError('ADDONS_SHARED_SERVICE_AMBIGUOUS', `Host ${host.id} records shared services of several series (${services.map((s) => s.series).join(', ')}).`, {
      suggestions: [`odoops host show ${host.id}`],
    })
  }
  const service: SharedServiceRecord = services[0]
  const tenants = tenantsOnHost.filter((tenant) => tenant.mode === 'shared' && tenant.series === service.series)
  return {
    host,
    kind: 'shared',
    series: service.series,
    unit: service.unit,
    config: service.config,
    httpPort: service.httpPort,
    tenants,
    tenantsOnHost,
    serving: true,
    ...(service.addons ? {addons: service.addons} : {}),
    ...(service.addonsHistory ? {addonsHistory: service.addonsHistory} : {}),
  }
}

/** Lease of a service lock; renewed while the deploy runs. */
const SERVICE_LOCK_TTL_MS = 5 * 60_000

export const sharedServiceLockKey = (host: string, series: string) => `service:${host}/shared-${series}`

/** The owner a service's lock is held under (a dedicated service's lock is its tenant's lock). */
export const serviceLockOwner = (what: string) => lockOwner(what)

/**
 * Two deploys to one service never interleave. A dedicated service is its tenant's: the
 * tenant's own lock, so a deploy also waits for an update or removal of that tenant.
 */
export function withServiceLock<R>(store: StateStore, target: DeployTarget, what: string, fn: () => Promise<R>): Promise<R> {
  if (target.kind === 'dedicated') return withTenantLock(store, target.tenant!.id, what, fn)
  return withHeldLock(
    store,
    {
      key: sharedServiceLockKey(target.host.id, target.series),
      owner: lockOwner(what),
      ttlMs: SERVICE_LOCK_TTL_MS,
      busy: (holder) => busyError('ADDONS_SERVICE_BUSY', `The shared ${target.series} service of ${target.host.id} is busy`, holder),
    },
    fn,
  )
}

/** Records the set the service now runs, the one it replaces going to its history. */
export async function recordAddonSet(store: Pick<StateStore, 'hosts' | 'tenants'>, target: DeployTarget, set: readonly AddonSetEntry[]): Promise<void> {
  if (target.kind === 'dedicated') {
    await store.tenants.update(target.tenant!.id, (tenant) => ({...tenant, ...nextAddonsRecord(tenant, set)}))
    return
  }
  await store.hosts.update(target.host.id, (host) => {
    const service = host.services?.[target.series]
    if (!service) throw new OdoopsError('ADDONS_NO_SHARED_SERVICE', `Host ${host.id} no longer records its shared ${target.series} service.`, {suggestions: [`odoops host prepare ${host.id} --odoo ${target.series}`]})
    return {...host, services: {...host.services, [target.series]: {...service, ...nextAddonsRecord(service, set)}}}
  })
}

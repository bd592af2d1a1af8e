import {ExitCode, OdoopsError, usageError} from '../errors.js'
import type {LockInfo, TenantRecord, TenantState} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {tenantLockKey} from './lock.js'
import {tenantAddons, tenantView, type TenantAddonView, type TenantView} from './view.js'

/**
 * How a tenant reads in `tenant list/show/status`: its recorded state, except that a
 * `creating`/`removing` record whose lock nobody holds was left by a process that died
 * (computed from one read of the locks, so a whole list costs one query).
 */
export type EffectiveTenantState = TenantState | 'interrupted'
export const EFFECTIVE_STATES: readonly EffectiveTenantState[] = ['creating', 'active', 'stopped', 'failed', 'removing', 'moving', 'interrupted']

export function stateGivenLocks(tenant: Pick<TenantRecord, 'id' | 'state'>, locks: readonly Pick<LockInfo, 'key'>[]): EffectiveTenantState {
  if (tenant.state !== 'creating' && tenant.state !== 'removing') return tenant.state
  return locks.some((l) => l.key === tenantLockKey(tenant.id)) ? tenant.state : 'interrupted'
}

/** One row of `tenant list --json`: the public view with the state as it should be read. */
export interface TenantListItem extends Omit<TenantView, 'state'> {
  state: EffectiveTenantState
  /** The state in the record (differs from `state` only for an interrupted run). */
  recordedState: TenantState
}

/** A step of a tenant's last recorded operation (create, remove or update). */
export interface TenantStepView {
  name: string
  state: string
  change?: string
  startedAt?: string
  durationMs?: number
  detail?: string
  error?: string
}

/** `tenant show`: every recorded fact, and the steps of the last operation. */
export interface TenantDetail extends TenantListItem {
  /** The addon releases its service runs, in addons_path order (the shared service's for a shared tenant). */
  addons: TenantAddonView[]
  steps: TenantStepView[]
}

export function listItemOf(tenant: TenantRecord, state: EffectiveTenantState): TenantListItem {
  return {...tenantView(tenant), state, recordedState: tenant.state}
}

export function tenantNotFound(slug: string): OdoopsError {
  return new OdoopsError('TENANT_NOT_FOUND', `No tenant "${slug}".`, {exit: ExitCode.USAGE, suggestions: ['odoops tenant list shows the tenants.'], data: {tenant: slug}})
}

export async function getTenant(store: Pick<StateStore, 'tenants'>, slug: string): Promise<TenantRecord> {
  const tenant = await store.tenants.get(slug)
  if (!tenant) throw tenantNotFound(slug)
  return tenant
}

export function parseStateFilter(value: string | undefined): EffectiveTenantState | undefined {
  if (value === undefined) return undefined
  if (!(EFFECTIVE_STATES as readonly string[]).includes(value)) {
    throw usageError('TENANT_STATE_INVALID', `"${value}" is not a tenant state.`, [`Use one of: ${EFFECTIVE_STATES.join(', ')}.`])
  }
  return value as EffectiveTenantState
}

/** Tenants in slug order, optionally on one host and/or in one (effective) state. */
export async function listTenants(store: Pick<StateStore, 'tenants' | 'locks'>, filter: {host?: string; state?: EffectiveTenantState} = {}): Promise<TenantListItem[]> {
  const records = await store.tenants.list(filter.host ? {host: filter.host} : undefined)
  const locks = await store.locks.list()
  return records
    .map((t) => listItemOf(t, stateGivenLocks(t, locks)))
    .filter((t) => filter.state === undefined || t.state === filter.state)
    .sort((a, b) => a.slug.localeCompare(b.slug))
}

export async function showTenant(store: Pick<StateStore, 'tenants' | 'locks' | 'hosts' | 'addonRepos'>, slug: string): Promise<TenantDetail> {
  const tenant = await getTenant(store, slug)
  const addons = tenantAddons(tenant, await store.hosts.get(tenant.host), await store.addonRepos.list())
  const item = listItemOf(tenant, stateGivenLocks(tenant, await store.locks.list()))
  const steps = (tenant.operation?.steps ?? []).map((s) => ({
    name: s.name,
    state: s.state,
    ...(s.change ? {change: s.change} : {}),
    ...(s.startedAt ? {startedAt: s.startedAt} : {}),
    ...(s.durationMs !== undefined ? {durationMs: s.durationMs} : {}),
    ...(s.detail ? {detail: s.detail} : {}),
    ...(s.error ? {error: s.error} : {}),
  }))
  return {...item, addons, steps}
}

import type {TemplateCheck} from '../templates/types.js'
import type {SmokeResult} from './smoke.js'
import {randomBytes} from 'node:crypto'
import {ExitCode, OdoopsError} from '../errors.js'
import type {AddonSetEntry, ReleaseRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'

/**
 * A release: the update of the `odoo` package of one series on some hosts, planned by
 * `release plan`, rehearsed on copies by `release rehearse`, rolled out by `release apply`.
 * Everything a run learns is written here before it acts on it, so a killed `apply` can be
 * resumed (or rolled back) from the record alone.
 */
export type ReleaseState = 'planned' | 'rehearsed' | 'applying' | 'applied' | 'failed'

export interface ReleaseTenantPlan {
  slug: string
  mode: 'shared' | 'dedicated'
  database: string
  /** The tenant's own unit (dedicated) or the host's shared unit. */
  unit: string
  config: string
  role: string
  dataDir: string
  /** Recorded state when planned: a stopped tenant is upgraded but left stopped. */
  serving: boolean
  /**
   * `-u` list: with a package update `base` (it reloads every module) plus the changed modules;
   * with an addons change alone, the changed modules only (empty: nothing to `-u`, the tenant's
   * service is switched and restarted, its database untouched).
   */
  modules: string[]
  /** Installed modules whose version the new build or the new addon releases change: `{module: [from, to]}`. */
  changed: Record<string, [string, string]>
  /** From the tenant's last measured `-u` (rehearsal or rollout), when there is one. */
  estimatedDowntimeMs?: number
  /** Of `changed`, the modules of the switched addon repositories, by repository (recorded on the tenant after its `-u`, for `addons rollback --restore`). */
  addonsUpgrade?: {repo: string; modules: string[]}[]
  /** The smoke checks of the template it was onboarded from (`checks:`), run after its update. */
  checks?: TemplateCheck[]
  template?: string
}

/**
 * One Odoo service of a host whose addon releases the release switches (`release plan
 * --addons`): the set it ran when planned and the set it runs after (the repositories named
 * replaced by the releases asked for, in the same addons_path order).
 */
export interface ReleaseAddonsChange {
  /** `shared` (the host's shared service of the series) or the dedicated tenant's slug. */
  service: string
  unit: string
  config: string
  from: AddonSetEntry[]
  to: AddonSetEntry[]
}

/** The service of a tenant, as ReleaseAddonsChange names it. */
export const serviceOf = (tenant: Pick<ReleaseTenantPlan, 'mode' | 'slug'>): string => (tenant.mode === 'shared' ? 'shared' : tenant.slug)

export interface ReleaseHostPlan {
  host: string
  /** Installed package version when planned, and the one the release installs (equal: an addons change only). */
  from: string
  to: string
  /** The shared unit of the series on this host (stopped once for all its tenants), when the release touches the shared service. */
  sharedUnit?: string
  tenants: ReleaseTenantPlan[]
  /** Services whose addon releases the release switches (before the `-u` of their databases). */
  addons?: ReleaseAddonsChange[]
  /** The host's CPUs when planned (`nproc`): how many shared databases' -u run at once. */
  cpus?: number
}

/** Whether the release installs another build on the host (otherwise it only switches addon releases). */
export const packageChanges = (host: Pick<ReleaseHostPlan, 'from' | 'to'>): boolean => host.from !== host.to

/** The addons change of the tenant's service on the host, when there is one. */
export function addonsChangeOf(host: Pick<ReleaseHostPlan, 'addons'>, tenant: Pick<ReleaseTenantPlan, 'mode' | 'slug'>): ReleaseAddonsChange | undefined {
  return host.addons?.find((change) => change.service === serviceOf(tenant))
}

export type TenantStepState = 'pending' | 'started' | 'done' | 'failed'

export interface ReleaseTenantProgress {
  /** The verified safety backup taken before anything changed. */
  backup?: string
  /** How long the safety backup and its verification took. */
  backupMs?: number
  upgrade: TenantStepState
  upgradeMs?: number
  /** Rows of the customer's tables (KEPT_COUNT_TABLES) before and after the `-u`: equal, or the host rolls back. */
  counts?: Record<string, number>
  /** Service stopped → healthy again (per tenant; shared tenants share one stop). */
  downtimeMs?: number
  check?: {ok: boolean; detail: string}
  /** The template's smoke checks after the update (read, report; count is in `counts`). */
  smoke?: SmokeResult[]
  restored?: boolean
  error?: string
}

export type HostPhase = 'pending' | 'backups' | 'installing' | 'upgrading' | 'done' | 'rolling-back' | 'rolled-back'

export interface ReleaseHostProgress {
  phase: HostPhase
  /** Paths on the host of the kept packages: `previous` is what a rollback reinstalls. */
  packages?: {previous: string; next: string}
  /** How long installing the new build took (dpkg unpacking into /usr/lib/python3/dist-packages). */
  installMs?: number
  /** When the shared unit was stopped (ISO), for its tenants' downtime. */
  sharedStoppedAt?: string
  /**
   * Per service of `addons` (`shared` or a slug): true once its config may name the new
   * releases (saved before the switch), false again once a rollback wrote the previous ones back.
   */
  addonsSwitched?: Record<string, boolean>
  tenants: Record<string, ReleaseTenantProgress>
  startedAt?: string
  finishedAt?: string
  error?: {code: string; message: string}
  rollback?: {reason: string; at: string; checks: Record<string, {ok: boolean; detail: string}>}
}

export interface ReleaseRehearsalTenant {
  ok: boolean
  host: string
  backup?: string
  durationMs?: number
  error?: string
}

export interface Release extends ReleaseRecord {
  series: string
  state: ReleaseState
  /** The addon releases asked for (`release plan --addons <repo>@<release>`). */
  addons?: AddonSetEntry[]
  hosts: ReleaseHostPlan[]
  rehearsal?: {at: string; on?: string; tenants: Record<string, ReleaseRehearsalTenant>}
  apply?: {startedAt: string; finishedAt?: string; canary?: number; includeFailed?: boolean; hosts: Record<string, ReleaseHostProgress>}
  error?: {code: string; message: string; host?: string}
}

export function newReleaseId(now = new Date()): string {
  return `rel-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(2).toString('hex')}`
}

export async function getRelease(store: Pick<StateStore, 'releases'>, id: string): Promise<Release> {
  const found = (await store.releases.get(id)) as Release | undefined
  if (!found) {
    throw new OdoopsError('RELEASE_NOT_FOUND', `No release "${id}".`, {exit: ExitCode.USAGE, suggestions: ['odoops release list', 'odoops release plan --all']})
  }
  return found
}

export async function saveRelease(store: Pick<StateStore, 'releases'>, id: string, change: (current: Release) => Release): Promise<Release> {
  return (await store.releases.update(id, (current) => change(current as Release))) as Release
}

/** Every tenant of the release, with its host. */
export function releaseTenants(release: Pick<Release, 'hosts'>): {host: ReleaseHostPlan; tenant: ReleaseTenantPlan}[] {
  return release.hosts.flatMap((host) => host.tenants.map((tenant) => ({host, tenant})))
}

import {createHash} from 'node:crypto'
import {selectTenants} from '../backup/run.js'
import {selectPruneTenants} from '../backup/prune.js'
import {selectBackupsToVerify} from '../backup/verify.js'
import type {BackupEntry} from '../backup/catalog.js'
import {planHistoryOf, planOn} from '../billing/tenant-billing.js'
import {selectMeterTenants} from '../meter/collect.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {JobSpec, Selection} from './types.js'

/** The unit of a fleet-wide job (invoice drafts are per customer, not per tenant). */
export const FLEET_UNIT = '*'

export interface JobUnit {
  /** Tenant slug, or FLEET_UNIT. */
  id: string
  /** The tenant's host (units of one host share its limit); absent for fleet units and removed tenants. */
  host?: string
  /** verify: the backup to verify. */
  backup?: string
  /** verify: full (a restore) on the tenant's rotation turn, quick on the other runs (`quick` option). */
  tier?: 'full' | 'quick'
  /** release: the release the unit applies (the unit is the release, not a tenant: `id` is the release id). */
  release?: string
}

/** The tenant a unit is about, or undefined for the fleet unit and a release. */
export function unitTenant(unit: JobUnit): string | undefined {
  return unit.id === FLEET_UNIT || unit.release ? undefined : unit.id
}

/** The tenant's plan today (its plan history, else the plain `plan` field). */
export function currentPlan(tenant: TenantRecord, day: string): string | undefined {
  return planOn(planHistoryOf(tenant), day)?.plan ?? tenant.plan
}

export function matchesSelection(tenant: TenantRecord, selection: Selection | undefined, day: string): boolean {
  if (selection === undefined || selection === 'all') return true
  if (selection.tenants && !selection.tenants.includes(tenant.id)) return false
  if (selection.host && tenant.host !== selection.host) return false
  if (selection.tag && !(tenant.tags ?? []).includes(selection.tag)) return false
  if (selection.plan && currentPlan(tenant, day) !== selection.plan) return false
  return true
}

/** Stable bucket of a tenant among `rotate` (same tenant, same night of the cycle, whatever else changes). */
export function rotationBucket(slug: string, rotate: number): number {
  return createHash('sha1').update(slug).digest().readUInt32BE(0) % rotate
}

/** Day number of a run (days since 1970-01-01 UTC): which bucket's turn it is. */
export function rotationTurn(slot: string, rotate: number): number {
  return Math.floor(Date.parse(slot) / 86_400_000) % rotate
}

/**
 * The units one run of a job covers, sorted. Each kind starts from what its domain
 * function would pick with --all (active/stopped tenants for backups and metering, tenants
 * with backups for verify and prune, every tenant record for status), then the selection.
 * A release job has one unit, its release.
 */
export async function jobUnits(store: StateStore, job: JobSpec, slot: string): Promise<JobUnit[]> {
  const day = slot.slice(0, 10)
  const select = (tenants: TenantRecord[]) => tenants.filter((t) => matchesSelection(t, job.select, day)).map((t) => ({id: t.id, host: t.host}))
  switch (job.kind) {
    case 'backup':
      return select(await selectTenants(store, {all: true}))
    case 'meter':
      return select(await selectMeterTenants(store, {all: true}))
    case 'status':
      return select((await store.tenants.list()).sort((a, b) => a.id.localeCompare(b.id)))
    case 'invoice-generate':
      return [{id: FLEET_UNIT}]
    case 'release': {
      // One unit, the release: applyRelease goes host by host itself (its hosts are the unit's parts in notices).
      const release = job.options?.release
      return release ? [{id: release, release}] : []
    }
    case 'prune': {
      const units: JobUnit[] = []
      for (const slug of await selectPruneTenants(store, {all: true})) {
        const tenant = await store.tenants.get(slug)
        // A removed tenant's backups are pruned by `select: all` only (its plan, host and tags are gone).
        if (tenant ? matchesSelection(tenant, job.select, day) : job.select === undefined || job.select === 'all') units.push({id: slug, ...(tenant ? {host: tenant.host} : {})})
      }
      return units
    }
    case 'verify': {
      const rotate = job.options?.rotate ?? 1
      const turn = rotationTurn(slot, rotate)
      const units: JobUnit[] = []
      for (const id of await selectBackupsToVerify(store, {all: true})) {
        const entry = (await store.backups.get(id)) as BackupEntry | undefined
        const tenant = entry ? await store.tenants.get(entry.tenant) : undefined
        if (!entry || !tenant || !matchesSelection(tenant, job.select, day)) continue
        const onTurn = rotationBucket(tenant.id, rotate) === turn
        if (!onTurn && !(job.options?.quick ?? rotate > 1)) continue
        units.push({id: tenant.id, host: tenant.host, backup: id, tier: onTurn ? 'full' : 'quick'})
      }
      return units
    }
  }
}

import {ExitCode, OdoopsError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {StepFailedError, runSteps, type StepRecord} from '../steps/runner.js'
import type {HostRecord, TenantRecord} from '../state/records.js'
import type {TenantStepContext} from '../tenants/context.js'
import {connectFor} from '../tenants/create.js'
import {restoreSteps} from '../tenants/create-steps.js'
import {databaseNameFor, normalizeCreateInput} from '../tenants/input.js'
import {getTenant} from '../tenants/listing.js'
import {lockOwner, withTenantLock} from '../tenants/lock.js'
import {pickSeries, preflight} from '../tenants/preflight.js'
import {retireSteps} from '../tenants/remove.js'
import {databaseFacts} from './facts.js'
import type {RestoreEnv} from './restore.js'
import {backupSource} from './restore-source.js'
import {backupTenant} from './run.js'
import {verifyBackup} from './verify.js'

/** A move in progress, kept on the tenant record (`move`) so a re-run continues it and `--abort` undoes it. */
export interface MoveState {
  to: string
  mode: TenantRecord['mode']
  startedAt: string
  /** The backup the new copy is restored from (taken by this move). */
  backup?: string
  /** The new placement as the steps built it; becomes the tenant record at the switch. */
  draft: TenantRecord
  steps: StepRecord[]
}

export interface MoveInput {
  slug: string
  toHost: string
  mode?: string
  size?: string
}

export interface MoveResult {
  tenant: TenantRecord
  from: string
  to: string
  backup: string
  steps: StepRecord[]
  /** Steps that removed the old copy from the old host. */
  retired: StepRecord[]
  /** False when the old copy could not be removed yet (the tenant is served from the new host). */
  retiredOk: boolean
}

const WHAT = 'tenant move'

function moveError(slug: string, message: string, cause?: unknown, extra: string[] = []): OdoopsError {
  return new OdoopsError('TENANT_MOVE_FAILED', `Moving ${slug}: ${message} The tenant is still served from its old host, untouched.`, {
    suggestions: [...extra, `Fix the cause and run the move again (it continues): odoops tenant move ${slug} --to-host <host>`, `Or undo what the move built: odoops tenant move ${slug} --abort`],
    cause,
  })
}

/** The context the restore steps run in for the new placement: changes go to the move's draft, not the record. */
async function draftContext(env: RestoreEnv, slug: string, host: HostRecord, draft: TenantRecord): Promise<TenantStepContext> {
  const ctx: TenantStepContext = {
    env,
    conn: await connectFor(env)(host.id),
    host,
    tenant: draft,
    shared: draft.mode === 'shared' ? host.services?.[draft.series] : undefined,
    saveTenant: async (change) => {
      const updated = await env.store.tenants.update(slug, (current) => {
        const move = current.move as MoveState
        return {...current, move: {...move, draft: {...move.draft, ...change}}}
      })
      return (updated.move as MoveState).draft
    },
  }
  return ctx
}

/** Runs the removal steps (but secrets) for a placement that no longer serves the tenant. */
async function retire(env: RestoreEnv, placement: TenantRecord): Promise<StepRecord[]> {
  const host = await getHost(env.store, placement.host)
  const ctx: TenantStepContext = {
    env,
    conn: await connectFor(env)(host.id),
    host,
    tenant: placement,
    shared: placement.mode === 'shared' ? host.services?.[placement.series] : undefined,
    saveTenant: async (change) => ({...placement, ...change}),
  }
  return runSteps(retireSteps(placement.mode), ctx, {signal: env.signal, observer: env.observer, save: async () => {}})
}

/** Whether the live database still holds what the backup holds (nobody wrote meanwhile). */
async function unchangedSince(env: RestoreEnv, tenant: TenantRecord, backupId: string): Promise<string | undefined> {
  const {entry} = await backupSource(env, backupId)
  const facts = await databaseFacts(await connectFor(env)(tenant.host), tenant.database)
  const diff = (Object.keys(entry.counts) as (keyof typeof entry.counts)[]).filter((k) => entry.counts[k] !== facts.counts[k])
  if (diff.length) return `row counts changed (${diff.join(', ')})`
  if ((facts.newestWriteDate ?? '') !== (entry.newestWriteDate ?? '')) return `records were written after the backup (newest write ${facts.newestWriteDate} vs ${entry.newestWriteDate})`
  return undefined
}

/**
 * `tenant move <slug> --to-host <h> [--mode]`: backup → verify on the new host → restore
 * there by the creation plan (service, nginx, TLS, health through the new host's nginx) →
 * switch the record → retire the old copy. Until the switch the tenant is served from its
 * old host and nothing there changes; a killed or failed move keeps its progress on the
 * record (`move`) and a re-run continues. The switch is refused when the old database was
 * written to after the backup (the copy would miss that data): move at a quiet time.
 * DNS is the partner's: point the domain at the new host after the move.
 */
export async function moveTenant(env: RestoreEnv, input: MoveInput): Promise<MoveResult> {
  const found = await getTenant(env.store, input.slug)
  return withTenantLock(env.store, found.id, WHAT, async () => {
    let tenant = await getTenant(env.store, input.slug)
    if (tenant.retiring && tenant.host === input.toHost) {
      // Moved already; only the old copy's removal is left (it failed last time).
      const last = tenant.lastMove as {from: string; backup: string}
      return {...(await finishRetire(env, tenant)), from: last.from, to: tenant.host, backup: last.backup, steps: []}
    }
    if (tenant.state !== 'active') throw new OdoopsError('TENANT_NOT_READY', `Tenant ${tenant.id} is ${tenant.state}; only an active tenant can move.`, {exit: ExitCode.USAGE, suggestions: [`odoops tenant status ${tenant.id}`]})
    if (tenant.host === input.toHost) {
      throw new OdoopsError('MOVE_SAME_HOST', `Tenant ${tenant.id} is already on ${input.toHost}.`, {exit: ExitCode.USAGE, suggestions: ['A move goes to another host: --to-host <other host>.']})
    }
    let move = tenant.move as MoveState | undefined
    if (move && move.to !== input.toHost) {
      throw new OdoopsError('MOVE_IN_PROGRESS', `A move of ${tenant.id} to ${move.to} is unfinished.`, {exit: ExitCode.USAGE, suggestions: [`Continue it: odoops tenant move ${tenant.id} --to-host ${move.to}`, `Or undo it: odoops tenant move ${tenant.id} --abort`]})
    }
    const host = await getHost(env.store, input.toHost)
    if (!move) {
      const mode = (input.mode ?? tenant.mode) as TenantRecord['mode']
      const {shared} = pickSeries(host, tenant.series)
      const database = databaseNameFor(mode, tenant.id, tenant.domain)
      const createInput = normalizeCreateInput({slug: tenant.id, host: host.id, mode, domain: tenant.domain, series: tenant.series, size: input.size ?? tenant.service?.size})
      const checked = await preflight(await connectFor(env)(host.id), env.store, host, createInput, shared, database)
      const draft: TenantRecord = {
        id: tenant.id,
        host: host.id,
        mode,
        domain: tenant.domain,
        series: tenant.series,
        database,
        state: 'creating',
        service: checked.service,
        restore: {asCopy: false, neutralize: false},
        restoredFrom: {kind: 'backup', id: ''},
        ...(tenant.customer ? {customer: tenant.customer} : {}),
        ...(tenant.modules ? {modules: tenant.modules} : {}),
        ...(tenant.tlsSource ? {tlsSource: tenant.tlsSource} : {}),
      }
      move = {to: host.id, mode, startedAt: new Date().toISOString(), draft, steps: []}
      tenant = await env.store.tenants.update(tenant.id, {move})
    }

    // A fresh backup, taken under this move's tenant lock; a continued move keeps its own.
    let backupId = move.backup
    if (!backupId) {
      backupId = (await backupTenant(env, tenant.id, undefined, () => {}, {tenantLockOwner: lockOwner(WHAT)})).entry.id
      const verification = await verifyBackup(env, backupId, {host: host.id})
      if (verification.status !== 'verified') throw moveError(tenant.id, `the backup ${backupId} failed verification on ${host.id} (${verification.reason}).`)
      move = {...move, backup: backupId, draft: {...move.draft, restoredFrom: {kind: 'backup', id: backupId}}}
      tenant = await env.store.tenants.update(tenant.id, {move})
    }

    const source = await backupSource(env, backupId)
    const ctx = await draftContext({...env, restoreSource: source}, tenant.id, host, move.draft)
    let steps: StepRecord[]
    try {
      steps = await runSteps(restoreSteps(move.mode), ctx, {
        previous: move.steps,
        signal: env.signal,
        observer: env.observer,
        save: async (records) => {
          const updated = await env.store.tenants.update(tenant.id, (current) => ({...current, move: {...(current.move as MoveState), steps: records}}))
          ctx.tenant = (updated.move as MoveState).draft
        },
      })
    } catch (error) {
      if (error instanceof StepFailedError) throw moveError(tenant.id, `step ${error.step} on ${host.id} failed: ${error.message}.`, error.failure)
      throw error
    }

    const changed = await unchangedSince(env, tenant, backupId)
    if (changed) {
      // The copy is discarded: a continued move must start from a new backup.
      await retire(env, ctx.tenant).catch(() => {})
      await env.store.tenants.update(tenant.id, (current) => ({...current, move: undefined}))
      throw moveError(tenant.id, `the tenant was written to during the move: ${changed}. The new copy was discarded.`, undefined, ['Move at a quiet time (or stop the tenant\'s users first), then run the move again.'])
    }

    // The switch: one record update. From here the tenant is the new placement.
    const old: TenantRecord = {...tenant, move: undefined}
    const draft = ctx.tenant
    const switched = await env.store.tenants.update(tenant.id, (current) => ({
      ...current,
      host: draft.host,
      mode: draft.mode,
      database: draft.database,
      service: draft.service,
      tls: draft.tls,
      ...(draft.adminLogin ? {adminLogin: draft.adminLogin} : {}),
      state: 'active',
      move: undefined,
      retiring: old,
      lastMove: {from: old.host, to: draft.host, backup: backupId, at: new Date().toISOString()},
      operation: {kind: 'move', startedAt: (current.move as MoveState).startedAt, steps, finishedAt: new Date().toISOString()},
    }))
    return {...(await finishRetire(env, switched)), from: old.host, to: draft.host, backup: backupId!, steps}
  })
}

/** Removes the old copy of a moved tenant; on failure the tenant keeps `retiring` for a re-run. */
async function finishRetire(env: RestoreEnv, tenant: TenantRecord): Promise<Pick<MoveResult, 'tenant' | 'retired' | 'retiredOk'>> {
  const old = tenant.retiring as TenantRecord
  let retired: StepRecord[] = []
  let retiredOk = true
  try {
    retired = await retire(env, old)
    tenant = await env.store.tenants.update(tenant.id, (current) => ({...current, retiring: undefined}))
  } catch (error) {
    retiredOk = false
    if (error instanceof StepFailedError) retired = error.records
  }
  return {tenant, retired, retiredOk}
}

/** `tenant move <slug> --abort`: removes what an unfinished move built on the new host. */
export async function abortMove(env: RestoreEnv, slug: string): Promise<{tenant: TenantRecord; removed: StepRecord[]}> {
  return withTenantLock(env.store, slug, WHAT, async () => {
    const tenant = await getTenant(env.store, slug)
    const move = tenant.move as MoveState | undefined
    if (!move) throw new OdoopsError('MOVE_NOT_FOUND', `No unfinished move of ${slug}.`, {exit: ExitCode.USAGE, suggestions: [`odoops tenant show ${slug}`]})
    const removed = await retire(env, move.draft)
    return {tenant: await env.store.tenants.update(slug, (current) => ({...current, move: undefined})), removed}
  })
}

import {ExitCode, OdoopsError, usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {connectHost} from '../hosts/connect.js'
import {allocatePortPair} from '../provision/port-allocation.js'
import {StepFailedError, runSteps, type StepRecord} from '../steps/runner.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import type {HostRecord, TenantOperation, TenantRecord} from '../state/records.js'
import {checkAddonRepos} from './addons.js'
import type {TenantEnv, TenantStepContext} from './context.js'
import {createSteps, restoreSteps} from './create-steps.js'
import {databaseNameFor, type TenantCreateInput} from './input.js'
import {withTenantLock} from './lock.js'
import {checkFleetUnique, pickSeries, preflight, recordedPorts} from './preflight.js'

export interface TenantCreateResult {
  tenant: TenantRecord
  steps: StepRecord[]
  url: string
  /** The admin password, for the caller to show once or write to a file. Never logged. */
  adminPassword: string
  resumed: boolean
}

/** A failed or interrupted creation: the tenant stays recorded (not active) with its steps. */
export class TenantPlanError extends OdoopsError {}

function planError(slug: string, kind: 'create' | 'remove', error: StepFailedError): TenantPlanError {
  const failure = error.failure instanceof OdoopsError ? error.failure : undefined
  const next = kind === 'create' ? [`Fix the cause, then: odoops tenant create --resume ${slug}`, `Or clean up: odoops tenant remove ${slug} --confirm ${slug}`] : [`Fix the cause, then run the removal again: odoops tenant remove ${slug} --confirm ${slug}`]
  return new TenantPlanError(failure?.code ?? 'TENANT_STEP_FAILED', `Tenant ${slug}: ${error.message}`, {
    exit: ExitCode.FAILURE,
    suggestions: [...(failure?.suggestions ?? []), ...next],
    data: {tenant: slug, failedStep: error.step, steps: error.records},
    cause: error.failure,
  })
}

export function connectFor(env: TenantEnv) {
  return env.connect ?? ((host: string) => connectHost(env.store, host))
}

/**
 * `tenant create`: checks (nothing is created when one fails), then the record is
 * reserved as `creating` and the plan of steps runs under the tenant's lock, saving its
 * progress in the record. Success marks it `active`; a failure marks it `failed` with
 * the step; a killed process leaves it `creating` with no lock holder, which `--resume`
 * continues and `tenant remove` cleans up.
 */
export async function createTenant(env: TenantEnv, input: TenantCreateInput): Promise<TenantCreateResult> {
  const {store} = env
  const host = await getHost(store, input.host)
  const {series, shared} = pickSeries(host, input.series)
  const database = databaseNameFor(input.mode, input.slug, input.domain)
  await checkFleetUnique(store, input.slug, input.domain, input.aliases)
  await checkCreateAddons(env, input)
  const acme = wantsAcme(host, input)
  const conn = await connectFor(env)(host.id)
  const checked = await preflight(conn, store, host, input, shared, database)

  const now = new Date().toISOString()
  const operation: TenantOperation = {kind: 'create', steps: [], startedAt: now}
  await store.transaction(async (tx) => {
    await checkFleetUnique(tx, input.slug, input.domain, input.aliases)
    let service = checked.service
    if (input.mode === 'dedicated') {
      // Another run may have taken these ports since the preflight: allocate again if so.
      const recorded = await recordedPorts(tx, (await tx.hosts.get(host.id)) ?? host)
      if (recorded.includes(service.httpPort) || recorded.includes(service.geventPort)) service = {...service, ...allocatePortPair([...recorded, ...checked.listening])}
    }
    await tx.tenants.insert({
      id: input.slug,
      host: host.id,
      mode: input.mode,
      domain: input.domain,
      series,
      database,
      state: 'creating',
      modules: input.modules,
      ...(input.addons?.length ? {addonRepos: input.addons} : {}),
      service,
      operation,
      ...(input.customer ? {customer: input.customer} : {}),
      ...(input.lang ? {lang: input.lang} : {}),
      ...(input.country ? {country: input.country} : {}),
      ...(input.plan ? {plan: input.plan} : {}),
      ...(input.tls ? {tlsSource: input.tls} : {}),
      ...(input.aliases?.length ? {aliases: input.aliases} : {}),
      ...(acme ? {acme: {certName: input.slug, domains: [input.domain, ...(input.aliases ?? [])], status: 'pending' as const}} : {}),
      ...(input.restore ? {restore: {asCopy: input.restore.asCopy, neutralize: input.restore.neutralize}, restoredFrom: input.restore.from} : {}),
    })
  })
  return runCreatePlan(env, input.slug, false)
}

/**
 * Whether the tenant gets an ACME certificate: `--tls acme` (refused, before anything is
 * created, on a host without an ACME account), or by default on a host with one when no
 * certificate is given. Restored tenants keep the plan they have (no ACME step yet).
 */
export function wantsAcme(host: HostRecord, input: TenantCreateInput): boolean {
  if (input.tlsMode === 'acme') {
    if (input.restore) throw usageError('TENANT_TLS_ACME_RESTORE', 'A restored tenant cannot ask for an ACME certificate yet.', [`Once it is restored: odoops tenant tls ${input.slug} --retry`])
    if (!host.acme) {
      throw usageError('ACME_NOT_CONFIGURED', `--tls acme: ${host.id} has no ACME account.`, [`Set one up first: odoops host prepare ${host.id} --odoo <series> --acme-email <address>`, 'Or use --tls self-signed, or --tls-cert/--tls-key.'])
    }
    return true
  }
  return input.tlsMode === undefined && !input.tls && !input.restore && host.acme !== undefined
}

/** The addon repositories asked for, before anything is created: registered, their content on this machine. */
async function checkCreateAddons(env: TenantEnv, input: TenantCreateInput): Promise<void> {
  const wanted = input.addons ?? []
  if (wanted.length === 0) return
  if (input.restore) {
    throw usageError('TENANT_ADDONS_WITH_RESTORE', 'A tenant restored from a backup cannot ask for addon repositories yet.', [
      'Deploy them to its service after the restore: odoops addons deploy <repo>… --host <host> --service shared|<tenant>',
    ])
  }
  await checkAddonRepos(env, wanted)
}

/** `tenant create --resume <slug>`: continue a failed or interrupted creation from its failed step. */
export async function resumeTenantCreate(env: TenantEnv, slug: string): Promise<TenantCreateResult> {
  const tenant = await env.store.tenants.get(slug)
  if (!tenant) throw new OdoopsError('TENANT_NOT_FOUND', `No tenant "${slug}" to resume.`, {exit: ExitCode.USAGE, suggestions: ['odoops tenant list shows the tenants.']})
  if (tenant.state === 'active') throw new OdoopsError('TENANT_ALREADY_ACTIVE', `Tenant "${slug}" is already active: nothing to resume.`, {exit: ExitCode.USAGE, suggestions: [`odoops tenant status ${slug}`]})
  if (tenant.operation?.kind !== 'create' || !['creating', 'failed'].includes(tenant.state)) {
    throw new OdoopsError('TENANT_NOT_RESUMABLE', `Tenant "${slug}" is ${tenant.state}${tenant.operation ? ` after a ${tenant.operation.kind}` : ''}, not an unfinished creation.`, {
      exit: ExitCode.USAGE,
      suggestions: tenant.state === 'removing' ? [`Finish the removal: odoops tenant remove ${slug} --confirm ${slug}`] : [`odoops tenant show ${slug}`],
    })
  }
  return runCreatePlan(env, slug, true)
}

async function runCreatePlan(env: TenantEnv, slug: string, resumed: boolean): Promise<TenantCreateResult> {
  const {store} = env
  return withTenantLock(store, slug, 'tenant create', async () => {
    // Re-read under the lock: another run may have finished or removed it meanwhile.
    const tenant = await store.tenants.get(slug)
    if (!tenant) throw new OdoopsError('TENANT_NOT_FOUND', `Tenant "${slug}" was removed meanwhile.`, {suggestions: ['odoops tenant list']})
    if (tenant.state === 'active') throw new OdoopsError('TENANT_ALREADY_ACTIVE', `Tenant "${slug}" was completed by another run.`, {exit: ExitCode.USAGE, suggestions: [`odoops tenant status ${slug}`]})
    const host = await getHost(store, tenant.host)
    const context: TenantStepContext = {env, conn: await connectFor(env)(host.id), host, tenant, shared: host.services?.[tenant.series]}
    const started = tenant.operation?.startedAt ?? new Date().toISOString()
    if (resumed) await store.tenants.update(slug, {state: 'creating', operation: {...tenant.operation!, failedStep: undefined, error: undefined}})
    let steps: StepRecord[]
    try {
      steps = await runSteps(tenant.restoredFrom ? restoreSteps(tenant.mode) : createSteps(tenant.mode), context, {
        previous: tenant.operation?.steps as StepRecord[] | undefined,
        signal: env.signal,
        observer: env.observer,
        save: async (records) => {
          context.tenant = await store.tenants.update(slug, (current) => ({...current, operation: {kind: 'create', startedAt: started, steps: records}}))
        },
      })
    } catch (error) {
      if (error instanceof StepFailedError) {
        await store.tenants.update(slug, (current) => ({
          ...current,
          state: 'failed',
          operation: {kind: 'create', startedAt: started, steps: error.records, failedStep: error.step, error: error.message},
        }))
        throw planError(slug, 'create', error)
      }
      throw error
    }
    const finished = await store.tenants.update(slug, (current) => ({...current, state: 'active', operation: {kind: 'create', startedAt: started, steps, finishedAt: new Date().toISOString()}}))
    const adminPassword = (await readSecret(store, env.box, secretIds.tenantAdminPassword(slug)))!
    return {tenant: finished, steps, url: `https://${finished.domain}`, adminPassword, resumed}
  })
}

import {randomBytes} from 'node:crypto'
import {ExitCode, OdoopsError, messageOf} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import type {StepRecord} from '../steps/runner.js'
import {dropDatabase, renameDatabase} from '../remote/postgres-admin.js'
import {moveDirectory} from '../remote/files.js'
import {ensureUnitActive, ensureUnitStopped} from '../remote/systemd.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import type {SshConnection} from '../ssh/connection.js'
import {script, shell} from '../ssh/quote.js'
import type {SharedServiceRecord, TenantRecord, TenantServiceInfo} from '../state/records.js'
import {connectFor} from '../tenants/create.js'
import {ensureTenantApiKey} from '../tenants/api-key.js'
import {checkTenantThroughNginx} from '../tenants/health.js'
import {getTenant} from '../tenants/listing.js'
import {lockOwner, withTenantLock} from '../tenants/lock.js'
import {neutralizeDatabase, setRestoredIdentity} from '../tenants/restore-steps.js'
import type {BackupEntry} from './catalog.js'
import {filestoreDir} from './shell/pipeline.js'
import type {RestoreEnv} from './restore.js'
import {backupSource, loadAsNewDatabase, type RestoreSource} from './restore-source.js'
import {backupTenant} from './run.js'
import {verifyBackup, type VerifyResult} from './verify.js'

export interface RestoreInPlaceInput {
  backup: string
  tenant: string
  force: boolean
  asCopy: boolean
  neutralize: boolean
}

export interface RestoreInPlaceResult {
  backup: string
  verification: VerifyResult
  safetyBackup: string
  tenant: TenantRecord
  steps: StepRecord[]
}

/** A backup opened for restoring, with its catalog entry. */
type OpenedBackup = RestoreSource & {entry: BackupEntry}

/** Staging names live beside the tenant's, with a prefix no tenant database can have. */
const STAGING_PREFIX = 'odoops_restore_'

/** What the swap works on: the tenant's service, and the names its data moves between. */
interface SwapPlan {
  conn: SshConnection
  tenant: TenantRecord
  svc: TenantServiceInfo
  /** A shared service keeps running through the swap (only the database's sessions are closed). */
  shared: boolean
  /** The unit serving the database: the host's shared service, or the tenant's own. */
  unit: string
  staging: string
  old: string
  liveDir: string
  stagingDir: string
  oldDir: string
  /** Set once the live data moved aside: from then on a failure must put it back. */
  swapped: boolean
}

type StepFn = <T>(title: string, fn: () => Promise<T>) => Promise<T>

const WHAT = 'backup restore'

/**
 * `backup restore <id> --tenant <slug> --force`: replaces a tenant's data, never blindly.
 * Under the tenant's lock: the backup is verified on the tenant's host, a safety backup of
 * the current data is taken, and the backup is restored BESIDE the live database
 * (odoops_restore_<random>) while the tenant keeps serving. Only then the service pauses
 * (dedicated: stopped; shared: the database's sessions closed) for two renames, the
 * service restarts and the tenant is checked through nginx; an unhealthy result swaps the
 * old data back. The old database and filestore are removed once the new ones answer.
 */
export async function restoreInPlace(env: RestoreEnv, input: RestoreInPlaceInput): Promise<RestoreInPlaceResult> {
  const tenant = await getTenant(env.store, input.tenant)
  const source = await backupSource(env, input.backup)
  assertRestorable(tenant, source.entry, input)
  return withTenantLock(env.store, tenant.id, WHAT, () => restoreUnderLock(env, input, tenant, source))
}

/** Refusals before the lock is taken: nothing has been touched yet. */
function assertRestorable(tenant: TenantRecord, entry: BackupEntry, input: RestoreInPlaceInput): void {
  if (entry.series !== tenant.series) {
    throw new OdoopsError('RESTORE_SERIES_MISMATCH', `Backup ${entry.id} is of Odoo ${entry.series}; tenant ${tenant.id} runs ${tenant.series}.`, {
      exit: ExitCode.USAGE,
      suggestions: [`Restore it as a new tenant on a host prepared for ${entry.series}: --new-tenant <slug> --host <h>`],
    })
  }
  if (!input.force) {
    throw new OdoopsError('RESTORE_WOULD_OVERWRITE', `Tenant ${tenant.id} has a database (${tenant.database}); restoring over it replaces its data.`, {
      exit: ExitCode.USAGE,
      suggestions: [`Add --force (a safety backup of the current data is taken first)`, `Or restore beside it: --new-tenant ${tenant.id}-restored --host ${tenant.host} --domain <other domain>`],
    })
  }
  if (tenant.state !== 'active' && tenant.state !== 'stopped') {
    throw new OdoopsError('TENANT_NOT_READY', `Tenant ${tenant.id} is ${tenant.state}.`, {exit: ExitCode.USAGE, suggestions: [`odoops tenant show ${tenant.id}`]})
  }
}

async function restoreUnderLock(env: RestoreEnv, input: RestoreInPlaceInput, tenant: TenantRecord, source: OpenedBackup): Promise<RestoreInPlaceResult> {
  const {entry} = source
  const steps: StepRecord[] = []
  const step = stepRecorder(env, steps)
  const conn = await connectFor(env)(tenant.host)
  const host = await getHost(env.store, tenant.host)
  const svc = tenant.service
  if (!svc) throw new OdoopsError('TENANT_INCOMPLETE', `Tenant ${tenant.id} has no service recorded.`, {suggestions: [`odoops tenant show ${tenant.id}`]})
  const shared = tenant.mode === 'shared' ? host.services?.[tenant.series] : undefined

  const verification = await step('verify', () => verifyBackup(env, entry.id, {host: tenant.host}))
  if (verification.status !== 'verified') {
    throw new OdoopsError('BACKUP_VERIFY_FAILED', `Backup ${entry.id} failed verification (${verification.reason}). Tenant ${tenant.id} was not touched.`, {
      suggestions: [`Restore an older backup: odoops backup list ${entry.tenant}`],
      data: {verification},
    })
  }
  const safety = await step('safety-backup', () => backupTenant(env, tenant.id, undefined, () => {}, {tenantLockOwner: lockOwner(WHAT)}))

  const plan = swapPlan(conn, tenant, svc, shared)
  await replaceData(env, input, source, plan, step)
  await step('cleanup', async () => {
    await dropDatabase(conn, plan.old)
    await conn.run(script([shell`rm -rf -- ${plan.oldDir}`]), {root: true})
  })
  const updated = await env.store.tenants.update(tenant.id, (current) => ({...current, lastRestore: {backup: entry.id, safetyBackup: safety.entry.id, at: new Date().toISOString()}}))
  return {backup: entry.id, verification, safetyBackup: safety.entry.id, tenant: updated, steps}
}

/** Reported like a plan's steps (progress lines, JSON), though not resumable: a failure puts the old data back. */
function stepRecorder(env: RestoreEnv, steps: StepRecord[]): StepFn {
  return async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
    const started = new Date()
    const info = {name: title, title}
    env.observer?.started?.(info)
    try {
      const value = await fn()
      const record: StepRecord = {name: title, state: 'done', change: 'changed', startedAt: started.toISOString(), durationMs: Date.now() - started.getTime()}
      steps.push(record)
      env.observer?.finished?.(info, record)
      return value
    } catch (error) {
      const record: StepRecord = {name: title, state: 'failed', startedAt: started.toISOString(), durationMs: Date.now() - started.getTime(), error: messageOf(error)}
      steps.push(record)
      env.observer?.finished?.(info, record)
      throw error
    }
  }
}

function swapPlan(conn: SshConnection, tenant: TenantRecord, svc: TenantServiceInfo, shared: SharedServiceRecord | undefined): SwapPlan {
  const staging = `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`
  const old = `${STAGING_PREFIX}${randomBytes(6).toString('hex')}_old`
  return {
    conn,
    tenant,
    svc,
    shared: Boolean(shared),
    unit: shared ? shared.unit : svc.unit,
    staging,
    old,
    liveDir: filestoreDir(svc.dataDir, tenant.database),
    stagingDir: filestoreDir(svc.dataDir, staging),
    oldDir: filestoreDir(svc.dataDir, old),
    swapped: false,
  }
}

/** Restores beside the live data, swaps it in and checks the tenant; on any failure the old data is put back. */
async function replaceData(env: RestoreEnv, input: RestoreInPlaceInput, source: OpenedBackup, plan: SwapPlan, step: StepFn): Promise<void> {
  const {conn, tenant} = plan
  const {entry} = source
  try {
    await step('restore-beside', () => restoreBeside(env, input, source, plan))
    env.signal?.throwIfAborted()
    await step('swap', () => swapIn(plan))
    // 19.0+: the restored database holds the API keys of the backup's time; the stored key may be newer.
    await step('api-key', () => ensureTenantApiKey(env, conn, tenant))
    const password = (await readSecret(env.store, env.box, secretIds.tenantAdminPassword(tenant.id)))!
    const health = await step('health', () => checkTenantThroughNginx(conn, tenant, {password, waitMs: 60_000}))
    if (!health.ok) throw new OdoopsError('TENANT_UNHEALTHY', `${tenant.domain} is not healthy after the restore: ${health.detail}. The previous data was put back.`, {suggestions: ['odoops backup verify ' + entry.id, `odoops tenant status ${tenant.id}`]})
  } catch (error) {
    // Put back what was there, and leave no staging copy behind.
    if (plan.swapped) await putBack(plan)
    await dropDatabase(conn, plan.staging).catch(() => {})
    await conn.run(script([shell`rm -rf -- ${plan.stagingDir} ${plan.stagingDir}.restoring`]), {root: true}).catch(() => {})
    throw error instanceof OdoopsError ? error : new OdoopsError('RESTORE_FAILED', `Restoring ${entry.id} over ${tenant.id} failed: ${messageOf(error)}. The tenant keeps its previous data.`, {cause: error})
  }
}

/** The backup loaded into the staging database and filestore, the tenant's identity set on it. */
async function restoreBeside(env: RestoreEnv, input: RestoreInPlaceInput, source: OpenedBackup, plan: SwapPlan): Promise<string> {
  const {conn, tenant, svc, staging} = plan
  await loadAsNewDatabase(conn, source, {database: staging, role: svc.role, filestoreDir: plan.stagingDir}, env.signal)
  const password = await readSecret(env.store, env.box, secretIds.tenantAdminPassword(tenant.id))
  if (!password) throw new OdoopsError('TENANT_SECRET_MISSING', `The admin password of ${tenant.id} is not stored.`, {suggestions: [`odoops tenant show ${tenant.id}`]})
  const login = await setRestoredIdentity(conn, staging, {password, domain: tenant.domain, asCopy: input.asCopy})
  if (input.neutralize) await neutralizeDatabase(conn, svc.config, staging)
  return login
}

async function swapIn(plan: SwapPlan): Promise<void> {
  const {conn, tenant, unit} = plan
  if (!plan.shared) await ensureUnitStopped(conn, unit)
  await renameDatabase(conn, tenant.database, plan.old)
  await moveDirectory(conn, plan.liveDir, plan.oldDir)
  plan.swapped = true
  await renameDatabase(conn, plan.staging, tenant.database)
  await moveDirectory(conn, plan.stagingDir, plan.liveDir)
  // The shared service caches each database's registry: a restart makes it load the new one.
  await ensureUnitActive(conn, unit, {restart: true})
}

/** Best effort: each part is tried even when an earlier one failed. */
async function putBack(plan: SwapPlan): Promise<void> {
  const {conn, tenant, unit} = plan
  if (!plan.shared) await ensureUnitStopped(conn, unit).catch(() => {})
  await dropDatabase(conn, tenant.database).catch(() => {})
  await renameDatabase(conn, plan.old, tenant.database).catch(() => {})
  await conn.run(script([shell`rm -rf -- ${plan.liveDir}`]), {root: true}).catch(() => {})
  await moveDirectory(conn, plan.oldDir, plan.liveDir).catch(() => {})
  await ensureUnitActive(conn, unit, {restart: true}).catch(() => {})
}

import {ExitCode, OdoopsError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {vhostFileName} from '../provision/vhost.js'
import {StepFailedError, runSteps, type Step, type StepChange, type StepRecord} from '../steps/runner.js'
import {ensureRemoteFile, readRemoteFile, removeRemotePath} from '../remote/files.js'
import {removeNginxSite} from '../remote/nginx.js'
import {deleteCertificate} from '../remote/acme.js'
import {certificatePaths} from '../remote/tls.js'
import {dropDatabase, dropRole} from '../remote/postgres-admin.js'
import {ensureUnitActive, ensureUnitStopped, systemctl} from '../remote/systemd.js'
import {deleteSecrets} from '../secrets/vault.js'
import type {TenantRecord} from '../state/records.js'
import type {TenantEnv, TenantStepContext} from './context.js'
import {connectFor} from './create.js'
import {recordSharedDatabases} from './create-steps.js'
import {dbNamesOf, withDbNames} from './db-names.js'
import {removeRedirects} from './set-domain.js'
import {backupLockKey, busyError, lockOwner, withTenantLock} from './lock.js'

type TenantStep = Step<TenantStepContext>

const vhost: TenantStep = {
  name: 'vhost',
  title: 'nginx virtual host removed (and the redirects of its old names)',
  async run(ctx) {
    const site = await removeNginxSite(ctx.conn, vhostFileName(ctx.tenant.id))
    // Old names of a `tenant set-domain`: their redirect, and the certificates kept for it.
    const redirects = await removeRedirects(ctx)
    return site === 'changed' || redirects === 'changed' ? 'changed' : 'unchanged'
  },
}

const tls: TenantStep = {
  name: 'tls',
  title: 'TLS files removed',
  async run(ctx) {
    const {tls, acme, domain} = ctx.tenant
    // An ACME certificate belongs to certbot: `certbot delete` removes it and stops its renewal; the self-signed pair it started on goes too.
    const selfSigned = certificatePaths(domain)
    const files = tls && !tls.acme ? [tls.certificate, tls.key] : acme ? [selfSigned.certificate, selfSigned.key] : []
    let change: StepChange = 'unchanged'
    for (const file of files) if ((await removeRemotePath(ctx.conn, file)) === 'changed') change = 'changed'
    if (acme && (await deleteCertificate(ctx.conn, acme.certName)) === 'changed') change = 'changed'
    return change
  },
}

const service: TenantStep = {
  name: 'service',
  title: 'dedicated service stopped, disabled and removed',
  async run(ctx) {
    const unit = ctx.tenant.service?.unit
    if (!unit) return 'unchanged'
    let change: StepChange = await ensureUnitStopped(ctx.conn, unit)
    if ((await removeRemotePath(ctx.conn, `/etc/systemd/system/${unit}`)) === 'changed') {
      await systemctl(ctx.conn, 'daemon-reload')
      change = 'changed'
    }
    return change
  },
}

const sharedDbList: TenantStep = {
  name: 'db-list',
  title: 'database taken out of the shared service',
  async run(ctx) {
    const shared = ctx.shared
    if (!shared) return 'unchanged'
    const text = await readRemoteFile(ctx.conn, shared.config)
    let change: StepChange = 'unchanged'
    if (text !== undefined) {
      const names = dbNamesOf(text)
      if (names.includes(ctx.tenant.database)) {
        await ensureRemoteFile(ctx.conn, shared.config, withDbNames(text, names.filter((n) => n !== ctx.tenant.database)), {mode: 0o640, owner: 'root', group: 'odoo'})
        await ensureUnitActive(ctx.conn, shared.unit, {restart: true})
        change = 'changed'
      }
    }
    await recordSharedDatabases(ctx, (list) => list.filter((n) => n !== ctx.tenant.database))
    return change
  },
}

const database: TenantStep = {
  name: 'database',
  title: 'database dropped',
  run: (ctx) => dropDatabase(ctx.conn, ctx.tenant.database),
}

const files: TenantStep = {
  name: 'files',
  title: 'filestore, data, config and log removed',
  async run(ctx) {
    const {tenant} = ctx
    const paths =
      tenant.mode === 'dedicated' && tenant.service
        ? [tenant.service.dataDir, tenant.service.config, `/var/log/odoops/${tenant.id}.log`]
        : ctx.shared
          ? [`${ctx.shared.dataDir}/filestore/${tenant.database}`]
          : []
    let change: StepChange = 'unchanged'
    for (const path of paths) if ((await removeRemotePath(ctx.conn, path)) === 'changed') change = 'changed'
    return change
  },
}

const role: TenantStep = {
  name: 'role',
  title: 'PostgreSQL role dropped',
  // Dedicated tenants only: a shared tenant's role is the shared service's.
  run: async (ctx) => (ctx.tenant.service?.role ? dropRole(ctx.conn, ctx.tenant.service.role) : 'unchanged'),
}

const secrets: TenantStep = {
  name: 'secrets',
  title: 'stored secrets deleted',
  async run(ctx) {
    return (await deleteSecrets(ctx.env.store, `tenant/${ctx.tenant.id}/`)) > 0 ? 'changed' : 'unchanged'
  },
}

/**
 * What a move leaves behind on the old host: everything of the tenant there, but its secrets
 * (the new copy uses them). `keepSite`: a move on the same host, where the vhost (now pointing
 * at the new copy) and the TLS files (same domain) belong to the new copy too.
 */
export function retireSteps(mode: TenantRecord['mode'], options: {keepSite?: boolean} = {}): TenantStep[] {
  const kept = new Set<TenantStep>([secrets, ...(options.keepSite ? [vhost, tls] : [])])
  return removeSteps(mode).filter((step) => !kept.has(step))
}

function removeSteps(mode: TenantRecord['mode']): TenantStep[] {
  return mode === 'dedicated' ? [vhost, tls, service, database, files, role, secrets] : [vhost, tls, sharedDbList, database, files, secrets]
}

export interface TenantRemoveResult {
  slug: string
  host: string
  steps: StepRecord[]
}

/**
 * `tenant remove`: every trace of the tenant on its host and in the store, whatever
 * state it is in (active, failed, interrupted). Each step removes what exists and is
 * `unchanged` when it is already gone, so a failed removal is simply run again. Refused
 * while a backup of the tenant runs (its `backup:<slug>` lock is taken for the duration).
 */
export async function removeTenant(env: TenantEnv, slug: string): Promise<TenantRemoveResult> {
  const {store} = env
  const found = await store.tenants.get(slug)
  if (!found) throw new OdoopsError('TENANT_NOT_FOUND', `No tenant "${slug}".`, {exit: ExitCode.USAGE, suggestions: ['odoops tenant list shows the tenants.']})
  return withTenantLock(store, slug, 'tenant remove', async () => {
    const owner = lockOwner('tenant remove')
    const backup = await store.locks.acquire(backupLockKey(slug), {owner, ttlMs: 30 * 60_000})
    if (!backup.acquired) throw busyError('TENANT_BACKUP_RUNNING', `A backup of tenant "${slug}" is running`, backup.heldBy)
    try {
      const tenant = (await store.tenants.get(slug))!
      const host = await getHost(store, tenant.host)
      const context: TenantStepContext = {env, conn: await connectFor(env)(host.id), host, tenant, shared: tenant.mode === 'shared' ? host.services?.[tenant.series] : undefined}
      const previous = tenant.operation?.kind === 'remove' ? (tenant.operation.steps as StepRecord[]) : undefined
      const started = new Date().toISOString()
      context.tenant = await store.tenants.update(slug, {state: 'removing', operation: {kind: 'remove', startedAt: started, steps: previous ?? []}})
      let steps: StepRecord[]
      try {
        steps = await runSteps(removeSteps(tenant.mode), context, {
          previous,
          signal: env.signal,
          observer: env.observer,
          save: async (records) => {
            context.tenant = await store.tenants.update(slug, (current) => ({...current, operation: {kind: 'remove', startedAt: started, steps: records}}))
          },
        })
      } catch (error) {
        if (error instanceof StepFailedError) {
          await store.tenants.update(slug, (current) => ({...current, operation: {kind: 'remove', startedAt: started, steps: error.records, failedStep: error.step, error: error.message}}))
          const failure = error.failure instanceof OdoopsError ? error.failure : undefined
          throw new OdoopsError(failure?.code ?? 'TENANT_STEP_FAILED', `Removing tenant ${slug}: ${error.message}`, {
            suggestions: [...(failure?.suggestions ?? []), `Fix the cause, then run the removal again: odoops tenant remove ${slug} --confirm ${slug}`],
            data: {tenant: slug, failedStep: error.step, steps: error.records},
            cause: error.failure,
          })
        }
        throw error
      }
      await store.tenants.delete(slug)
      return {slug, host: host.id, steps}
    } finally {
      await store.locks.release(backupLockKey(slug), owner).catch(() => {})
    }
  })
}

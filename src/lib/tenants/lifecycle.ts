import {ExitCode, OdoopsError, usageError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import {ensureUnitActive, ensureUnitStopped} from '../remote/systemd.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantRecord, TenantServiceInfo} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {checkTenantThroughNginx, type NginxHealthReport} from './health.js'
import {getTenant} from './listing.js'
import {withTenantLock} from './lock.js'

/** What `tenant stop/start` need: the store and a way to reach the host. */
export interface LifecycleEnv {
  store: StateStore
  connect?: (host: string) => Promise<SshConnection>
}

export interface TenantLifecycleResult {
  tenant: TenantRecord
  unit: string
  /** `unchanged` when the unit already was in the asked state. */
  change: 'changed' | 'unchanged'
  /** `tenant start`: `/web/health` through nginx once the unit runs. */
  health?: NginxHealthReport['http']
}

/** How long `tenant start` waits for the tenant to answer through nginx. */
export const START_HEALTH_WAIT_MS = 60_000

/**
 * A shared tenant is a database on the host's shared service, next to other customers'
 * databases: stopping that service would stop all of them, so stop/start are refused.
 */
export function ownService(tenant: TenantRecord, verb: 'stop' | 'start'): TenantServiceInfo {
  if (tenant.mode === 'shared') {
    const unit = tenant.service?.unit ?? 'its shared service'
    throw usageError(
      'TENANT_SHARED_NO_OWN_SERVICE',
      `Tenant "${tenant.id}" is shared: it runs on ${tenant.host}'s shared service ${unit} together with other tenants, so it has no service of its own to ${verb}.`,
      [
        `To ${verb} the shared service and with it every tenant on it: odoops host exec ${tenant.host} --root -- systemctl ${verb} ${unit}`,
        'Only dedicated tenants (tenant create --mode dedicated) can be stopped and started one by one.',
      ],
      {tenant: tenant.id, unit},
    )
  }
  if (!tenant.service) throw new OdoopsError('TENANT_NO_SERVICE', `Tenant "${tenant.id}" has no service recorded.`, {suggestions: [`odoops tenant show ${tenant.id}`]})
  return tenant.service
}

/** stop/start only make sense for a tenant that was fully created and is not being changed. */
function requireSettled(tenant: TenantRecord, verb: 'stop' | 'start'): void {
  if (tenant.state === 'active' || tenant.state === 'stopped') return
  const next =
    tenant.state === 'failed' || tenant.state === 'creating'
      ? [`Finish its creation: odoops tenant create --resume ${tenant.id}`, `Or remove it: odoops tenant remove ${tenant.id} --confirm ${tenant.id}`]
      : [`odoops tenant show ${tenant.id}`]
  throw new OdoopsError('TENANT_NOT_SETTLED', `Tenant "${tenant.id}" is ${tenant.state}: it can only be ${verb === 'stop' ? 'stopped' : 'started'} once it is active or stopped.`, {
    exit: ExitCode.USAGE,
    suggestions: next,
  })
}

function connectOf(env: LifecycleEnv) {
  return env.connect ?? ((host: string) => connectHost(env.store, host))
}

/**
 * `tenant stop`: its unit stopped and disabled (so a reboot of the host does not bring
 * it back while it is recorded stopped); the record says `stopped`. nginx keeps its
 * vhost and answers 502 for the domain meanwhile.
 */
export async function stopTenant(env: LifecycleEnv, slug: string): Promise<TenantLifecycleResult> {
  const {store} = env
  ownService(await getTenant(store, slug), 'stop')
  return withTenantLock(store, slug, 'tenant stop', async () => {
    const tenant = await getTenant(store, slug)
    requireSettled(tenant, 'stop')
    const svc = ownService(tenant, 'stop')
    const conn = await connectOf(env)(tenant.host)
    const change = await ensureUnitStopped(conn, svc.unit)
    const saved = tenant.state === 'stopped' ? tenant : await store.tenants.update(slug, {state: 'stopped'})
    return {tenant: saved, unit: svc.unit, change: change === 'changed' || tenant.state !== 'stopped' ? 'changed' : 'unchanged'}
  })
}

/**
 * `tenant start`: its unit enabled and started, then `/web/health` through nginx must
 * pass within START_HEALTH_WAIT_MS. The record says `active` as soon as the unit runs,
 * so a tenant that starts but does not answer shows up unhealthy in `tenant status`.
 * Also the way to bring back a tenant whose unit was stopped outside odoops.
 */
export async function startTenant(env: LifecycleEnv, slug: string, options: {waitMs?: number} = {}): Promise<TenantLifecycleResult> {
  const {store} = env
  ownService(await getTenant(store, slug), 'start')
  return withTenantLock(store, slug, 'tenant start', async () => {
    const tenant = await getTenant(store, slug)
    requireSettled(tenant, 'start')
    const svc = ownService(tenant, 'start')
    const conn = await connectOf(env)(tenant.host)
    const change = await ensureUnitActive(conn, svc.unit)
    const saved = tenant.state === 'active' ? tenant : await store.tenants.update(slug, {state: 'active'})
    const report = await checkTenantThroughNginx(conn, saved, {waitMs: options.waitMs ?? START_HEALTH_WAIT_MS})
    if (!report.ok) {
      throw new OdoopsError('TENANT_UNHEALTHY', `${svc.unit} runs, but ${tenant.domain} does not answer through nginx: ${report.detail}.`, {
        suggestions: [`Look at the service on ${tenant.host}: journalctl -u ${svc.unit} (odoops host exec ${tenant.host} --root -- journalctl -u ${svc.unit} -n 50)`, `Then: odoops tenant status ${slug}`],
        data: {tenant: slug, unit: svc.unit, http: report.http},
      })
    }
    return {tenant: saved, unit: svc.unit, change: change === 'changed' || tenant.state !== 'active' ? 'changed' : 'unchanged', health: report.http}
  })
}

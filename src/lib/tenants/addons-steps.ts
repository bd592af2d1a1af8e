import {deploySet} from '../addons/deploy/deploy.js'
import {pickSet} from '../addons/deploy/pick.js'
import {sshDeployOps} from '../addons/deploy/host-ops.js'
import {nextAddonsRecord, sameSet} from '../addons/deploy/layout.js'
import {stageAddonsForNewService} from '../addons/deploy/new-service.js'
import {SHARED} from '../addons/deploy/service.js'
import {getHost} from '../hosts/lookup.js'
import type {Step} from '../steps/runner.js'
import {currentReleases, sharedAddonsPlan} from './addons.js'
import type {TenantStepContext} from './context.js'
import {saveTenant} from './save-tenant.js'

type TenantStep = Step<TenantStepContext>

function dataDirOf(ctx: TenantStepContext): string {
  if (!ctx.env.dataDir) throw new Error('tenant creation with addon repositories needs env.dataDir (where the release tars are)')
  return ctx.env.dataDir
}

/**
 * Shared tenants, before the database: the host's shared service must run the repositories
 * the tenant asked for, so `odoo -i` finds their modules. When its recorded set lacks some,
 * the set plus the missing ones is deployed (a restart of the service, health of its tenants
 * checked by the deploy). Once it runs them all the step changes nothing.
 */
export const sharedAddonsStep: TenantStep = {
  name: 'addons',
  title: 'addon repositories on the shared service',
  async run(ctx, signal) {
    const wanted = ctx.tenant.addonRepos ?? []
    if (wanted.length === 0) return {change: 'unchanged', detail: 'none asked for'}
    const {store} = ctx.env
    const series = ctx.tenant.series
    const host = await getHost(store, ctx.host.id)
    const current = await currentReleases(store)
    const plan = sharedAddonsPlan(host.services?.[series]?.addons, wanted, (repo) => current.get(repo))
    if (plan.set.length === 0) return {change: 'unchanged', detail: `the shared service runs ${wanted.join(', ')}`}
    const {result} = await deploySet(
      {store, box: ctx.env.box, dataDir: dataDirOf(ctx), signal, ...(ctx.env.connect ? {connect: ctx.env.connect} : {})},
      {host: host.id, service: SHARED, what: 'tenant create'},
      await pickSet({store}, plan.set),
    )
    ctx.host = await getHost(store, host.id)
    ctx.shared = ctx.host.services?.[series]
    return {change: result.change, detail: `deployed ${plan.missing.join(', ')} to the shared service${result.restarted ? ' (restarted)' : ''}`}
  },
}

/**
 * Dedicated tenants, before their config: the releases are checked against the host's Odoo
 * and copied, and the set recorded for the tenant, so the config step writes its addons_path
 * and the service starts with them (nothing runs yet, so nothing restarts).
 */
export const dedicatedAddonsStep: TenantStep = {
  name: 'addons',
  title: 'addon repositories for its service',
  async run(ctx, signal) {
    const wanted = ctx.tenant.addonRepos ?? []
    if (wanted.length === 0) return {change: 'unchanged', detail: 'none asked for'}
    const staged = await stageAddonsForNewService(
      {store: ctx.env.store, dataDir: dataDirOf(ctx), signal},
      sshDeployOps(ctx.conn, ctx.env),
      {host: ctx.host.id, series: ctx.tenant.series, label: `tenant ${ctx.tenant.id}`},
      wanted,
    )
    const changed = staged.uploaded.length > 0 || !sameSet(ctx.tenant.addons, staged.set)
    await saveTenant(ctx, nextAddonsRecord(ctx.tenant, staged.set))
    return {change: changed ? 'changed' : 'unchanged', detail: `${wanted.join(', ')}${staged.uploaded.length ? ` (${staged.uploaded.length} copied)` : ''}`}
  },
}

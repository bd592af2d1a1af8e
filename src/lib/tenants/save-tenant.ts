import type {TenantRecord} from '../state/records.js'
import type {TenantStepContext} from './context.js'

/**
 * Records a change of the tenant a step works on. By default that is the tenant's record;
 * a move runs the same steps for a placement that is not the record yet, and keeps their
 * changes in its own draft (`ctx.saveTenant`).
 */
export async function saveTenant(ctx: TenantStepContext, change: Partial<TenantRecord>): Promise<void> {
  ctx.tenant = ctx.saveTenant ? await ctx.saveTenant(change) : await ctx.env.store.tenants.update(ctx.tenant.id, change)
}

/** The service a tenant runs on (its own, or its host's shared one), recorded at creation. */
export function serviceOf(tenant: TenantRecord): NonNullable<TenantRecord['service']> {
  if (!tenant.service) throw new Error(`tenant ${tenant.id} has no service recorded`)
  return tenant.service
}

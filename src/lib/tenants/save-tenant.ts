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

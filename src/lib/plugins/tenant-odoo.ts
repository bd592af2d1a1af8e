import {OdoopsError} from '../errors.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {PackOdoo} from './api.js'

/**
 * Runs `fn` with a session as the tenant's admin: over the host's SSH connection to the
 * service's loopback port (no DNS, no TLS needed); XML-RPC with the admin password before 19.0,
 * JSON-2 with odoops' API key from 19.0 on, both from the sealed vault (never printed). The same
 * `odoo.call(model, method, args, kwargs)` either way (JSON-2 names the positional arguments of
 * the common ORM methods; pass others' parameters in kwargs). This is what a pack's command uses
 * to change a tenant.
 */
export async function withTenantOdoo<R>(store: StateStore, box: SecretBox, slug: string, fn: (odoo: PackOdoo, tenant: TenantRecord) => Promise<R>): Promise<R> {
  // Imported here: the package root stays cheap to import for packs' commands that never reach a tenant.
  const [{connectHost}, {getTenant}, {withStoredTenantSession}] = await Promise.all([
    import('../hosts/connect.js'),
    import('../tenants/listing.js'),
    import('../tenants/odoo-session.js'),
  ])
  const tenant = await getTenant(store, slug)
  if (tenant.state !== 'active' || !tenant.service) {
    throw new OdoopsError('TENANT_NOT_ACTIVE', `Tenant ${slug} is ${tenant.state}: its Odoo must be running.`, {suggestions: [`odoops tenant status ${slug}`]})
  }
  const conn = await connectHost(store, tenant.host)
  return withStoredTenantSession(store, box, conn, tenant, (odoo) => fn(odoo, tenant))
}

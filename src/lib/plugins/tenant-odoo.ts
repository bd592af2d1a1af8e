import {OdoopsError} from '../errors.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {PackOdoo} from './api.js'

/**
 * Runs `fn` with an XML-RPC session as the tenant's admin: over the host's SSH connection to
 * the service's loopback port (no DNS, no TLS needed), the admin password from the sealed
 * vault (never printed). This is what a pack's command uses to change a tenant.
 */
export async function withTenantOdoo<R>(store: StateStore, box: SecretBox, slug: string, fn: (odoo: PackOdoo, tenant: TenantRecord) => Promise<R>): Promise<R> {
  // Imported here: the package root stays cheap to import for packs' commands that never reach a tenant.
  const [{connectHost}, {registerSecret}, {readSecret, secretIds}, {getTenant}, {withServiceClient}] = await Promise.all([
    import('../hosts/connect.js'),
    import('../secrets/redact.js'),
    import('../secrets/vault.js'),
    import('../tenants/listing.js'),
    import('../tenants/odoo-session.js'),
  ])
  const tenant = await getTenant(store, slug)
  if (tenant.state !== 'active' || !tenant.service) {
    throw new OdoopsError('TENANT_NOT_ACTIVE', `Tenant ${slug} is ${tenant.state}: its Odoo must be running.`, {suggestions: [`odoops tenant status ${slug}`]})
  }
  const password = await readSecret(store, box, secretIds.tenantAdminPassword(tenant.id))
  if (!password) throw new OdoopsError('TENANT_ADMIN_PASSWORD_MISSING', `The admin password of ${slug} is not in the state store.`, {suggestions: ['Was the tenant created by odoops? odoops tenant show ' + slug]})
  registerSecret(password)
  const conn = await connectHost(store, tenant.host)
  return withServiceClient(conn, tenant.service.httpPort, async (client) => fn(await client.session(tenant.database, 'admin', password), tenant))
}

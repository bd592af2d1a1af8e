import {OdoopsError} from '../errors.js'
import {registerSecret} from '../secrets/redact.js'
import type {SecretBox} from '../secrets/secret-box.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import type {HostRecord, TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'

/**
 * The PostgreSQL login metering uses for a tenant: the role its Odoo service connects as
 * (never a superuser; it owns the tenant's database, which Odoo created as that role).
 * Shared tenants: the shared service's role, whose password `host prepare` stored under
 * `host/<host>/<series>/db-password`. Dedicated tenants: their own role and
 * `tenant/<slug>/db-password` (tenant create).
 */
export interface DbLogin {
  user: string
  password: string
}

export async function tenantDbLogin(store: Pick<StateStore, 'secrets'>, box: SecretBox, host: HostRecord, tenant: TenantRecord): Promise<DbLogin> {
  const shared = tenant.mode === 'shared'
  const user = shared ? (host.services?.[tenant.series]?.role ?? tenant.service?.role) : tenant.service?.role
  const secretId = shared ? secretIds.sharedDbPassword(host.id, tenant.series) : secretIds.tenantDbPassword(tenant.id)
  const password = await readSecret(store, box, secretId)
  if (!user || password === undefined) {
    throw new OdoopsError('METER_NO_DB_LOGIN', `No database login is recorded for tenant ${tenant.id} (${tenant.mode} on ${host.id}).`, {
      suggestions: shared
        ? [`Prepare the host again to record its shared service: odoops host prepare ${host.id} --odoo ${tenant.series}`]
        : [`Resume the tenant's creation, which records its role: odoops tenant create ${tenant.id} --resume`],
      data: {tenant: tenant.id, secret: secretId},
    })
  }
  registerSecret(password)
  return {user, password}
}

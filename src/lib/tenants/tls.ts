import {OdoopsError, usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import type {TenantAcmeRecord, TenantRecord} from '../state/records.js'
import {acmeWarning, attemptAcme} from './acme.js'
import type {TenantEnv, TenantStepContext} from './context.js'
import {connectFor} from './create.js'
import {applyTenantVhost} from './create-steps.js'
import {getTenant} from './listing.js'
import {withTenantLock} from './lock.js'

export interface TenantTlsResult {
  tenant: string
  domain: string
  host: string
  /** The certificate nginx serves for the tenant. */
  certificate: string
  /** acme: issued through the host's ACME account; given: --tls-cert; self-signed. */
  source: 'acme' | 'given' | 'self-signed'
  /** The ACME state, when the tenant asks for one (status, failed check, last attempt, validity). */
  acme?: TenantAcmeRecord
  /** This run tried the CA (`--retry`). */
  attempted: boolean
}

function tlsView(tenant: TenantRecord, attempted: boolean): TenantTlsResult {
  const source = tenant.tls?.acme ? 'acme' : tenant.tls?.selfSigned === false ? 'given' : 'self-signed'
  return {tenant: tenant.id, domain: tenant.domain, host: tenant.host, certificate: tenant.tls?.certificate ?? '', source, ...(tenant.acme ? {acme: tenant.acme} : {}), attempted}
}

/**
 * `tenant tls <slug>`: the tenant's certificate; with `retry`, one more ACME attempt (an
 * active tenant on a host with an ACME account; a tenant created without ACME starts
 * asking for it). A failed attempt throws ACME_CHECK_FAILED (exit 1), naming the check.
 */
export async function tenantTls(env: TenantEnv, slug: string, options: {retry: boolean}): Promise<TenantTlsResult> {
  const tenant = await getTenant(env.store, slug)
  if (!options.retry) return tlsView(tenant, false)
  return withTenantLock(env.store, slug, 'tenant tls', async () => {
    const current = await getTenant(env.store, slug)
    if (current.state !== 'active' && current.state !== 'stopped') {
      throw usageError('TENANT_NOT_ACTIVE', `Tenant "${slug}" is ${current.state}: its vhost must be in place to answer the challenge.`, [`odoops tenant show ${slug}`])
    }
    if (current.tlsSource && typeof current.tlsSource === 'object') {
      throw usageError('TENANT_TLS_GIVEN', `Tenant "${slug}" serves the certificate it was given (--tls-cert).`, ['ACME replaces self-signed certificates only.'])
    }
    const host = await getHost(env.store, current.host)
    const conn = await connectFor(env)(host.id)
    const ctx: TenantStepContext = {env, conn, host, tenant: current, shared: host.services?.[current.series]}
    const attempt = await attemptAcme(ctx, applyTenantVhost, env.signal)
    if (attempt.status === 'failed') {
      throw new OdoopsError('ACME_CHECK_FAILED', acmeWarning(slug, ctx.tenant.acme!), {
        suggestions: attempt.failedCheck === 'issuance' ? ['The lines above are certbot\'s own; its log is /var/log/letsencrypt/letsencrypt.log on the host.'] : ['Fix the DNS record or the route to port 80, then run the same command again.'],
        data: {tenant: slug, failedCheck: attempt.failedCheck, acme: ctx.tenant.acme},
      })
    }
    return tlsView(ctx.tenant, true)
  })
}

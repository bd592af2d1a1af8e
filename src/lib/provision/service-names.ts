import {usageError} from '../errors.js'

/**
 * Names odoops accepts for tenants and domains. A slug becomes part of database, role,
 * unit and path names, so it is deliberately narrow.
 */
export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,40}$/
const RESERVED_DATABASES = new Set(['postgres', 'template0', 'template1'])

export function validateSlug(slug: string): string {
  if (!SLUG_PATTERN.test(slug)) {
    throw usageError('TENANT_SLUG_INVALID', `"${slug}" is not a valid tenant slug: use 2 to 41 lowercase letters, digits and dashes, starting with a letter.`, [
      'Example: acme-trading',
    ])
  }
  if (RESERVED_DATABASES.has(slug)) {
    throw usageError('TENANT_SLUG_RESERVED', `"${slug}" is a reserved PostgreSQL database name.`, ['Choose another slug, e.g. the customer name.'])
  }
  return slug
}

/** Host names per RFC 1123 (labels of letters, digits and inner dashes; at least two labels). */
export function validateDomain(domain: string): string {
  const value = domain.trim().toLowerCase().replace(/\.$/, '')
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
  const labels = value.split('.')
  if (value.length > 253 || labels.length < 2 || !labels.every((l) => label.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    throw usageError('DOMAIN_INVALID', `"${domain}" is not a valid domain name.`, ['Use a fully qualified host name such as acme.erp.example.com.'])
  }
  return value
}

/** Name parts derived from a slug: PostgreSQL role, systemd unit, paths. */
export function dedicatedNames(slug: string) {
  const safe = slug.replace(/-/g, '_')
  return {
    role: `odoops_${safe}`,
    unit: `odoops-${slug}.service`,
    config: `/etc/odoops/tenants/${slug}.conf`,
    dataDir: `/var/lib/odoops/tenants/${slug}`,
    logFile: `/var/log/odoops/${slug}.log`,
  }
}

/** The shared (multi-tenant) service of one Odoo series on a host, e.g. 17.0 → odoops-shared-17. */
export function sharedNames(series: string) {
  const tag = series.replace(/\.0$/, '').replace(/[^0-9a-z]/gi, '-')
  return {
    role: `odoops_shared_${tag.replace(/-/g, '_')}`,
    unit: `odoops-shared-${tag}.service`,
    config: `/etc/odoops/shared-${tag}.conf`,
    dataDir: `/var/lib/odoops/shared-${tag}`,
    logFile: `/var/log/odoops/shared-${tag}.log`,
  }
}

export function majorOf(series: string): number {
  const major = Number.parseInt(series, 10)
  if (!Number.isFinite(major)) throw usageError('ODOO_SERIES_INVALID', `"${series}" is not an Odoo series.`, ['Use a series such as 17.0, 18.0 or 19.0.'])
  return major
}

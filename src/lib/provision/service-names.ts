/** Names on a host derived from a tenant slug or a series: PostgreSQL role, systemd unit, paths. */

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

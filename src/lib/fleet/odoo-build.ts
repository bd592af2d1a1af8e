import {compareDebianVersions} from '../release/debian-version.js'
import type {HostRecord, TenantRecord} from '../state/records.js'

/**
 * The Odoo build a tenant runs, read from its host's record of the series' service (the
 * package is per host and series: a dedicated tenant runs the host's build too), and how many
 * builds behind the newest its host's Odoo source offers it is, as `release plan` last read
 * that source. Informational: it never costs points (docs/fleet.md, "Odoo builds").
 */
export interface FleetOdooBuild {
  series: string
  /** The installed `odoo` package's Debian version (`odooPackage`), else `odoo --version` as `host prepare` recorded it (`odooVersion`). */
  build: string
  /** Where `build` comes from: `package` (`odooPackage`, set by host prepare, release plan and release apply) or `version` (`odooVersion` only: a host prepared before odoops recorded the package). */
  source: 'package' | 'version'
  /** The newest build the host's Odoo source offered when last checked; null when never checked. */
  newest: string | null
  /** How many offered builds are newer than `build`; null when unknown (never checked, or no package version to compare): run `odoops release plan`. */
  behind: number | null
  /** When `release plan` last read the host's Odoo source (ISO); null when never. */
  checkedAt: string | null
}

/** What to run when `behind` is unknown. */
export const ODOO_BUILD_HINT = 'run odoops release plan'

/** The build of the tenant's series on its host; null when the host has no record of that service. */
export function odooBuildOf(tenant: Pick<TenantRecord, 'series'>, host: Pick<HostRecord, 'services'> | undefined): FleetOdooBuild | null {
  const service = host?.services?.[tenant.series]
  if (!service) return null
  const build = service.odooPackage ?? service.odooVersion
  if (!build) return null
  const available = service.odooAvailable
  const newest = available?.versions.at(-1) ?? null
  // Only a Debian package version compares with what apt offers; odoo --version ("17.0-20261120") does not.
  const behind = available && service.odooPackage ? available.versions.filter((v) => compareDebianVersions(v, service.odooPackage!) > 0).length : null
  return {series: tenant.series, build, source: service.odooPackage ? 'package' : 'version', newest, behind, checkedAt: available?.checkedAt ?? null}
}

/** One (host, series) of the report, for the lines under the table. */
export interface HostOdooBuild extends FleetOdooBuild {
  host: string
  tenants: string[]
}

/** The builds of the report by (host, series), hosts behind first, then those never checked; up to date ones are left out. */
export function odooBuildsToReview(rows: readonly {tenant: string; host: string; odoo: FleetOdooBuild | null}[]): {behind: HostOdooBuild[]; unknown: HostOdooBuild[]} {
  const byKey = new Map<string, HostOdooBuild>()
  for (const row of rows) {
    if (!row.odoo) continue
    const key = `${row.host}\u0000${row.odoo.series}`
    const known = byKey.get(key)
    if (known) known.tenants.push(row.tenant)
    else byKey.set(key, {host: row.host, ...row.odoo, tenants: [row.tenant]})
  }
  const all = [...byKey.values()].sort((a, b) => a.host.localeCompare(b.host) || a.series.localeCompare(b.series))
  return {behind: all.filter((b) => b.behind !== null && b.behind > 0).sort((a, b) => b.behind! - a.behind!), unknown: all.filter((b) => b.behind === null)}
}

/** The lines under the `fleet status` table: each (host, series) behind, then each never checked; none when every build is the newest. */
export function odooBuildLines(rows: readonly {tenant: string; host: string; odoo: FleetOdooBuild | null}[]): string[] {
  const {behind, unknown} = odooBuildsToReview(rows)
  const plan = (b: HostOdooBuild) => `odoops release plan --host ${b.host} --series ${b.series}`
  return [
    ...behind.map((b) => `${b.host} ${b.series}: runs ${b.build}, ${b.behind} build${b.behind === 1 ? '' : 's'} behind ${b.newest} (offered on ${b.checkedAt!.slice(0, 10)}; ${b.tenants.length} tenant${b.tenants.length === 1 ? '' : 's'}): ${plan(b)}`),
    ...unknown.map((b) => `${b.host} ${b.series}: runs ${b.build}; builds behind unknown (${b.checkedAt ? 'no package version recorded' : 'never checked'}): ${ODOO_BUILD_HINT.replace('odoops release plan', plan(b))}`),
  ]
}

/** The table cell: the count, `unknown` when never checked, empty without a service record. */
export function behindCell(odoo: FleetOdooBuild | null): string {
  if (!odoo) return ''
  return odoo.behind === null ? 'unknown' : String(odoo.behind)
}

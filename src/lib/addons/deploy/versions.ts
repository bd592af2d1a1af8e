import {psqlAsPostgres} from '../../remote/postgres-admin.js'
import type {SshConnection} from '../../ssh/connection.js'
import type {AddonModuleInfo} from '../../state/records.js'
import {checkModuleVersion} from '../manifest.js'

/**
 * Modules whose installed version differs from the deployed release's: Odoo runs the new code
 * at once, but their data (views, fields, migrations) is upgraded only by `-u`. Read from
 * ir_module_module (`latest_version` of installed modules), as the postgres superuser on the
 * host, the names as a psql variable (never in the SQL text).
 */
export interface VersionDrift {
  module: string
  repo: string
  installed: string
  release: string
}

/** `latest_version` of the installed modules among `modules`, by name. */
export async function installedVersions(conn: SshConnection, database: string, modules: readonly string[]): Promise<Record<string, string>> {
  if (modules.length === 0) return {}
  const rows = await psqlAsPostgres(conn, `SELECT name || '|' || coalesce(latest_version, '') FROM ir_module_module WHERE state = 'installed' AND name = ANY(string_to_array(:'names', ','))`, {
    database,
    vars: {names: modules.join(',')},
  })
  return parseVersionRows(rows)
}

export function parseVersionRows(rows: string): Record<string, string> {
  const versions: Record<string, string> = {}
  for (const line of rows.split('\n').filter(Boolean)) {
    const bar = line.indexOf('|')
    if (bar > 0) versions[line.slice(0, bar)] = line.slice(bar + 1)
  }
  return versions
}

/** The version Odoo records for a module of this release (odoo/modules/module.py adapt_version: short versions get the series). */
export function releaseVersion(module: Pick<AddonModuleInfo, 'version'>, series: string): string {
  const check = checkModuleVersion(module.version, series)
  return check.ok && check.normalized ? check.normalized : (module.version ?? '1.0')
}

/** Installed modules (of the releases) at another version than the release's; modules not installed are not listed. */
export function versionDrift(releases: readonly {repo: string; modules: readonly AddonModuleInfo[]}[], series: string, installed: Record<string, string>): VersionDrift[] {
  const drift: VersionDrift[] = []
  for (const {repo, modules} of releases) {
    for (const module of modules) {
      const version = installed[module.name]
      if (version === undefined) continue
      const release = releaseVersion(module, series)
      if (version !== release) drift.push({module: module.name, repo, installed: version, release})
    }
  }
  return drift.sort((a, b) => a.module.localeCompare(b.module))
}

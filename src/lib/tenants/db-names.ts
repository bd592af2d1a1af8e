/**
 * The `db_name` line of an odoops-managed Odoo config. A shared service lists its
 * databases there because `dbfilter` does not restrict crons: with db_name set, Odoo's
 * cron workers run exactly those databases (odoo/service/server.py cron_database_list).
 */
export function withDbNames(configText: string, names: readonly string[]): string {
  const line = `db_name = ${names.join(',')}`
  if (/^db_name\s*=.*$/m.test(configText)) return configText.replace(/^db_name\s*=.*$/m, line)
  return configText.replace(/^\[options\]$/m, `[options]\n${line}`)
}

export function dbNamesOf(configText: string): string[] {
  const match = /^db_name\s*=(.*)$/m.exec(configText)
  if (!match) return []
  const value = match[1].trim()
  if (value === '' || value === 'False') return []
  return value.split(',').map((n) => n.trim()).filter(Boolean)
}

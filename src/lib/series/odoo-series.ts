/**
 * What differs between the Odoo series odoops runs, in one place (docs/odoo-versions.md).
 * Facts that the server can tell (a field's name, a decimal precision) are asked of the
 * server where they are used; only what must be known before Odoo runs lives here.
 */
import {usageError} from '../errors.js'

/** The major version of a series: `19.0` → 19, `saas~18.3` → 18; undefined when it is not one. */
export function majorOfSeries(series: string | undefined): number | undefined {
  const match = /^(?:saas~)?(\d+)\./.exec(series ?? '')
  return match ? Number(match[1]) : undefined
}

/** 17 for "17.0", 19 for "19.0" (also "saas~18.2" → 18); a usage error for anything else. */
export function odooMajor(series: string): number {
  const major = majorOfSeries(series)
  if (major === undefined) throw usageError('ODOO_SERIES_INVALID', `"${series}" is not an Odoo series.`, ['Use a series such as 17.0, 18.0 or 19.0.'])
  return major
}

/**
 * Command-line flags that keep demo data out of a new database. Before 19.0 Odoo loads demo
 * data unless told `--without-demo=all` (cli.rst); from 19.0 it loads none unless told
 * `--with-demo`, and `--without-demo` takes a boolean (odoo/tools/config.py
 * `_check_without_demo` warns "since 19.0, invalid boolean value" for `all`).
 */
export function noDemoFlags(series: string): string[] {
  return odooMajor(series) >= 19 ? [] : ['--without-demo=all']
}

import {addonsPathLine} from '../../provision/odoo-config.js'

/**
 * The `addons_path` line of an odoops-managed Odoo config, edited in place as `db_name` is
 * (src/lib/tenants/db-names.ts): the rest of the file is kept byte for byte. The line goes
 * first in [options], where `renderOdooConfig` puts it, so an edited config and a
 * re-rendered one are the same text.
 */
const LINE = /^addons_path\s*=.*\n?/m

/** The config with exactly these addons directories; none removes the line (Odoo's own addons only). */
export function withAddonsPath(configText: string, dirs: readonly string[] | undefined): string {
  if (!dirs || dirs.length === 0) return configText.replace(LINE, '')
  const line = addonsPathLine(dirs)
  if (LINE.test(configText)) return configText.replace(LINE, (old) => `${line}${old.endsWith('\n') ? '\n' : ''}`)
  if (!/^\[options\]$/m.test(configText)) throw new Error('the Odoo config has no [options] section')
  return configText.replace(/^\[options\]$/m, `[options]\n${line}`)
}

/** The directories of the `addons_path` line, in order; undefined when there is none. */
export function addonsPathOf(configText: string): string[] | undefined {
  const match = /^addons_path\s*=(.*)$/m.exec(configText)
  if (!match) return undefined
  const dirs = match[1].split(',').map((dir) => dir.trim()).filter(Boolean)
  return dirs.length > 0 ? dirs : undefined
}

export function sameAddonsPath(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = a ?? []
  const right = b ?? []
  return left.length === right.length && left.every((dir, i) => dir === right[i])
}

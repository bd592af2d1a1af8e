import {odooMajor} from '../series/odoo-series.js'

/**
 * Odoo server configuration files (`[options]` INI), as documented in Odoo's deploy and
 * CLI reference (ODOO-FACTS.md): proxy_mode behind nginx, list_db off, a random master
 * password, dbfilter, db_name so crons run, workers and limits.
 */
export interface OdooServerConfig {
  series: string
  dbHost: string
  dbPort: number
  dbUser: string
  dbPassword: string
  dataDir: string
  httpPort: number
  geventPort: number
  adminPasswd: string
  dbFilter: string
  dbNames: string[]
  workers: number
  maxCronThreads: number
  limitMemorySoft: number
  limitMemoryHard: number
  limitTimeCpu: number
  limitTimeReal: number
  logFile?: string
  /**
   * Odoo's addons_path, in order (Odoo's own addons first, then addon releases: src/lib/addons/deploy).
   * Without it the line is left out and Odoo uses its own addons only.
   */
  addonsPath?: readonly string[]
}

/** Sizes for dedicated services: workers by the rule of thumb (≈6 users per worker), memory per worker. */
export const SIZES = {
  small: {workers: 2, maxCronThreads: 1, limitMemorySoft: 640 * 2 ** 20, limitMemoryHard: 768 * 2 ** 20},
  medium: {workers: 4, maxCronThreads: 2, limitMemorySoft: 1024 * 2 ** 20, limitMemoryHard: 1280 * 2 ** 20},
  large: {workers: 8, maxCronThreads: 2, limitMemorySoft: 1536 * 2 ** 20, limitMemoryHard: 2048 * 2 ** 20},
} as const
export type Size = keyof typeof SIZES

function iniValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  const text = String(value)
  if (/[\r\n]/.test(text)) throw new Error('configuration values cannot contain line breaks')
  return text
}

/**
 * The `addons_path` line. It is always the first option, in a rendered config and when
 * `addons deploy` edits one in place, so re-rendering a deployed config gives the same bytes
 * (and `host prepare` does not restart a service for nothing).
 */
export function addonsPathLine(dirs: readonly string[]): string {
  if (dirs.length === 0) throw new Error('addons_path needs at least one directory')
  for (const dir of dirs) {
    // Odoo splits the value on commas and strips each entry (odoo/tools/config.py).
    if (!dir.startsWith('/') || /[,\s]/.test(dir)) throw new Error(`"${dir}" cannot be an addons_path entry (absolute, no commas or spaces)`)
  }
  return `addons_path = ${dirs.join(',')}`
}

export function renderOdooConfig(config: OdooServerConfig): string {
  // gevent_port was longpolling_port before 16.0 (Odoo CLI reference).
  const geventKey = odooMajor(config.series) >= 16 ? 'gevent_port' : 'longpolling_port'
  const options: [string, string | number | boolean][] = [
    ['db_host', config.dbHost],
    ['db_port', config.dbPort],
    ['db_user', config.dbUser],
    ['db_password', config.dbPassword],
    ['db_name', config.dbNames.join(',')],
    ['dbfilter', config.dbFilter],
    ['list_db', false],
    ['admin_passwd', config.adminPasswd],
    ['proxy_mode', true],
    ['data_dir', config.dataDir],
    ['http_interface', '127.0.0.1'],
    ['http_port', config.httpPort],
    [geventKey, config.geventPort],
    ['workers', config.workers],
    ['max_cron_threads', config.maxCronThreads],
    ['limit_memory_soft', config.limitMemorySoft],
    ['limit_memory_hard', config.limitMemoryHard],
    ['limit_time_cpu', config.limitTimeCpu],
    ['limit_time_real', config.limitTimeReal],
  ]
  if (config.logFile) options.push(['logfile', config.logFile])
  const addonsPath = config.addonsPath?.length ? [addonsPathLine(config.addonsPath)] : []
  return ['; Managed by odoops: changes here are overwritten.', '[options]', ...addonsPath, ...options.map(([k, v]) => `${k} = ${iniValue(v)}`), ''].join('\n')
}

/** Reads `key = value` pairs of the [options] section (enough for the files odoops writes). */
export function parseOdooConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  let inOptions = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith(';') || line.startsWith('#')) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section) {
      inOptions = section[1] === 'options'
      continue
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line)
    if (inOptions && pair) out[pair[1]] = pair[2]
  }
  return out
}

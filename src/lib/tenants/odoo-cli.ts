import {noDemoFlags} from '../series/odoo-series.js'
import type {SshConnection} from '../ssh/connection.js'
import {shell, type RemoteCommand} from '../ssh/quote.js'

/**
 * `odoo` command lines run on a host as the service user. A database is created and
 * modules installed with `odoo -c <conf> -d <db> -i <mods> --stop-after-init --no-http
 * --without-demo=all` (Odoo CLI reference, cli.rst; from 19.0 no demo data is the default and
 * the flag is left out, src/lib/series/odoo-series.ts); upgrades with `-u`. `flock` on a
 * per-database lock file keeps a resumed run from racing an `odoo -i` that outlived
 * the odoops process which started it (sshd does not kill a command when the client dies).
 */
export interface OdooRunSpec {
  config: string
  database: string
  /** The tenant's series ("17.0"): flags that changed between series depend on it. */
  series: string
  install?: string[]
  update?: string[]
  lang?: string
}

/** Time `odoo -u/-i --stop-after-init` may take: upgrading many modules takes minutes. */
export const ODOO_UPDATE_TIMEOUT_MS = 45 * 60_000

/** The lock file every `odoo -i/-u` run by odoops holds (flock) on a database. */
export function databaseLockFile(database: string): string {
  return `/run/lock/odoops-db-${database.replace(/[^a-zA-Z0-9_.-]/g, '_')}.lock`
}

export function odooRunCommand(spec: OdooRunSpec): RemoteCommand {
  const lockFile = databaseLockFile(spec.database)
  const args: string[] = ['-c', spec.config, '-d', spec.database]
  if (spec.install?.length) args.push('-i', spec.install.join(','))
  if (spec.update?.length) args.push('-u', spec.update.join(','))
  if (spec.lang && spec.lang !== 'en_US') args.push(`--load-language=${spec.lang}`)
  // --no-http: with workers > 0 Odoo binds its HTTP port even with --stop-after-init
  // (PreforkServer.run starts before preloading), which the running service already holds.
  args.push('--stop-after-init', '--no-http', ...noDemoFlags(spec.series))
  return shell`runuser -u odoo -- flock ${lockFile} odoo ${args}`
}

/**
 * `odoo -i/-u … --stop-after-init` on the host (tenant update, addons deploy --upgrade); a
 * failure's message names the flags, the database, the exit and Odoo's last meaningful lines.
 */
export async function runOdooModules(conn: SshConnection, spec: OdooRunSpec): Promise<{ok: true} | {ok: false; message: string}> {
  const result = await conn.exec(odooRunCommand(spec), {root: true, timeoutMs: ODOO_UPDATE_TIMEOUT_MS})
  if (result.code === 0) return {ok: true}
  const flags = [spec.install?.length ? `-i ${spec.install.join(',')}` : '', spec.update?.length ? `-u ${spec.update.join(',')}` : ''].filter(Boolean)
  return {ok: false, message: `${['odoo', ...flags, 'failed'].join(' ')} on ${spec.database} (exit ${result.code ?? result.signal}):\n${odooFailureSummary(result.stdout.toString() + result.stderr.toString())}`}
}

/** The last meaningful lines of Odoo's log output, for an error message. */
export function odooFailureSummary(output: string, lines = 6): string {
  const interesting = output
    .split('\n')
    // Log levels, and a traceback's last line (`KeyError: …`, `psycopg2.errors.…`, `Exception: …`).
    .filter((l) => /\b(ERROR|CRITICAL|WARNING)\b|Error|Exception|Traceback/.test(l))
    .slice(-lines)
  return (interesting.length ? interesting : output.split('\n').filter(Boolean).slice(-lines)).join('\n')
}

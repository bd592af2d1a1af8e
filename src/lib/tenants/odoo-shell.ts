import {OdoopsError} from '../errors.js'
import type {SshConnection} from '../ssh/connection.js'
import {shell, type RemoteCommand} from '../ssh/quote.js'
import {odooFailureSummary} from './odoo-cli.js'

/**
 * `odoo shell` on a tenant's database, as the service user, with a Python script on stdin:
 * when stdin is not a terminal, shell execs what it reads with `env` (superuser) in scope
 * (odoo/cli/shell.py `Shell.console`) and rolls back afterwards, so a script commits itself
 * (`env.cr.commit()`). `--no-http`: the running service holds the HTTP port. Secrets go in the
 * script (stdin), never on the command line.
 */
export function odooShellCommand(config: string, database: string): RemoteCommand {
  return shell`runuser -u odoo -- odoo shell -c ${config} -d ${database} --no-http --log-level=warn`
}

/** Loading a registry takes seconds; a big database with many modules, longer. */
const SHELL_TIMEOUT_MS = 5 * 60_000

/** Runs the script; its stdout. A non-zero exit (a Python exception) throws ODOO_SHELL_FAILED with Odoo's last lines. */
export async function runOdooShell(conn: SshConnection, target: {config: string; database: string}, script: string, what: string, options: {secretLinePrefix?: string} = {}): Promise<string> {
  const result = await conn.exec(odooShellCommand(target.config, target.database), {root: true, stdin: script, timeoutMs: SHELL_TIMEOUT_MS})
  if (result.code !== 0) {
    // A line the script printed a secret on never reaches an error message.
    const output = (result.stdout.toString('utf8') + result.stderr.toString('utf8'))
      .split('\n')
      .filter((line) => !options.secretLinePrefix || !line.includes(options.secretLinePrefix))
      .join('\n')
    throw new OdoopsError('ODOO_SHELL_FAILED', `odoo shell (${what}) failed on ${target.database} (exit ${result.code ?? result.signal}):\n${odooFailureSummary(output)}`, {
      suggestions: ['Check that the database exists and the Odoo package is installed on the host; the lines above are the end of Odoo\'s output.'],
      data: {database: target.database},
    })
  }
  return result.stdout.toString('utf8')
}

/** A Python string literal of any text (base64 inside, so no quoting rule of Python matters). */
export function pythonText(value: string): string {
  return `__import__('base64').b64decode('${Buffer.from(value, 'utf8').toString('base64')}').decode('utf-8')`
}

/**
 * Sets the admin user's (xml id base.user_admin) password with the ORM, which hashes it
 * (res_users.py `_set_password`), and commits. The password travels in the script, on stdin.
 */
export function adminPasswordScript(password: string): string {
  return [`user = env.ref('base.user_admin')`, `user.write({'password': ${pythonText(password)}})`, `env.cr.commit()`, ''].join('\n')
}

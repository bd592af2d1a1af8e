import {posix} from 'node:path'
import {command, shell, type RemoteCommand} from '../../ssh/quote.js'
import {decompressor, killableScript, type Codec} from './pipeline.js'
import {KEEP_STDIN} from './verify.js'

/**
 * Commands a restore runs on the destination host (pure builders). The stored bytes arrive
 * on stdin; names are the only arguments.
 */

/**
 * stdin (a filestore tar, compressed with `codec`, or plain when `codec` is undefined) →
 * Odoo's filestore of a database, `dir` = `<data_dir>/filestore/<db>`. Unpacked beside it
 * under `<dir>.restoring`, given to the service user, and only then moved into place, so an
 * interrupted restore never leaves a half-filled filestore under the real name.
 */
export function filestoreRestoreCommand(dir: string, codec: Codec | undefined): RemoteCommand {
  const staging = `${dir}.restoring`
  const parent = posix.dirname(dir)
  const tar = command(['tar', '--extract', '--file=-', '--no-same-owner', '--no-same-permissions', '--directory', staging])
  const unpack = codec ? shell`${decompressor(codec)} <&3 | ${tar}` : shell`${tar} <&3`
  return killableScript(
    [shell`umask 027`, shell`install -d -o odoo -g odoo -m 0750 -- ${parent}`, shell`rm -rf -- ${staging}`, shell`mkdir -- ${staging}`, KEEP_STDIN],
    shell`${unpack} && chown -R odoo:odoo -- ${staging} && rm -rf -- ${dir} && mv -- ${staging} ${dir}`,
  )
}

/**
 * stdin (plain SQL, Odoo's `dump.sql`) → psql into `database` as `role` (PGOPTIONS sets the
 * role at connection start, so every object is the role's). Unlike Odoo's own restore
 * (`psql -q -f`, odoo/service/db.py), ON_ERROR_STOP=1 makes the first SQL error fail the
 * command: an import never silently drops data. --single-transaction leaves nothing behind.
 */
export function sqlLoadCommand(database: string, role: string): RemoteCommand {
  const psql = command(['runuser', '-u', 'postgres', '--', 'env', `PGOPTIONS=-c role=${role}`, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-o', '/dev/null', '-d', database, '-f', '-'])
  return killableScript([shell`cd /`, KEEP_STDIN], shell`${psql} <&3`)
}

/** `pg_restore --version` of the host (Debian's pg_wrapper runs the newest installed). */
export function pgRestoreVersionCommand(): RemoteCommand {
  return shell`cd / && runuser -u postgres -- pg_restore --version`
}

/**
 * `odoo neutralize` (Odoo 16+, odoo/cli/neutralize.py): runs every installed module's
 * data/neutralize.sql, so a copy never runs crons or sends mail as production would.
 */
export function neutralizeCommand(config: string, database: string): RemoteCommand {
  return shell`runuser -u odoo -- odoo neutralize -c ${config} -d ${database}`
}

import {command, shell, type RemoteCommand} from '../../ssh/quote.js'
import {decompressor, killableScript, type Codec} from './pipeline.js'
import {drainingAfter, KEEP_STDIN, type DumpSection} from './verify.js'

/**
 * Host-side halves of `backup export --format odoo-zip` (pure builders): the stored
 * files arrive on stdin and leave on stdout, so the conversion needs no disk on the host.
 */

/**
 * stdin (a stored custom-format dump) → plain SQL on stdout, as Odoo's own zip holds it
 * (`pg_dump --no-owner` plain, odoo/service/db.py dump_db). pg_restore without --dbname
 * writes the script instead of restoring (pg_restore docs: `-f -` is stdout).
 */
export function plainSqlCommand(codec: Codec, sections: readonly DumpSection[] = []): RemoteCommand {
  const restore = command(['runuser', '-u', 'postgres', '--', 'pg_restore', '--no-owner', '--no-privileges', ...sections.map((s) => `--section=${s}`), '--file=-'])
  return killableScript([shell`cd /`, KEEP_STDIN], shell`${decompressor(codec)} <&3 | ${drainingAfter(restore, sections)}`)
}

/** stdin (a stored compressed filestore tar) → the plain tar on stdout. */
export function decompressCommand(codec: Codec): RemoteCommand {
  return killableScript([shell`cd /`, KEEP_STDIN], shell`${decompressor(codec)} <&3`)
}

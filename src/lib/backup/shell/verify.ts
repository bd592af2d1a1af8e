import {command, script, shell, type RemoteCommand} from '../../ssh/quote.js'
import {decompressor, killableScript, type Codec} from './pipeline.js'

/**
 * The commands `backup verify` runs on the verify host (pure builders). The backup's bytes
 * arrive on stdin, so nothing but the scratch names is on a command line.
 */

/** Scratch names carry this prefix, so a leftover is recognisable (and never a tenant's). */
export const SCRATCH_PREFIX = 'odoops_verify_'

export function scratchDatabaseName(random: string): string {
  return `${SCRATCH_PREFIX}${random}`
}

/** The filestore is unpacked under /var/tmp (not a tmpfs on Debian, survives nothing important). */
export function scratchDirectory(random: string): string {
  return `/var/tmp/${SCRATCH_PREFIX}${random}`
}

/**
 * killableScript runs its pipeline in the background, and bash gives a background command
 * without job control /dev/null as stdin (bash manual, "Lists of Commands"): the session's
 * stdin is kept on fd 3 and the pipeline reads from there.
 */
export const KEEP_STDIN = shell`exec 3<&0`

/**
 * pg_restore's sections (pg_restore docs, --section): a backup with large tables stored by
 * content restores pre-data and data, then the tables' rows, then post-data (indexes,
 * constraints, foreign keys), which is the order a whole dump restores in.
 */
export type DumpSection = 'pre-data' | 'data' | 'post-data'

/**
 * With `--section`, pg_restore stops reading the archive once its sections are done (post-data
 * needs only the table of contents at its start): the rest is read and discarded, so the
 * decompressor is not killed by SIGPIPE (exit 141 under pipefail) and the whole stored file
 * still streams through (verify hashes it on the way).
 */
export function drainingAfter(consumer: RemoteCommand, sections: readonly DumpSection[] | undefined): RemoteCommand {
  return sections && sections.length > 0 ? shell`{ ${consumer} && rc=0 || rc=$?; cat > /dev/null; exit $rc; }` : consumer
}

/**
 * stdin (the stored dump) → decompressor → `pg_restore --exit-on-error` into `database`, as
 * postgres. pg_restore reads a custom-format archive from stdin when given no file name, in
 * archive order (fine without -j). `--no-owner --no-privileges`: the verify host may lack the
 * tenant's role; verification is about the data. pipefail (script()) makes a failing
 * decompressor fail the command too (a truncated or corrupt stream).
 */
export function restoreCommand(database: string, codec: Codec, options: {role?: string; sections?: readonly DumpSection[]} = {}): RemoteCommand {
  // --role: a real restore (backup restore) creates every object as the tenant's role, which must own them.
  const role = options.role ? ['--role', options.role] : []
  const sections = (options.sections ?? []).map((s) => `--section=${s}`)
  const restore = command(['runuser', '-u', 'postgres', '--', 'pg_restore', '--exit-on-error', '--no-owner', '--no-privileges', ...role, ...sections, '--dbname', database])
  return killableScript([shell`cd /`, KEEP_STDIN], shell`${decompressor(codec)} <&3 | ${drainingAfter(restore, options.sections)}`)
}

/** stdin (the stored filestore tar; plain when `codec` is undefined: rebuilt from blobs) → tar -x into a new directory `dir`. */
export function unpackCommand(dir: string, codec: Codec | undefined): RemoteCommand {
  const tar = command(['tar', '--extract', '--file=-', '--no-same-owner', '--directory', dir])
  return killableScript([shell`umask 077`, shell`mkdir -- ${dir}`, KEEP_STDIN], codec ? shell`${decompressor(codec)} <&3 | ${tar}` : shell`${tar} <&3`)
}

/** One row per stored file of the restored database's attachments: `store_fname`, file_size (-1 when unknown). */
function attachmentRows(database: string): RemoteCommand {
  return command([
    'runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', database,
    '-c', "SELECT store_fname, coalesce(max(file_size), -1) FROM ir_attachment WHERE store_fname IS NOT NULL AND store_fname <> '' GROUP BY store_fname",
  ])
}

/**
 * The files (F lines: `F<tab>path<tab>size`) joined in awk with the attachment rows (A lines);
 * one pass each, where a stat per attachment in a shell loop cost seconds on thousands of files.
 */
const ATTACHMENT_JOIN = '$1 == "F" {size[$2] = $3; next} !($2 in size) {print "missing " $2; next} $3 >= 0 && size[$2] != $3 {print "size " $2 " " size[$2] " " $3}'

/** The problems file's first 50 lines, then `total <n>`. */
const REPORT_PROBLEMS = [shell`head -n 50 -- "$problems"`, shell`echo "total $(wc -l < "$problems")"`]

/**
 * Checks the unpacked filestore against the restored database, printing one line per problem
 * (at most 50; then a count):
 * - `missing <store_fname>`: an ir_attachment row whose file is not in the filestore;
 * - `size <store_fname> <actual> <expected>`: file_size differs from the file's size;
 * - `sha1 <path>`: a file stored under its SHA-1 (Odoo's `<sha1[:2]>/<sha1>` layout,
 *   ir_attachment._get_path) whose content no longer hashes to its name.
 * awk keeps one entry per file (path and size), nothing more.
 */
export function filestoreCheckCommand(dir: string, database: string): RemoteCommand {
  const sha1Mismatch = '{n = split($2, p, "/"); if (p[n] != $1) print "sha1 " substr($2, 3)}'
  return script([
    shell`cd /`,
    shell`problems=$(mktemp)`,
    shell`trap 'rm -f -- "$problems"' EXIT`,
    shell`{ find ${dir} -type f -printf 'F\t%P\t%s\n'; ${attachmentRows(database)} | sed 's/^/A\t/'; } | awk -F '\t' ${ATTACHMENT_JOIN} >> "$problems"`,
    shell`cd -- ${dir}`,
    shell`find . -regextype posix-extended -type f -regex '\./[0-9a-f]{2}/[0-9a-f]{40}' -print0 | xargs -0 -r -P "$(nproc)" -n 100 sha1sum | awk ${sha1Mismatch} >> "$problems"`,
    ...REPORT_PROBLEMS,
  ])
}

/**
 * A format-2 backup's attachments against its manifest, without unpacking anything: the
 * manifest's files arrive on stdin (`F<tab>path<tab>size` lines) and are joined with the
 * restored database's attachment rows, printing `missing` and `size` lines as
 * filestoreCheckCommand does (the blobs' SHA-1s are checked on the target, blobs/check.ts).
 */
export function attachmentCheckCommand(database: string): RemoteCommand {
  return script([
    shell`cd /`,
    shell`problems=$(mktemp)`,
    shell`trap 'rm -f -- "$problems"' EXIT`,
    shell`{ cat; ${attachmentRows(database)} | sed 's/^/A\t/'; } | awk -F '\t' ${ATTACHMENT_JOIN} >> "$problems"`,
    ...REPORT_PROBLEMS,
  ])
}

export interface FilestoreProblems {
  lines: string[]
  total: number
}

export function parseFilestoreCheck(output: string): FilestoreProblems {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean)
  const totalLine = lines.find((l) => l.startsWith('total '))
  return {lines: lines.filter((l) => !l.startsWith('total ')), total: totalLine ? Number(totalLine.slice(6)) || 0 : 0}
}

import {command, shell, type RemoteCommand} from '../../ssh/quote.js'
import {compressor, decompressor, killableScript, LOCK_WAIT_TIMEOUT_S, type Codec, type HostTools} from './pipeline.js'
import {KEEP_STDIN} from './verify.js'

/**
 * Host-side commands for large tables stored by content (pure builders, unit tested; see
 * docs/backups.md, "Large tables stored by content"). A large table's rows leave the host as
 * `COPY … TO STDOUT` text read inside the backup's exported snapshot, and come back by
 * `COPY … FROM STDIN`, the same text pg_dump puts in a dump's data section.
 */

/** A table or column name we store by content: Odoo's names, so no quoting rule is ever in play. */
const PLAIN_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export function isPlainName(name: string): boolean {
  return PLAIN_NAME.test(name)
}

/** A large table as the snapshot sees it. */
export interface LargeTable {
  schema: string
  name: string
  /** Columns COPY carries, in order (dropped and generated columns left out, as pg_dump does). */
  columns: string[]
  /** Heap and TOAST pages as PostgreSQL last counted them (relpages), in bytes. */
  bytes: number
  /** n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables: a hint that the table changed, never a proof that it did not. */
  writes: number
}

/**
 * Ordinary, logged tables of the database's own schemas at least `:min` bytes large, not
 * owned by an extension (pg_dump dumps those differently), with their COPY columns. One row
 * per table: `schema|name|bytes|writes|col,col,…`.
 *
 * The size is the catalog's page count (`relpages` of the table and its TOAST table, kept by
 * VACUUM, ANALYZE and autovacuum), not pg_table_size(): that one opens the table, so it waits
 * for any lock a module upgrade holds, where this query must never wait. A table never counted
 * yet (relpages 0) stays in the dump, which is always correct.
 */
export const LARGE_TABLES_SQL = `
SELECT n.nspname, c.relname, (c.relpages + coalesce(t.relpages, 0))::bigint * current_setting('block_size')::bigint AS bytes,
       coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, -1),
       (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind = 'r' AND c.relpersistence = 'p'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND (c.relpages + coalesce(t.relpages, 0))::bigint * current_setting('block_size')::bigint >= :min
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY bytes DESC, n.nspname, c.relname`

/** Rows of LARGE_TABLES_SQL; tables with a name outside PLAIN_NAME stay in the dump. */
export function parseLargeTables(output: string): LargeTable[] {
  const tables: LargeTable[] = []
  for (const line of output.split('\n')) {
    const [schema, name, bytes, writes, columns] = line.trim().split('|')
    if (!schema || !name || !columns) continue
    const cols = columns.split(',')
    if (![schema, name, ...cols].every(isPlainName)) continue
    tables.push({schema, name, columns: cols, bytes: Number(bytes) || 0, writes: Number(writes)})
  }
  return tables
}

/** `schema.name`, as pg_dump's --exclude-table-data pattern and as the manifest names a table. */
export function qualifiedName(table: Pick<LargeTable, 'schema' | 'name'>): string {
  return `${table.schema}.${table.name}`
}

/**
 * The session settings pg_dump itself uses for its data (pg_dump.c setup_connection), and UTC,
 * so the same rows give the same bytes whatever the server's or the role's defaults: the
 * text is hashed to tell an unchanged table, and read back by COPY FROM in any session.
 */
const TEXT_SETTINGS = [
  "SET client_encoding = 'UTF8';",
  'SET DateStyle = ISO;',
  'SET IntervalStyle = postgres;',
  'SET extra_float_digits = 3;',
  "SET TimeZone = 'UTC';",
]

/** psql variables naming a table and its columns (`schema`, `table`, `c0`…), for `:"…"` quoting. */
export function tableVars(table: Pick<LargeTable, 'schema' | 'name' | 'columns'>): Record<string, string> {
  const vars: Record<string, string> = {schema: table.schema, table: table.name}
  table.columns.forEach((c, i) => (vars[`c${i}`] = c))
  return vars
}

function columnList(count: number): string {
  return Array.from({length: count}, (_, i) => `:"c${i}"`).join(', ')
}

/**
 * psql input (variables from tableVars plus `snapshot`) that prints the table's rows as COPY
 * text, inside the backup's snapshot (SET TRANSACTION SNAPSHOT, PostgreSQL docs), with
 * synchronized scans off: a scan joining another one midway would start mid-table and the
 * same rows would come out in another order.
 */
export function copyOutSql(columns: number): string {
  return [
    'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;',
    "SET TRANSACTION SNAPSHOT :'snapshot';",
    'SET synchronize_seqscans = off;',
    // As pg_dump's --lock-wait-timeout (shell/pipeline.ts): a module upgrade's lock fails the run, not hangs it.
    `SET lock_timeout = '${LOCK_WAIT_TIMEOUT_S}s';`,
    ...TEXT_SETTINGS,
    `COPY :"schema".:"table" (${columnList(columns)}) TO STDOUT;`,
    'COMMIT;',
  ].join('\n')
}

/** The header psql reads before the rows (the rows and `\.` follow on the same input). */
export function copyInSql(columns: number): string {
  return [...TEXT_SETTINGS, `COPY :"schema".:"table" (${columnList(columns)}) FROM STDIN;`].join('\n')
}

/**
 * Reads stdin in 1 MiB blocks, hashes them (SHA-256: OpenSSL's, with the CPU's SHA
 * instructions where it has them) and, with `tee`, passes them on to stdout; prints
 * `odoops-content <sha256> <bytes>` on stderr at the end.
 */
const CONTENT_HASHER = [
  'import hashlib, sys',
  'tee = sys.argv[1] == "tee"',
  'h = hashlib.sha256()',
  'n = 0',
  'src, out = sys.stdin.buffer, sys.stdout.buffer',
  'while True:',
  '    b = src.read1(1 << 20)',
  '    if not b:',
  '        break',
  '    h.update(b)',
  '    n += len(b)',
  '    if tee:',
  '        out.write(b)',
  'out.flush()',
  'sys.stderr.write("odoops-content %s %d\\n" % (h.hexdigest(), n))',
].join('\n')

function psqlRead(database: string, port?: number): RemoteCommand {
  const portArgs = port ? ['-p', String(port)] : []
  return command(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...portArgs, '-d', database, '-f', '-'])
}

/**
 * stdin: copyOutSql with its variables (psqlInput). With `send`, the rows go through the
 * hasher into the compressor to stdout; without, only the hasher's line comes out (stderr):
 * the pass that tells whether the table changed since the last backup.
 */
export function copyOutCommand(database: string, options: {port?: number; send?: {codec: Codec; tools: HostTools}}): RemoteCommand {
  const hasher = command(['python3', '-c', CONTENT_HASHER, options.send ? 'tee' : 'hash'])
  const pipeline = options.send ? shell`${psqlRead(database, options.port)} <&3 | ${hasher} | ${compressor(options.send.codec, options.send.tools)}` : shell`${psqlRead(database, options.port)} <&3 | ${hasher}`
  return killableScript([shell`cd /`, KEEP_STDIN], pipeline)
}

/** The hasher's line on stderr: the table's content hash and its length, undefined when absent. */
export function parseContentLine(stderr: string): {sha256: string; bytes: number} | undefined {
  const match = /^odoops-content ([0-9a-f]{64}) (\d+)$/m.exec(stderr)
  return match ? {sha256: match[1], bytes: Number(match[2])} : undefined
}

/**
 * stdin: a stored table (compressed with `codec`) → COPY FROM STDIN into `database`. psql reads
 * the header (copyInSql, its names as -v variables), then the rows and the end marker, from
 * one input, as it reads a plain dump; ON_ERROR_STOP makes a bad row fail the command.
 */
export function copyInCommand(database: string, table: Pick<LargeTable, 'schema' | 'name' | 'columns'>, codec: Codec): RemoteCommand {
  const vars = Object.entries(tableVars(table)).flatMap(([k, v]) => ['-v', `${k}=${v}`])
  const psql = command(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...vars, '-d', database, '-f', '-'])
  const header = copyInSql(table.columns.length)
  return killableScript([shell`cd /`, KEEP_STDIN], shell`{ printf '%s\\n' ${header} && ${decompressor(codec)} <&3 && printf '\\\\.\\n'; } | ${psql}`)
}

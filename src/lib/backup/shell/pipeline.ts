import {command, script, shell, type RemoteCommand} from '../../ssh/quote.js'

/**
 * The commands a backup runs on the tenant's host (pure builders, unit tested).
 *
 * Compression happens on the host, beside the data: `pg_dump -Z0` (no zlib inside the
 * custom format; pg_dump's single-threaded zlib is what makes `pg_dump -Fc` slow) piped
 * through zstd with all cores when the host has it, otherwise pigz or gzip at level 1. The
 * custom format is kept (not plain SQL) so pg_restore can list, select and check it.
 */
export type Codec = 'zstd' | 'gzip'

export interface HostTools {
  zstd: boolean
  pigz: boolean
}

export const CODEC_EXTENSION: Record<Codec, string> = {zstd: 'zst', gzip: 'gz'}

export function chooseCodec(tools: HostTools): Codec {
  return tools.zstd ? 'zstd' : 'gzip'
}

/**
 * A script whose pipeline dies with it. Stopping a streaming command sends TERM to the
 * session's shell (OpenSSH "signal" request); a shell waiting for a foreground pipeline only
 * runs its traps after the pipeline ends, and pg_dump/tar blocked on a full channel never
 * would, so they would linger on the host. Run in the background and `wait` (which a trapped
 * signal interrupts), the trap kills the whole process group at once. The subshell keeps
 * pipefail, so `wait` returns the pipeline's failure.
 */
export function killableScript(setup: readonly RemoteCommand[], pipeline: RemoteCommand): RemoteCommand {
  return script([shell`trap 'trap - TERM HUP INT; kill -TERM 0 2>/dev/null; exit 143' TERM HUP INT`, ...setup, shell`( ${pipeline} ) & wait $!`])
}

/**
 * The compressor writing to stdout: zstd -T0 -1 (one worker per core), else pigz/gzip -1.
 * Level 1, not zstd's default 3: on a 2-core host the compressor competes with pg_dump, the
 * database server and the tenant's own Odoo; level 3 took twice the CPU for output within 1 %
 * of level 1's on bench/backup.ts's data (docs/backups.md, "Compression").
 */
export function compressor(codec: Codec, tools: HostTools): RemoteCommand {
  if (codec === 'zstd') return command(['zstd', '-T0', '-1', '-q', '-c'])
  return command([tools.pigz ? 'pigz' : 'gzip', '-1', '-c'])
}

/** The inverse of `compressor` (for verify and restore). */
export function decompressor(codec: Codec): RemoteCommand {
  return codec === 'zstd' ? command(['zstd', '-d', '-q', '-c']) : command(['gzip', '-d', '-c'])
}

/**
 * One probe of the host: pg_dump's version (Debian's pg_wrapper runs the newest installed
 * pg_dump), and which codecs exist. Lines: `pg_dump (PostgreSQL) 15.8 (Debian …)`, `zstd=0|1`, `pigz=0|1`, `python3=0|1`.
 */
export function probeCommand(): RemoteCommand {
  return script([
    shell`cd /`,
    shell`runuser -u postgres -- pg_dump --version`,
    shell`if command -v zstd >/dev/null 2>&1; then echo zstd=1; else echo zstd=0; fi`,
    shell`if command -v pigz >/dev/null 2>&1; then echo pigz=1; else echo pigz=0; fi`,
    shell`if command -v python3 >/dev/null 2>&1; then echo python3=1; else echo python3=0; fi`,
  ])
}

export interface ProbeResult extends HostTools {
  pgDumpVersion: string
  pgDumpMajor: number
  /** Large tables are stored by content only where python3 can hash their rows (shell/tables.ts). */
  python3: boolean
}

export function parseProbe(output: string): ProbeResult {
  const lines = output.split('\n').map((l) => l.trim())
  const dump = lines.find((l) => l.startsWith('pg_dump')) ?? ''
  const version = /\(PostgreSQL\)\s+(\S+)/.exec(dump)?.[1] ?? ''
  return {pgDumpVersion: version, pgDumpMajor: Number.parseInt(version, 10) || 0, zstd: lines.includes('zstd=1'), pigz: lines.includes('pigz=1'), python3: lines.includes('python3=1')}
}

/** Major of `server_version_num` (150008 → 15; 90624 → 9, whose major was 9.6). */
export function serverMajor(versionNum: number): number {
  return Math.floor(versionNum / 10000)
}

/** How long pg_dump waits for a table lock held by someone else (a module upgrade) before failing. */
export const LOCK_WAIT_TIMEOUT_S = 300

/**
 * `pg_dump --format=custom --no-owner -Z0` of `database` as the postgres superuser, compressed;
 * `set -o pipefail` (script()) makes a pg_dump failure fail the whole command although the
 * compressor exits 0. The database name is passed after `--` (never read as an option).
 */
export function dumpCommand(database: string, codec: Codec, tools: HostTools, options: {port?: number; snapshot?: string; excludeTableData?: readonly string[]} = {}): RemoteCommand {
  const port = options.port ? ['--port', String(options.port)] : []
  // --snapshot: the dump sees exactly the data of an exported snapshot (see snapshot.ts).
  if (options.snapshot) port.push(`--snapshot=${options.snapshot}`)
  // Large tables stored by content (shell/tables.ts): their definitions stay in the dump, their
  // rows do not. The names are plain (`schema.name` of [a-z0-9_]), so each pattern matches one table.
  for (const table of options.excludeTableData ?? []) port.push(`--exclude-table-data=${table}`)
  const dump = command(['runuser', '-u', 'postgres', '--', 'pg_dump', '--format=custom', '--no-owner', '-Z0', `--lock-wait-timeout=${LOCK_WAIT_TIMEOUT_S}s`, ...port, '--', database])
  return killableScript([shell`cd /`], shell`${dump} | ${compressor(codec, tools)}`)
}

/**
 * A tar of the filestore directory's content (entries `./ab/ab12…`, so it restores under any
 * database name), compressed. An absent directory (no attachment stored yet) gives an empty
 * archive. GNU tar exits 1 when a file changed while being read (Odoo may add attachments
 * meanwhile): that is accepted; 2 (fatal) fails the run.
 */
export function filestoreCommand(dir: string, codec: Codec, tools: HostTools): RemoteCommand {
  const tar = command(['tar', '--create', '--file=-', '--numeric-owner', '--warning=no-file-changed', '--warning=no-file-removed', '--directory', dir, '.'])
  const empty = command(['tar', '--create', '--file=-', '--files-from=/dev/null'])
  return killableScript([], shell`if [ -d ${dir} ]; then { ${tar} || [ $? -eq 1 ]; }; else ${empty}; fi | ${compressor(codec, tools)}`)
}

/** Number and total bytes of the files under `dir` ("0 0" when absent). printf %.0f: mawk's %d stops at 2^31. */
export function filestoreStatsCommand(dir: string): RemoteCommand {
  return script([shell`if [ -d ${dir} ]; then find ${dir} -type f -printf '%s\\n' | awk '{n++; s+=$1} END {printf "%.0f %.0f\\n", n, s}'; else echo '0 0'; fi`])
}

export function parseFilestoreStats(output: string): {files: number; bytes: number} {
  const [files, bytes] = output.trim().split(/\s+/).map(Number)
  return {files: Number.isFinite(files) ? files : 0, bytes: Number.isFinite(bytes) ? bytes : 0}
}

/** Odoo's filestore of a database: `<data_dir>/filestore/<db>` (odoo/tools/config.py filestore()). */
export function filestoreDir(dataDir: string, database: string): string {
  return `${dataDir.replace(/\/+$/, '')}/filestore/${database}`
}

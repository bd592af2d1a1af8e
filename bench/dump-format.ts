/**
 * bench/dump-format: which pg_dump format backs up (and verify restores) a tenant's database
 * faster on this machine (issue 21, "faster dumps"). Same database, same run, each variant
 * streamed over OpenSSH to a local file as `backup run` streams it:
 *
 *   custom    pg_dump --format=custom -Z0 | zstd -T0 -1            (what odoops does today)
 *   dir-zstd  pg_dump --format=directory --jobs N -Z0 into a directory on the host, then
 *             tar of it | zstd -T0 -1                                 (compression after the dump)
 *   dir-gzip  pg_dump --format=directory --jobs N -Z1 (each worker gzips its tables), then tar
 *
 * and for the restore side (what `backup verify` runs on the host): pg_restore of the custom
 * dump from stdin (one job: a stream cannot be restored in parallel), against the directory
 * untarred on the host and pg_restore --jobs N. The directory variants need the whole dump on
 * the host's disk first (printed), which the custom stream never does.
 *
 * The database has the shape of a busy Odoo database: eight tables of 30/20/15/10/10/5/5/5 %
 * of the size (mail_message, account_move_line, …), rows of 200–1800 characters of random
 * base64 and hex (poorly compressible, like bench/backup.ts), each table with its primary key.
 *
 *   npm run build && node --import tsx bench/dump-format.ts            (root, sandboxes needed)
 *   ODOOPS_BENCH_DB_MB=800 ODOOPS_BENCH_JOBS=2,4 ODOOPS_BENCH_RUNS=3 node --import tsx bench/dump-format.ts
 */
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {preparedHost, type PreparedHost} from '../test/helpers/prepared-host.js'
import {downAllSandboxes, sandboxesAvailable, sshRun} from '../test/helpers/sandbox.js'
import {remote, timedSsh} from './sandbox-io.js'
import {median} from './timed-cli.js'

const DB_MB = Number(process.env.ODOOPS_BENCH_DB_MB ?? 800)
const JOBS = (process.env.ODOOPS_BENCH_JOBS ?? '2,4').split(',').map(Number)
const RUNS = Number(process.env.ODOOPS_BENCH_RUNS ?? 3)
const SHARES = [0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05]
const DATABASE = 'bench_dump_format'
const MB = 1024 * 1024
const sec = (ms: number) => (ms / 1000).toFixed(2)
const mb = (bytes: number) => (bytes / MB).toFixed(1)

async function fill(host: PreparedHost): Promise<number> {
  const port = host.prepare.service.pgPort
  const psql = `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p ${port} -d ${DATABASE}`
  const slicer = 'BEGIN {srand(seed)} {L = length($0); p = 1; while (p <= L) {n = 200 + int(rand() * 1600); print substr($0, p, n); p += n}}'
  const lines = ['set -euo pipefail', 'cd /', `runuser -u postgres -- createdb -p ${port} -T template0 ${DATABASE}`, `cat > /root/bench-slice.awk <<'AWK'\n${slicer}\nAWK`]
  SHARES.forEach((share, i) => {
    const bytes = Math.round(DB_MB * share * MB)
    const b64 = Math.round(bytes * 0.7 * 0.75)
    const hex = Math.round((bytes * 0.3) / 2)
    lines.push(
      `${psql} -c 'CREATE TABLE bench_t${i} (id bigserial PRIMARY KEY, body text NOT NULL)'`,
      `{ head -c ${b64} /dev/urandom | base64 -w 65536; head -c ${hex} /dev/urandom | od -An -v -tx8 | tr -d ' \\n' | fold -w 65536; } | awk -v seed=${i} -f /root/bench-slice.awk | ${psql} -c 'COPY bench_t${i} (body) FROM STDIN'`,
    )
  })
  lines.push('rm -f /root/bench-slice.awk', `${psql} -c 'VACUUM ANALYZE' -c 'CHECKPOINT'`, 'sync', `${psql} -At -c "SELECT pg_database_size(current_database())"`)
  return Number((await remote(host.sandbox, lines.join('\n'))).trim().split('\n').at(-1))
}

interface Row {
  variant: string
  dumpMs: number
  bytes: number
  hostDiskBytes: number
  restoreMs: number
}

async function main(): Promise<void> {
  const support = sandboxesAvailable()
  if (!support.ok) throw new Error(`bench/dump-format needs sandboxes: ${support.reason}`)
  const scratch = mkdtempSync(join(tmpdir(), 'odoops-bench-dump-'))
  let host: PreparedHost | undefined
  try {
    host = await preparedHost('dfbench')
    const info = host.sandbox
    const port = host.prepare.service.pgPort
    const pg = (tool: string) => `runuser -u postgres -- ${tool} -p ${port}`
    const filling = performance.now()
    const dbBytes = await fill(host)
    const cores = (await sshRun(info, 'nproc')).stdout.trim()
    process.stdout.write(`Database ${DATABASE}: ${mb(dbBytes)} MB in ${SHARES.length} tables, filled in ${sec(performance.now() - filling)} s; host sees ${cores} CPU(s), this machine ${cpus().length}.\n`)
    // Warm the page cache once for every variant after it.
    await timedSsh(info, `cd / && ${pg('pg_dump')} -Fc -Z0 ${DATABASE} > /dev/null`, {})

    const restore = async (name: string, command: string, stdinFile?: string) => {
      await sshRun(info, `cd / && ${pg('dropdb')} --if-exists ${name} && ${pg('createdb')} -T template0 ${name}`)
      const ms = await timedSsh(info, command, stdinFile ? {stdinFile} : {})
      await sshRun(info, `cd / && ${pg('dropdb')} ${name}`)
      return ms
    }

    // Today: one stream, compressed on the host as it is written; restored from stdin.
    const custom = async (): Promise<Row> => {
      const file = join(scratch, 'custom.dump.zst')
      const dumpMs = await timedSsh(info, `cd / && ${pg('pg_dump')} --format=custom --no-owner -Z0 ${DATABASE} | zstd -T0 -1 -q -c`, {stdoutFile: file})
      const restoreMs = await restore('bench_restore_custom', `cd / && zstd -d -q -c | ${pg('pg_restore')} --exit-on-error --no-owner --no-privileges -d bench_restore_custom`, file)
      const bytes = statSync(file).size
      rmSync(file)
      return {variant: 'custom -Z0, then zstd (today)', dumpMs, bytes, hostDiskBytes: 0, restoreMs}
    }
    const directory = async (label: 'dir-zstd' | 'dir-gzip', jobs: number): Promise<Row> => {
      const file = join(scratch, `${label}-${jobs}.tar`)
      const dir = `/var/tmp/bench-dump-${label}-${jobs}`
      const [z, compress] = label === 'dir-zstd' ? ['-Z0', '| zstd -T0 -1 -q -c'] : ['-Z1', '']
      const dumpMs = await timedSsh(
        info,
        `cd / && rm -rf ${dir} && ${pg('pg_dump')} --format=directory --jobs=${jobs} --no-owner ${z} -f ${dir} ${DATABASE} && du -sb ${dir} | cut -f1 > ${dir}.size && tar -C ${dir} -cf - . ${compress} && rm -rf ${dir}`,
        {stdoutFile: file},
      )
      const hostDiskBytes = Number((await sshRun(info, `cat ${dir}.size; rm -f ${dir}.size`)).stdout.trim())
      const unpack = label === 'dir-zstd' ? 'zstd -d -q -c | tar -xf -' : 'tar -xf -'
      const name = `bench_restore_${label.replace('-', '_')}_${jobs}`
      const restoreMs = await restore(name, `cd / && rm -rf ${dir} && mkdir -p ${dir} && cd ${dir} && ${unpack} && chown -R postgres ${dir} && cd / && ${pg('pg_restore')} --exit-on-error --no-owner --no-privileges --jobs=${jobs} -d ${name} ${dir} && rm -rf ${dir}`, file)
      const bytes = statSync(file).size
      rmSync(file)
      return {variant: `${label} --jobs=${jobs}`, dumpMs, bytes, hostDiskBytes, restoreMs}
    }
    const variants: (() => Promise<Row>)[] = [custom, ...JOBS.flatMap((jobs) => [() => directory('dir-zstd', jobs), () => directory('dir-gzip', jobs)])]
    // Rounds, each variant once per round (load on the machine spreads over all of them); medians.
    const runs: Row[][] = variants.map(() => [])
    for (let round = 0; round < RUNS; round++) for (const [i, variant] of variants.entries()) runs[i].push(await variant())
    const rows: Row[] = runs.map((r) => ({...r[0], dumpMs: median(r.map((x) => x.dumpMs)), restoreMs: median(r.map((x) => x.restoreMs))}))

    const base = rows[0]
    process.stdout.write(`\n${RUNS} round(s), medians; a 2-core machine shared with other jobs.\n`)
    process.stdout.write('\n| variant | dump + transfer | vs today | stored | host disk during dump | restore (verify side) | vs today |\n|---|---|---|---|---|---|---|\n')
    for (const r of rows) {
      process.stdout.write(`| ${r.variant} | ${sec(r.dumpMs)} s | ${(r.dumpMs / base.dumpMs).toFixed(2)}× | ${mb(r.bytes)} MB | ${mb(r.hostDiskBytes)} MB | ${sec(r.restoreMs)} s | ${(r.restoreMs / base.restoreMs).toFixed(2)}× |\n`)
    }
  } finally {
    await downAllSandboxes()
    rmSync(scratch, {recursive: true, force: true})
    if (host) rmSync(dirname(host.env.ODOOPS_DATA_DIR), {recursive: true, force: true})
  }
}

await main()

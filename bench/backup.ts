/**
 * bench/backup: `odoops backup run` and `backup verify` on a sandbox tenant of about 1 GB
 * (and one of about 100 MB, to show that the CLI's memory does not grow with the tenant),
 * against the raw baseline in the same run:
 *
 *   - odoops `backup run <slug> --json`: wall time (spawn to exit, node start-up included),
 *     stored size (the dump, the manifest, and the blobs of attachments and large tables the run sent to the pool), peak RSS of the CLI process (ru_maxrss from `/usr/bin/time`);
 *   - raw: `ssh host pg_dump -Fc …` then `ssh host tar …`, both to local files on the same
 *     disk as odoops' backup target (OpenSSH client);
 *   - reference: `ssh host pg_dump -Fc -Z0 …` alone;
 *   - `backup verify <id>` against a raw `pg_restore` of the raw dump (streamed over OpenSSH)
 *     into a new database on the host;
 *   - temporary files on the host while `backup run` runs: /tmp, /var/tmp, /dev/shm and /root
 *     sampled every second, and every file created anywhere on the host's root file system
 *     outside PostgreSQL's data directory and /var/log (find -newer a marker).
 *
 * The tenant's data is generated on the host: a table of text rows of 200–1800 characters
 * (70 % base64 and 30 % hex of /dev/urandom: varied, poorly compressible) loaded by COPY, and
 * attachments of 20–200 KiB of random bytes stored the way Odoo stores them
 * (`<data_dir>/filestore/<db>/<sha1[:2]>/<sha1>`, one ir_attachment row each).
 *
 *   npx tsc -p tsconfig.json && npx oclif manifest && node .ci/sort-manifest.mjs
 *   node --import tsx bench/backup.ts                         (root, sandboxes needed)
 *   ODOOPS_BENCH_SIZES=100,1000 ODOOPS_BENCH_RUNS=3 node --import tsx bench/backup.ts
 *   ODOOPS_BENCH_SIZES=1000 ODOOPS_BENCH_FILESTORE_SHARE=0.8 node --import tsx bench/backup.ts   (attachments 80 %)
 *
 * Targets (issue 5): wall ≤ 0.5× the raw baseline, stored size ≤ 1.1× the baseline's, peak
 * RSS ≤ 150 MB and the same for 100 MB and 1 GB, verify ≤ 1.25× a raw pg_restore, no
 * temporary file on the host.
 */
import {execa} from 'execa'
import {spawn} from 'node:child_process'
import {createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {pipeline} from 'node:stream/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {BIN, runCli} from '../test/helpers/cli.js'
import {preparedHost, type PreparedHost} from '../test/helpers/prepared-host.js'
import {downAllSandboxes, sandboxesAvailable, sshArgs, sshRun, type SandboxInfo} from '../test/helpers/sandbox.js'
import {DigestStream} from '../src/lib/backup/digest.js'
import {compressor, dumpCommand} from '../src/lib/backup/shell/pipeline.js'
import {restoreCommand} from '../src/lib/backup/shell/verify.js'
import {median} from './timed-cli.js'
import {remote, timedSsh} from './sandbox-io.js'

/** Tenant sizes in MB (database text ≈ 78 %, attachments ≈ 22 %, unless ODOOPS_BENCH_FILESTORE_SHARE says otherwise). */
const SIZES = (process.env.ODOOPS_BENCH_SIZES ?? '100,1000').split(',').map(Number)
/**
 * The attachments' share of the tenant (default 0.22). A tenant whose filestore dominates
 * (0.8: the issue's "5 GB of attachments" kind) shows what storing by content saves; the
 * default shape is database-heavy, where every backup's full dump sets the pace.
 */
const FILESTORE_SHARE = Number(process.env.ODOOPS_BENCH_FILESTORE_SHARE ?? 0.22)
const RUNS = Number(process.env.ODOOPS_BENCH_RUNS ?? 1)
/** Also time the phases of backup run and verify one by one (odoops' own remote commands, over OpenSSH). */
const PROFILE = process.env.ODOOPS_BENCH_PROFILE === '1'
const HOST = 'bkbench'
const MB = 1024 * 1024
/**
 * Issue 5's targets, and issue 21's (filestore by content): the first backup's wall against the
 * raw baseline; a second backup after 1 % of the attachments changed stores at most 5 % of the
 * first one's filestore bytes in at most half its time; verify no slower than a raw restore.
 */
const TARGET = {wall: 0.25, size: 1.1, rssMb: 150, verify: 1.0, secondStored: 0.05, secondWall: 0.5}
/** Share of the attachments replaced between the first and the second backup. */
const CHANGED = 0.01

interface TenantData {
  slug: string
  database: string
  filestore: string
  sizeMb: number
  dbBytes: number
  files: number
  fileBytes: number
}

interface Measured {
  tenant: TenantData
  run: {wallMs: number; cpuMs: number; cpuByThread: Map<string, number>; rssKb: number; rssCurveKb: number[]; storedBytes: number; id: string; codec: string}
  raw: {dumpMs: number; tarMs: number; dumpBytes: number; tarBytes: number}
  z0: {ms: number; bytes: number}
  verify: {wallMs: number; cpuMs: number; cpuByThread: Map<string, number>; rssKb: number; status: string; durationMs: number}
  restore: {ms: number}
  /** The first backup's filestore as blobs (all sent: the pool was empty). */
  firstBlobs: {files: number; bytes: number; sent: number; sentBytes: number}
  /** Large tables stored by content (docs/backups.md): how many, and what the run sent. */
  firstTables?: {count: number; bytes: number; sent: number; sentBytes: number}
  /** A third run after one row of the large table changed (not a target). */
  tableChanged?: {wallMs: number; rssKb: number; tables?: {count: number; bytes: number; sent: number; sentBytes: number}}
  /** A second backup after CHANGED of the attachments were replaced (removed ones gone, new ones added). */
  second: {wallMs: number; cpuMs: number; cpuByThread: Map<string, number>; rssKb: number; storedBytes: number; changedFiles: number; blobs: {files: number; bytes: number; sent: number; sentBytes: number}; tables?: {count: number; bytes: number; sent: number; sentBytes: number}}
  temp: {peakTempGrowth: number; newFiles: string[]; newBytes: number; samples: number}
  /** Phase timings (ODOOPS_BENCH_PROFILE=1). */
  profile?: [string, number][]
}

const mb = (bytes: number) => (bytes / MB).toFixed(1)
const sec = (ms: number) => (ms / 1000).toFixed(2)

/**
 * CPU milliseconds (user + system) of each thread of a process, keyed by thread id with its
 * kind: `main`, `pool` (libuv's thread pool: file I/O), `V8 DefaultWorke` (the garbage
 * collector's helpers) and the like; empty once the process is gone.
 */
function threadCpuMs(pid: number): Map<string, {name: string; ms: number}> {
  const threads = new Map<string, {name: string; ms: number}>()
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      // Node 20's thread-pool threads carry the process's name: tell the main thread by its id.
      const name = tid === String(pid) ? 'main' : comm === 'node' ? 'pool' : comm
      // Fields after the name: state is 3rd, utime 14th and stime 15th of the whole line (clock ticks of 10 ms).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      threads.set(tid, {name, ms: (Number(fields[11]) + Number(fields[12])) * 10})
    }
  } catch {
    // gone (or a thread ended between listing and reading): the last sample stands
  }
  return threads
}

/** Resident set size of a process in KiB (VmRSS), undefined once it is gone. */
function vmRssKb(pid: number): number | undefined {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
  } catch {
    return undefined
  }
}

/**
 * The CLI under /usr/bin/time: wall (spawn to exit), CPU time of the node process (user +
 * system, `%U %S`: what it takes from the cores the host's pg_dump and zstd also need), peak
 * RSS in KiB (ru_maxrss, `%M`), and its RSS sampled every 250 ms from /proc (to see whether it plateaus).
 */
async function timedCliWithRss(env: Record<string, string>, args: string[], scratch: string) {
  const timeFile = join(scratch, 'time.txt')
  const started = performance.now()
  // ODOOPS_BENCH_CPU_PROF=<dir>: each CLI run writes a V8 CPU profile there (where its time goes).
  const prof = process.env.ODOOPS_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.ODOOPS_BENCH_CPU_PROF] : []
  // As a user runs it: the executable itself, so its #! line's node flags apply.
  const command = prof.length > 0 ? ['node', ...prof, BIN] : [BIN]
  const child = execa('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, ...command, ...args, '--json'], {env: {...env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
  const curve: [number, number][] = []
  const threads = new Map<string, {name: string; ms: number}>()
  let nodePid: number | undefined
  const sampler = setInterval(() => {
    if (nodePid) for (const [tid, cpu] of threadCpuMs(nodePid)) threads.set(tid, cpu)
    if (nodePid === undefined && child.pid) {
      try {
        nodePid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]) || undefined
      } catch {
        // no child yet: sample again on the next tick
      }
    }
    const rss = nodePid ? vmRssKb(nodePid) : undefined
    if (rss) curve.push([performance.now() - started, rss])
  }, 250)
  const result = await child
  clearInterval(sampler)
  const wallMs = performance.now() - started
  if (result.exitCode !== 0) throw new Error(`odoops ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`)
  const [user, system, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number)
  const cpuMs = (user + system) * 1000
  // RSS at 25/50/75 % of the run's duration: a flat line means memory does not grow with the data.
  const at = (fraction: number) => curve.find(([t]) => t >= wallMs * fraction)?.[1] ?? 0
  // CPU by kind of thread, as last sampled (up to 250 ms before the end).
  const cpuByThread = new Map<string, number>()
  for (const {name, ms} of threads.values()) cpuByThread.set(name, (cpuByThread.get(name) ?? 0) + ms)
  return {wallMs, cpuMs, cpuByThread, rssKb, rssCurveKb: [at(0.25), at(0.5), at(0.75)], json: JSON.parse(result.stdout)}
}

/** Creates a tenant and fills it: text rows by COPY, attachments in Odoo's filestore layout. */
async function fillTenant(host: PreparedHost, sizeMb: number, creds: string): Promise<TenantData> {
  const slug = `bkb-${sizeMb}`
  const created = await runCli(['tenant', 'create', slug, '--host', host.host, '--domain', `${slug}.bench.test`, '--json', '--credentials-file', join(creds, slug)], {env: host.env, timeoutMs: 600_000})
  if (created.code !== 0) throw new Error(`tenant create ${slug} failed:\n${created.stdout}\n${created.stderr}`)
  const database = created.json.tenant.database as string
  const dataDir = (created.json.tenant.service?.dataDir as string | undefined) ?? host.prepare.service.dataDir
  const filestore = `${dataDir}/filestore/${database}`
  const port = host.prepare.service.pgPort
  const text = sizeMb * (1 - FILESTORE_SHARE) * MB
  const b64Random = Math.round(text * 0.7 * 0.75)
  const hexRandom = Math.round((text * 0.3) / 2)
  // Attachments average 110 KiB (20–200 KiB): 2 per MB of tenant at the default share.
  const attachments = Math.round((sizeMb * FILESTORE_SHARE) / 0.11)
  // Rows of 200–1800 characters sliced from long random lines (mawk; position-based substr keeps it linear).
  const slicer = 'BEGIN {srand(seed)} {L = length($0); p = 1; while (p <= L) {n = 200 + int(rand() * 1600); print kind "\\t" substr($0, p, n); p += n}}'
  const generator = [
    'import datetime, hashlib, os, random, sys',
    'store, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]',
    'random.seed(count)',
    'stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")',
    'with open(out, "w") as sql:',
    '    sql.write("COPY ir_attachment (name, type, res_model, res_id, store_fname, checksum, file_size, mimetype, create_date, write_date) FROM stdin;\\n")',
    '    for i in range(count):',
    '        size = random.randint(20 * 1024, 200 * 1024)',
    '        data = os.urandom(size)',
    '        sha = hashlib.sha1(data).hexdigest()',
    '        os.makedirs(os.path.join(store, sha[:2]), exist_ok=True)',
    '        path = os.path.join(store, sha[:2], sha)',
    '        with open(path, "wb") as f:',
    '            f.write(data)',
    '        os.chmod(path, 0o640)',
    '        sql.write(f"bench-{i}.bin\\tbinary\\tres.partner\\t1\\t{sha[:2]}/{sha}\\t{sha}\\t{size}\\tapplication/octet-stream\\t{stamp}\\t{stamp}\\n")',
    '    sql.write("\\\\.\\n")',
  ].join('\n')
  const psql = `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p ${port} -d '${database}'`
  const fill = [
    'set -euo pipefail',
    'cd /',
    `cat > /root/bench-gen.py <<'PY'\n${generator}\nPY`,
    `${psql} -c 'CREATE TABLE bench_document (id bigserial PRIMARY KEY, kind varchar NOT NULL, body text NOT NULL)'`,
    `cat > /root/bench-slice.awk <<'AWK'\n${slicer}\nAWK`,
    `head -c ${b64Random} /dev/urandom | base64 -w 65536 | awk -v kind=b64 -v seed=${sizeMb} -f /root/bench-slice.awk | ${psql} -c 'COPY bench_document (kind, body) FROM STDIN'`,
    `head -c ${hexRandom} /dev/urandom | od -An -v -tx8 | tr -d ' \\n' | fold -w 65536 | awk -v kind=hex -v seed=${sizeMb + 1} -f /root/bench-slice.awk | ${psql} -c 'COPY bench_document (kind, body) FROM STDIN'`,
    `mkdir -p '${filestore}'`,
    `python3 /root/bench-gen.py '${filestore}' ${attachments} /root/bench-attachments.sql`,
    `chown -R odoo:odoo '${dataDir}/filestore'`,
    `${psql} < /root/bench-attachments.sql`,
    'rm -f /root/bench-gen.py /root/bench-attachments.sql /root/bench-slice.awk',
    `${psql} -c 'VACUUM ANALYZE bench_document' -c 'CHECKPOINT'`,
    'sync',
    `${psql} -At -c "SELECT pg_database_size(current_database())"`,
    `find '${filestore}' -type f -printf '%s\\n' | awk '{n++; s+=$1} END {printf "%.0f %.0f\\n", n, s}'`,
  ].join('\n')
  const out = (await remote(host.sandbox, fill)).trim().split('\n')
  const [files, fileBytes] = out.at(-1)!.split(' ').map(Number)
  return {slug, database, filestore, sizeMb, dbBytes: Number(out.at(-2)), files, fileBytes}
}

/**
 * Watches the host while `body` runs: bytes under the usual temporary directories (sampled
 * every second; growth over the first sample) and, at the end, every file newer than a marker
 * on the root file system outside PostgreSQL's data directory and /var/log.
 */
async function watchHostTemp<R>(info: SandboxInfo, body: () => Promise<R>): Promise<{result: R; peakTempGrowth: number; newFiles: string[]; newBytes: number; samples: number}> {
  const marker = '/run/odoops-bench-marker'
  await sshRun(info, `touch ${marker}; sleep 1`)
  const sampler = spawn('ssh', [...sshArgs(info), "while :; do du -sbxc /tmp /var/tmp /dev/shm /root 2>/dev/null | tail -n 1 | cut -f1; sleep 1; done"], {stdio: ['ignore', 'pipe', 'ignore']})
  let lines = ''
  sampler.stdout.on('data', (chunk: Buffer) => (lines += chunk.toString()))
  try {
    const result = await body()
    await new Promise((resolve) => setTimeout(resolve, 1200))
    const found = await sshRun(info, `find / -xdev -type f -newer ${marker} -not -path '/var/lib/postgresql/*' -not -path '/var/log/*' -printf '%s %p\\n'`)
    const newFiles = found.stdout.trim().split('\n').filter(Boolean)
    const newBytes = newFiles.reduce((sum, line) => sum + Number(line.split(' ')[0]), 0)
    const samples = lines.trim().split('\n').filter(Boolean).map(Number)
    const peakTempGrowth = samples.length ? Math.max(...samples) - samples[0] : 0
    return {result, peakTempGrowth, newFiles, newBytes, samples: samples.length}
  } finally {
    sampler.kill()
  }
}

/**
 * Where the time of `backup run` and `backup verify` goes: each phase run alone with the very
 * commands odoops sends (RemoteCommand.text), but over OpenSSH, and the local checksum pass
 * with odoops' DigestStream. The backup's stored files are read from the default target.
 */
async function profile(host: PreparedHost, tenant: TenantData, backup: {id: string; codec: 'zstd' | 'gzip'; files: {role: string; name: string}[]}, inProcessMs: number): Promise<[string, number][]> {
  const info = host.sandbox
  const port = host.prepare.service.pgPort
  const dir = join(host.env.ODOOPS_DATA_DIR, 'backups', tenant.slug, backup.id)
  const file = (role: string) => join(dir, backup.files.find((f) => f.role === role)!.name)
  const phases: [string, number][] = []
  const time = async (label: string, fn: () => Promise<unknown>) => {
    const started = performance.now()
    await fn()
    phases.push([label, performance.now() - started])
  }
  const ssh = async (cmd: string) => {
    const result = await sshRun(info, cmd, {timeoutMs: 1_800_000})
    if (result.exitCode !== 0) throw new Error(`profile: ${cmd.slice(0, 200)} failed: ${result.stderr}`)
  }
  const tools = {zstd: backup.codec === 'zstd', pigz: false}
  await time('run: CLI start-up (odoops backup list --json)', () => execa('node', [BIN, 'backup', 'list', tenant.slug, '--json'], {env: {...host.env, NO_COLOR: '1'}, stdin: 'ignore'}))
  phases.push(['run: in-process duration (result durationMs)', inProcessMs])
  await time('run: host only, dump | zstd > /dev/null', () => ssh(`${dumpCommand(tenant.database, backup.codec, tools, {port}).text} > /dev/null`))
  await time('run: host only, tar | zstd > /dev/null', () => ssh(`tar -C '${tenant.filestore}' -cf - . | ${compressor(backup.codec, tools).text} > /dev/null`))
  await time('verify: checksums (local re-read, SHA-256)', async () => {
    for (const f of backup.files) await pipeline(createReadStream(join(dir, f.name)), new DigestStream(), async (chunks: AsyncIterable<Buffer>) => {
      for await (const _ of chunks);
    })
  })
  const db = 'odoops_verify_bench'
  await time('verify: createdb', () => ssh(`cd / && runuser -u postgres -- createdb -p ${port} -T template0 ${db}`))
  await time('verify: zstd -d | pg_restore (OpenSSH)', () => timedSsh(info, restoreCommand(db, backup.codec).text, {stdinFile: file('database')}))
  await time('verify: drop scratch database', () => ssh(`cd / && runuser -u postgres -- dropdb -p ${port} ${db}`))
  return phases
}

/**
 * Replaces `fraction` of the tenant's attachments the way Odoo changes a filestore: attachments
 * deleted (row and file) and new ones added (new files named by their SHA-1, new rows); Odoo
 * never rewrites a file in place. Returns how many were added.
 */
async function replaceAttachments(host: PreparedHost, tenant: TenantData, fraction: number): Promise<number> {
  const count = Math.max(1, Math.round(tenant.files * fraction))
  const port = host.prepare.service.pgPort
  const psql = `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p ${port} -d '${tenant.database}'`
  const generator = [
    'import datetime, hashlib, os, random, sys',
    'store, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]',
    'stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")',
    'with open(out, "w") as sql:',
    '    sql.write("COPY ir_attachment (name, type, res_model, res_id, store_fname, checksum, file_size, mimetype, create_date, write_date) FROM stdin;\\n")',
    '    for i in range(count):',
    '        data = os.urandom(random.randint(20 * 1024, 200 * 1024))',
    '        sha = hashlib.sha1(data).hexdigest()',
    '        os.makedirs(os.path.join(store, sha[:2]), exist_ok=True)',
    '        with open(os.path.join(store, sha[:2], sha), "wb") as f:',
    '            f.write(data)',
    '        sql.write(f"bench-new-{sha[:8]}.bin\\tbinary\\tres.partner\\t1\\t{sha[:2]}/{sha}\\t{sha}\\t{len(data)}\\tapplication/octet-stream\\t{stamp}\\t{stamp}\\n")',
    '    sql.write("\\\\.\\n")',
  ].join('\n')
  await remote(host.sandbox, [
    'set -euo pipefail',
    'cd /',
    // The removed attachments: rows first, then their files (as Odoo's garbage collector does).
    `${psql} -At -c "DELETE FROM ir_attachment WHERE id IN (SELECT id FROM ir_attachment WHERE name LIKE 'bench-%' ORDER BY random() LIMIT ${count}) RETURNING store_fname" > /root/bench-removed.txt`,
    `while read -r f; do rm -f '${tenant.filestore}'/"$f"; done < /root/bench-removed.txt`,
    `cat > /root/bench-new.py <<'PY'\n${generator}\nPY`,
    `python3 /root/bench-new.py '${tenant.filestore}' ${count} /root/bench-new.sql`,
    `chown -R odoo:odoo '${tenant.filestore}'`,
    `${psql} < /root/bench-new.sql`,
    'rm -f /root/bench-new.py /root/bench-new.sql /root/bench-removed.txt',
    'sync',
  ].join('\n'))
  return count
}

async function measure(host: PreparedHost, tenant: TenantData, scratch: string): Promise<Measured> {
  const info = host.sandbox
  const port = host.prepare.service.pgPort
  const dump = (z: string) => `cd / && runuser -u postgres -- pg_dump --format=custom --no-owner ${z} -p ${port} -- '${tenant.database}'`
  const rawDump = join(scratch, `${tenant.slug}.dump`)
  const rawTar = join(scratch, `${tenant.slug}.tar`)
  const z0File = join(scratch, `${tenant.slug}.z0.dump`)
  // Each run's first backup starts from an empty blob pool (earlier runs' backups left blobs there).
  rmSync(join(host.env.ODOOPS_DATA_DIR, 'backups', 'odoops_blobs'), {recursive: true, force: true})

  // Reference first (it also warms the page cache for everything after it).
  const z0Ms = await timedSsh(info, dump('-Z0'), {stdoutFile: z0File})
  const z0 = {ms: z0Ms, bytes: statSync(z0File).size}
  rmSync(z0File)

  // Raw baseline: what a shell script does, one after the other.
  const dumpMs = await timedSsh(info, dump(''), {stdoutFile: rawDump})
  const tarMs = await timedSsh(info, `tar -C '${tenant.filestore}' -cf - .`, {stdoutFile: rawTar})
  const raw = {dumpMs, tarMs, dumpBytes: statSync(rawDump).size, tarBytes: statSync(rawTar).size}
  rmSync(rawTar)

  const watched = await watchHostTemp(info, () => timedCliWithRss(host.env, ['backup', 'run', tenant.slug], scratch))
  const result = watched.result.json.results[0]
  if (!result.ok) throw new Error(`backup run ${tenant.slug}: ${JSON.stringify(result.error)}`)
  const run = {wallMs: watched.result.wallMs, cpuMs: watched.result.cpuMs, cpuByThread: watched.result.cpuByThread, rssKb: watched.result.rssKb, rssCurveKb: watched.result.rssCurveKb, storedBytes: (result.backup.totalBytes as number) + (result.backup.blobs.sentBytes as number) + ((result.backup.tables?.sentBytes as number | undefined) ?? 0), id: result.backup.id as string, codec: result.backup.codec as string}

  // Raw restore: the raw dump streamed over OpenSSH into pg_restore, a new database (same pg_restore flags as verify).
  const restoreDb = `bench_raw_restore_${tenant.sizeMb}`
  const restoreMs = await timedSsh(
    info,
    `cd / && runuser -u postgres -- createdb -p ${port} -T template0 ${restoreDb} && runuser -u postgres -- pg_restore --exit-on-error --no-owner --no-privileges -p ${port} -d ${restoreDb}`,
    {stdinFile: rawDump},
  )
  await sshRun(info, `cd / && runuser -u postgres -- dropdb -p ${port} ${restoreDb}`)
  rmSync(rawDump)

  const verified = await timedCliWithRss(host.env, ['backup', 'verify', run.id], scratch)
  const item = verified.json.results[0]
  const verify = {wallMs: verified.wallMs, cpuMs: verified.cpuMs, cpuByThread: verified.cpuByThread, rssKb: verified.rssKb, status: item.result?.status ?? `error ${item.error?.code}`, durationMs: item.result?.durationMs ?? 0}
  if (verify.status !== 'verified') process.stdout.write(`  ! verify of ${run.id}: ${JSON.stringify(item)}\n`)

  const phases = PROFILE ? await profile(host, tenant, result.backup, result.durationMs) : undefined

  // The second backup: CHANGED of the attachments replaced since the first.
  const changedFiles = await replaceAttachments(host, tenant, CHANGED)
  const again = await timedCliWithRss(host.env, ['backup', 'run', tenant.slug], scratch)
  const next = again.json.results[0]
  if (!next.ok) throw new Error(`second backup run ${tenant.slug}: ${JSON.stringify(next.error)}`)
  const second = {wallMs: again.wallMs, cpuMs: again.cpuMs, cpuByThread: again.cpuByThread, rssKb: again.rssKb, storedBytes: (next.backup.totalBytes as number) + (next.backup.blobs.sentBytes as number) + ((next.backup.tables?.sentBytes as number | undefined) ?? 0), changedFiles, blobs: next.backup.blobs, tables: next.backup.tables}

  // Not a target, the other side of storing tables by content: one row of the large table
  // changed, so its rows travel again, whole (docs/backups.md, "Large tables stored by content").
  await remote(host.sandbox, ['set -euo pipefail', 'cd /', `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p ${port} -d '${tenant.database}' -c "UPDATE bench_document SET kind = 'changed' WHERE id = 1"`, 'sleep 1'].join('\n'))
  const thirdRun = await timedCliWithRss(host.env, ['backup', 'run', tenant.slug], scratch)
  const thirdItem = thirdRun.json.results[0]
  if (!thirdItem.ok) throw new Error(`third backup run ${tenant.slug}: ${JSON.stringify(thirdItem.error)}`)
  const tableChanged = {wallMs: thirdRun.wallMs, rssKb: thirdRun.rssKb, tables: thirdItem.backup.tables as Measured['firstTables']}
  return {...(phases ? {profile: phases} : {}), tenant, run, raw, z0, verify, restore: {ms: restoreMs}, firstBlobs: result.backup.blobs, ...(result.backup.tables ? {firstTables: result.backup.tables} : {}), second, tableChanged, temp: {peakTempGrowth: watched.peakTempGrowth, newFiles: watched.newFiles, newBytes: watched.newBytes, samples: watched.samples}}
}

/** Median of each figure over the runs (the runs' first tenant data is the same). */
function medianOf(runs: Measured[]): Measured {
  const m = (f: (x: Measured) => number) => median(runs.map(f))
  const first = runs[0]
  return {
    ...(first.profile ? {profile: first.profile} : {}),
    tenant: first.tenant,
    run: {...first.run, wallMs: m((x) => x.run.wallMs), cpuMs: m((x) => x.run.cpuMs), rssKb: Math.max(...runs.map((x) => x.run.rssKb)), storedBytes: m((x) => x.run.storedBytes)},
    raw: {dumpMs: m((x) => x.raw.dumpMs), tarMs: m((x) => x.raw.tarMs), dumpBytes: first.raw.dumpBytes, tarBytes: first.raw.tarBytes},
    z0: {ms: m((x) => x.z0.ms), bytes: first.z0.bytes},
    verify: {...first.verify, wallMs: m((x) => x.verify.wallMs), cpuMs: m((x) => x.verify.cpuMs), rssKb: Math.max(...runs.map((x) => x.verify.rssKb)), durationMs: m((x) => x.verify.durationMs)},
    restore: {ms: m((x) => x.restore.ms)},
    firstBlobs: first.firstBlobs,
    ...(first.firstTables ? {firstTables: first.firstTables} : {}),
    ...(first.tableChanged ? {tableChanged: {...first.tableChanged, wallMs: m((x) => x.tableChanged?.wallMs ?? 0)}} : {}),
    second: {...first.second, wallMs: m((x) => x.second.wallMs), cpuMs: m((x) => x.second.cpuMs), rssKb: Math.max(...runs.map((x) => x.second.rssKb)), storedBytes: m((x) => x.second.storedBytes)},
    temp: {peakTempGrowth: Math.max(...runs.map((x) => x.temp.peakTempGrowth)), newFiles: runs.flatMap((x) => x.temp.newFiles), newBytes: Math.max(...runs.map((x) => x.temp.newBytes)), samples: runs.reduce((s, x) => s + x.temp.samples, 0)},
  }
}

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'info' : ok ? 'PASS' : 'MISS')

function report(all: Measured[]): string {
  const rows: string[] = []
  const line = (label: string, ...cells: string[]) => rows.push(`${label.padEnd(56)}${cells.map((c) => c.padStart(12)).join('')}`)
  for (const x of all) {
    const t = x.tenant
    const rawWall = x.raw.dumpMs + x.raw.tarMs
    const rawSize = x.raw.dumpBytes + x.raw.tarBytes
    rows.push('', `Tenant ${t.slug} (~${t.sizeMb} MB): database ${mb(t.dbBytes)} MB on disk (pg_database_size), ${t.files} attachments ${mb(t.fileBytes)} MB; codec ${x.run.codec}`)
    line('', 'wall s', 'stored MB', 'peak RSS MB', 'CPU s')
    line('odoops backup run --json', sec(x.run.wallMs), mb(x.run.storedBytes), (x.run.rssKb / 1024).toFixed(1), sec(x.run.cpuMs))
    const threads = (cpu: Map<string, number>) => [...cpu].sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${sec(ms)}`).join(', ')
    rows.push(`  its CPU s by thread: ${threads(x.run.cpuByThread)}`)
    line('  RSS at 25 / 50 / 75 % of the run (VmRSS, MB)', '', '', x.run.rssCurveKb.map((k) => (k / 1024).toFixed(0)).join(' / '))
    line('raw: ssh pg_dump -Fc + ssh tar (sequential)', sec(rawWall), mb(rawSize), '-')
    line('  ssh pg_dump -Fc --no-owner > file', sec(x.raw.dumpMs), mb(x.raw.dumpBytes), '-')
    line('  ssh tar -cf - . > file', sec(x.raw.tarMs), mb(x.raw.tarBytes), '-')
    line('reference: ssh pg_dump -Fc -Z0 > file', sec(x.z0.ms), mb(x.z0.bytes), '-')
    line('odoops backup verify --json', sec(x.verify.wallMs), x.verify.status, (x.verify.rssKb / 1024).toFixed(1), sec(x.verify.cpuMs))
    rows.push(`  its CPU s by thread: ${threads(x.verify.cpuByThread)}`)
    line('raw: ssh createdb + pg_restore < raw dump', sec(x.restore.ms), '-', '-')
    line(`  first backup's filestore: ${x.firstBlobs.files} files, ${x.firstBlobs.sent} blobs sent`, '', mb(x.firstBlobs.sentBytes), '')
    if (x.firstTables) line(`  first backup's large tables: ${x.firstTables.count}, ${x.firstTables.sent} sent`, '', mb(x.firstTables.sentBytes), '')
    line(`second backup run (${x.second.changedFiles} attachments replaced)`, sec(x.second.wallMs), mb(x.second.storedBytes), (x.second.rssKb / 1024).toFixed(1), sec(x.second.cpuMs))
    rows.push(`  its CPU s by thread: ${threads(x.second.cpuByThread)}`)
    line(`  its filestore: ${x.second.blobs.files} files, ${x.second.blobs.sent} blobs sent`, '', mb(x.second.blobs.sentBytes), '')
    if (x.second.tables) line(`  its large tables: ${x.second.tables.count}, ${x.second.tables.sent} sent (unchanged ones hashed on the host)`, '', mb(x.second.tables.sentBytes), '')
    if (x.tableChanged) line(`third backup run (one row of the large table changed)`, sec(x.tableChanged.wallMs), mb(x.tableChanged.tables?.sentBytes ?? 0), (x.tableChanged.rssKb / 1024).toFixed(1))
    for (const [label, ms] of x.profile ?? []) line(`  profile ${label}`, sec(ms))
    rows.push(`host temp during backup run: /tmp+/var/tmp+/dev/shm+/root grew by at most ${x.temp.peakTempGrowth} B over ${x.temp.samples} samples; ${x.temp.newFiles.length} file(s), ${x.temp.newBytes} B created outside PostgreSQL's data dir and /var/log${x.temp.newFiles.length ? `: ${x.temp.newFiles.slice(0, 5).join(', ')}` : ''}`)
  }
  rows.push('', 'Targets'.padEnd(56) + 'figure'.padStart(16) + 'target'.padStart(12) + ''.padStart(6))
  const target = (label: string, figure: string, goal: string, ok: boolean | undefined) => rows.push(`${label.padEnd(56)}${figure.padStart(16)}${goal.padStart(12)}${verdict(ok).padStart(6)}`)
  // Wall, size and verify targets are set for the ~1 GB tenant (issue 5); on smaller ones the
  // fixed costs (node start-up, SSH handshake, probe, manifest) weigh more: shown as info.
  const largest = Math.max(...all.map((x) => x.tenant.sizeMb))
  for (const x of all) {
    const rawWall = x.raw.dumpMs + x.raw.tarMs
    const rawSize = x.raw.dumpBytes + x.raw.tarBytes
    const s = `[${x.tenant.sizeMb} MB]`
    const sized = (ok: boolean) => (x.tenant.sizeMb === largest ? ok : undefined)
    target(`${s} wall odoops / raw baseline`, `${(x.run.wallMs / rawWall).toFixed(2)}x`, `<= ${TARGET.wall}x`, sized(x.run.wallMs / rawWall <= TARGET.wall))
    target(`${s} stored size odoops / raw baseline`, `${(x.run.storedBytes / rawSize).toFixed(3)}x`, `<= ${TARGET.size}x`, sized(x.run.storedBytes / rawSize <= TARGET.size))
    target(`${s} peak RSS of backup run`, `${(x.run.rssKb / 1024).toFixed(1)} MB`, `<= ${TARGET.rssMb} MB`, x.run.rssKb / 1024 <= TARGET.rssMb)
    target(`${s} verify / raw pg_restore`, `${(x.verify.wallMs / x.restore.ms).toFixed(2)}x`, `<= ${TARGET.verify}x`, sized(x.verify.wallMs / x.restore.ms <= TARGET.verify && x.verify.status === 'verified'))
    target(`${s} second backup: filestore bytes sent / first's`, `${((100 * x.second.blobs.sentBytes) / Math.max(1, x.firstBlobs.bytes)).toFixed(2)} %`, `<= ${100 * TARGET.secondStored} %`, x.second.blobs.sentBytes <= TARGET.secondStored * x.firstBlobs.bytes)
    target(`${s} second backup wall / first's`, `${(x.second.wallMs / x.run.wallMs).toFixed(2)}x`, `<= ${TARGET.secondWall}x`, sized(x.second.wallMs / x.run.wallMs <= TARGET.secondWall))
    target(`${s} temporary files on the host`, `${x.temp.newBytes + Math.max(0, x.temp.peakTempGrowth)} B`, '0 B', x.temp.newFiles.length === 0 && x.temp.peakTempGrowth <= 0)
  }
  if (all.length > 1) {
    const rss = all.map((x) => x.run.rssKb / 1024)
    const spread = Math.max(...rss) - Math.min(...rss)
    // "The same": within 10 % of the smaller figure (allocator and GC timing vary from run to run).
    target(`peak RSS ${all.map((x) => `${x.tenant.sizeMb} MB`).join(' vs ')}`, rss.map((r) => r.toFixed(0)).join(' vs '), '<= 10 % apart', spread <= Math.min(...rss) * 0.1)
  }
  return rows.join('\n') + '\n'
}

async function main(): Promise<void> {
  const support = sandboxesAvailable()
  if (!support.ok) throw new Error(`bench/backup needs sandboxes: ${support.reason}`)
  const scratch = mkdtempSync(join(tmpdir(), 'odoops-bench-backup-'))
  let host: PreparedHost | undefined
  try {
    const started = performance.now()
    host = await preparedHost(HOST)
    process.stdout.write(`Sandbox ${host.sandbox.address} prepared (fixture Odoo ${host.series}, a test double) in ${sec(performance.now() - started)} s.\n`)
    const tenants: TenantData[] = []
    for (const size of SIZES) {
      const filling = performance.now()
      tenants.push(await fillTenant(host, size, scratch))
      process.stdout.write(`Tenant of ~${size} MB created and filled in ${sec(performance.now() - filling)} s.\n`)
    }
    const results: Measured[] = []
    for (const tenant of tenants) {
      const runs: Measured[] = []
      for (let i = 0; i < RUNS; i++) runs.push(await measure(host, tenant, scratch))
      results.push(medianOf(runs))
    }
    process.stdout.write(`\n${RUNS} run(s) per size, medians; wall times on a 2-core machine shared with other jobs. Backup target: the default local target (same disk as the raw files).\n`)
    process.stdout.write(report(results))
  } finally {
    await downAllSandboxes()
    rmSync(scratch, {recursive: true, force: true})
    // The isolated odoops directories (state store and the default target's backups).
    if (host) rmSync(dirname(host.env.ODOOPS_DATA_DIR), {recursive: true, force: true})
  }
}

await main()

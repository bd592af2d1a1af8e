/**
 * A throwaway PostgreSQL cluster for tests.
 *
 *   import {pgCluster, freshDatabase} from './pg-cluster.js'
 *   const cluster = await pgCluster()          // started once per test process, lazily
 *   const url = await freshDatabase('contract') // CREATE DATABASE <unique name>, returns its URL
 *   cluster.url('postgres')                     // URL of any database in the cluster
 *
 * One cluster is shared by every test file in the process (initdb costs a second or two);
 * each file takes its own database so files stay independent. The cluster runs in a temp
 * directory on a free 127.0.0.1 port with trust authentication, as the unprivileged
 * `postgres` user when the tests run as root (PostgreSQL refuses root), and is stopped and
 * removed when the process exits (or by `stop()`).
 *
 * Binaries: `initdb`/`pg_ctl` from PATH, else the newest /usr/lib/postgresql/<v>/bin (Debian's
 * `postgresql` package). When neither exists, `pgCluster()` rejects with a message saying so.
 */
import {execFileSync, spawnSync, type SpawnSyncOptions} from 'node:child_process'
import {chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import pg from 'pg'

export interface PgCluster {
  /** Port the server listens on (127.0.0.1). */
  readonly port: number
  /** Connection URL of a database in this cluster (superuser `postgres`, no password). */
  url(database?: string): string
  /** CREATE DATABASE `name`; returns its URL. */
  createDatabase(name: string): Promise<string>
  /** Run one SQL statement (parameterized) against a database of the cluster. */
  query(database: string, sql: string, params?: unknown[]): Promise<pg.QueryResult>
  /** Stop the server and remove its directory. Later pgCluster() calls start a new one. */
  stop(): void
}

let shared: Promise<PgCluster> | undefined
let counter = 0

/** The cluster shared by this test process, started on first use. */
export function pgCluster(): Promise<PgCluster> {
  shared ??= startCluster().catch((error: unknown) => {
    shared = undefined
    throw error
  })
  return shared
}

/** A new, empty database in the shared cluster, named `<prefix>_<pid>_<n>`; returns its URL. */
export async function freshDatabase(prefix = 'test'): Promise<string> {
  const cluster = await pgCluster()
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${++counter}`
  return cluster.createDatabase(name)
}

/** Where initdb/pg_ctl live, or undefined when PostgreSQL is not installed. */
export function findPgBin(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir
  }
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions.length > 0 ? join(base, versions[0], 'bin') : undefined
}

interface RunAs {
  uid?: number
  gid?: number
}

/** PostgreSQL refuses to run as root: use the `postgres` system user then (created when missing). */
function unprivilegedUser(): RunAs {
  if (process.getuid?.() !== 0) return {}
  let entry = passwdEntry('postgres')
  if (!entry) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {stdio: 'ignore'})
    entry = passwdEntry('postgres')
  }
  if (!entry) throw new Error('could not create the postgres system user for the test cluster')
  return entry
}

function passwdEntry(name: string): {uid: number; gid: number} | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const fields = line.split(':')
    if (fields[0] === name) return {uid: Number(fields[2]), gid: Number(fields[3])}
  }
  return undefined
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function run(bin: string, args: string[], as: RunAs, cwd: string): void {
  const options: SpawnSyncOptions = {cwd, encoding: 'utf8', timeout: 60_000, env: {...process.env, LC_ALL: 'C', LANG: 'C'}, ...as}
  const result = spawnSync(bin, args, options)
  if (result.status !== 0) {
    throw new Error(`${bin} ${args.join(' ')} failed (${result.status ?? result.signal}): ${String(result.stderr ?? '')}${String(result.stdout ?? '')}`)
  }
}

async function startCluster(): Promise<PgCluster> {
  const bin = findPgBin()
  if (!bin) throw new Error('PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin); install the `postgresql` package.')
  const as = unprivilegedUser()
  const dir = mkdtempSync(join(tmpdir(), 'odoops-pg-'))
  if (as.uid !== undefined) chownSync(dir, as.uid, as.gid!)
  const data = join(dir, 'data')
  const pgCtl = join(bin, 'pg_ctl')
  let stopped = false

  const stopSync = () => {
    if (stopped) return
    stopped = true
    process.off('exit', stopSync)
    try {
      if (existsSync(join(data, 'postmaster.pid'))) spawnSync(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'], {cwd: dir, stdio: 'ignore', timeout: 30_000, ...as})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }
  process.on('exit', stopSync)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopSync()
      process.exit(130)
    })
  }

  try {
    // --no-sync and fsync=off: a throwaway cluster need not survive a power cut.
    run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], as, dir)
    const port = await freePort()
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`
    run(pgCtl, ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start'], as, dir)

    const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
    const query = async (database: string, sql: string, params: unknown[] = []) => {
      const client = new pg.Client({connectionString: url(database)})
      await client.connect()
      try {
        return await client.query(sql, params)
      } finally {
        await client.end()
      }
    }
    return {
      port,
      url,
      query,
      async createDatabase(name: string) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}" must be a lower-case SQL identifier`)
        // Identifiers cannot be bound as parameters; the name is checked above.
        await query('postgres', `CREATE DATABASE ${name}`)
        return url(name)
      },
      stop() {
        stopSync()
        shared = undefined
      },
    }
  } catch (error) {
    stopSync()
    throw error
  }
}

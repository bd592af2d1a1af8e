import {createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual} from 'node:crypto'
import {OdoopsError} from '../errors.js'
import {registerSecret} from '../secrets/redact.js'
import type {SshConnection} from '../ssh/connection.js'
import {command, shell} from '../ssh/quote.js'
import type {Change} from './files.js'
import {retry} from '../retry.js'

/**
 * PostgreSQL administration on a host, as the `postgres` superuser through peer
 * authentication on the local socket (Debian's pg_hba.conf: `local all postgres peer`).
 * SQL and its values travel on psql's stdin: values become psql variables (`\set`), used in
 * the SQL as `:'name'` (a literal) or `:"name"` (an identifier), which psql quotes itself
 * (psql manual, "SQL Interpolation"). Nothing but the database name is on the command line.
 */
export interface PsqlOptions {
  vars?: Record<string, string>
  database?: string
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A `\set` meta-command assigning `value` exactly. Inside single quotes psql's backslash
 * lexer turns `\\` into `\`, `''` into `'` and `\n` into a newline (psqlscanslash.l), and a
 * meta-command ends at the end of its line, so those are the characters to escape.
 */
export function psqlSetCommand(name: string, value: string): string {
  if (!VAR_NAME.test(name)) throw new OdoopsError('PSQL_VARIABLE_INVALID', `"${name}" is not a valid psql variable name.`)
  if (value.includes('\0')) throw new OdoopsError('PSQL_VARIABLE_INVALID', `The value of psql variable ${name} contains a NUL byte.`)
  const escaped = value.replaceAll('\\', '\\\\').replaceAll("'", "''").replaceAll('\n', '\\n').replaceAll('\r', '\\r')
  return `\\set ${name} '${escaped}'`
}

/** The psql script sent on stdin: variable assignments, then the SQL. */
export function psqlInput(sql: string, vars: Record<string, string> = {}): string {
  return [...Object.entries(vars).map(([k, v]) => psqlSetCommand(k, v)), sql].join('\n') + '\n'
}

/** Runs SQL as postgres; returns psql's unaligned, tuples-only output (`|` between columns). */
export async function psqlAsPostgres(conn: SshConnection, sql: string, options: PsqlOptions = {}): Promise<string> {
  const database = options.database ?? 'postgres'
  // cd /: runuser keeps root's working directory, which postgres cannot enter (psql warns about it).
  const cmd = shell`cd / && ${command(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', database, '-f', '-'])}`
  const result = await conn.exec(cmd, {root: true, stdin: psqlInput(sql, options.vars)})
  if (result.code !== 0) {
    const stderr = result.stderr.toString('utf8').trim()
    throw new OdoopsError('PG_COMMAND_FAILED', `PostgreSQL on ${conn.target.name} refused a command: ${stderr || `psql exited with ${result.code ?? result.signal}`}`, {
      suggestions: ['Check that PostgreSQL runs on the host (systemctl status postgresql) and see its log under /var/log/postgresql/.'],
      data: {database},
    })
  }
  return result.stdout.toString('utf8')
}

export interface PgClusterInfo {
  /** server_version when running (e.g. "15.8 (Debian 15.8-0+deb12u1)"), else the major. */
  version: string
  major: number
  port: number
  running: boolean
  /** Debian cluster name (`main`). */
  name: string
}

/** One line of Debian's `pg_lsclusters -h`: version, cluster, port, status, owner, data dir, log. */
export function parseLsClusters(output: string): PgClusterInfo[] {
  const clusters: PgClusterInfo[] = []
  for (const line of output.split('\n')) {
    const [version, name, port, status] = line.trim().split(/\s+/)
    if (!version || !name || !/^\d+$/.test(port ?? '')) continue
    clusters.push({version, major: Number.parseInt(version, 10), name, port: Number(port), running: (status ?? '').startsWith('online')})
  }
  return clusters
}

/** The host's PostgreSQL cluster (the newest one when several exist). */
export async function pgCluster(conn: SshConnection): Promise<PgClusterInfo> {
  const result = await conn.exec(command(['pg_lsclusters', '-h']), {root: true})
  const clusters = result.code === 0 ? parseLsClusters(result.stdout.toString('utf8')) : []
  if (clusters.length === 0) {
    throw new OdoopsError('PG_NO_CLUSTER', `No PostgreSQL cluster on ${conn.target.name}.`, {
      suggestions: [`Install PostgreSQL: odoops host prepare ${conn.target.name} --odoo <series>`, 'Or create a cluster: pg_createcluster <version> main --start'],
    })
  }
  const cluster = clusters.sort((a, b) => b.major - a.major)[0]
  if (!cluster.running) return cluster
  const version = (await psqlAsPostgres(conn, 'SHOW server_version')).trim()
  return {...cluster, version: version || cluster.version}
}

// --- SCRAM-SHA-256 (RFC 5802, RFC 7677; PostgreSQL src/common/scram-common.c) ----------

const SCRAM_ITERATIONS = 4096 // PostgreSQL's default scram_iterations

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest()
}

/**
 * The password as PostgreSQL hashes it: pg_saslprep returns pure ASCII unchanged. Other
 * text would need SASLprep (RFC 4013) first; odoops only ever sets passwords it generated
 * (URL-safe base64), so anything else is refused rather than approximated.
 */
function scramPassword(password: string): Buffer {
  // eslint-disable-next-line no-control-regex -- an ASCII range check: every character from 0x01 to 0x7f
  if (!/^[\x01-\x7f]*$/.test(password)) throw new OdoopsError('PG_PASSWORD_UNSUPPORTED', 'Only ASCII passwords can be turned into a SCRAM verifier by odoops.')
  return Buffer.from(password, 'utf8')
}

function scramKeys(password: string, salt: Buffer, iterations: number): {storedKey: Buffer; serverKey: Buffer} {
  const salted = pbkdf2Sync(scramPassword(password), salt, iterations, 32, 'sha256')
  const clientKey = hmac(salted, 'Client Key')
  return {storedKey: createHash('sha256').update(clientKey).digest(), serverKey: hmac(salted, 'Server Key')}
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, the form PostgreSQL stores
 * in pg_authid.rolpassword. Given to `CREATE/ALTER ROLE … PASSWORD`, it is stored as is
 * (PostgreSQL recognises an already hashed secret), so the clear password never reaches
 * the host at all.
 */
export function scramVerifier(password: string, options: {salt?: Buffer; iterations?: number} = {}): string {
  const salt = options.salt ?? randomBytes(16)
  const iterations = options.iterations ?? SCRAM_ITERATIONS
  const {storedKey, serverKey} = scramKeys(password, salt, iterations)
  const verifier = `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
  registerSecret(verifier)
  return verifier
}

/** True when `verifier` (a stored SCRAM secret) was made from `password`. */
export function scramMatches(password: string, verifier: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(verifier.trim())
  if (!match) return false
  const {storedKey, serverKey} = scramKeys(password, Buffer.from(match[2], 'base64'), Number(match[1]))
  const stored = Buffer.from(match[3], 'base64')
  const server = Buffer.from(match[4], 'base64')
  return stored.length === storedKey.length && server.length === serverKey.length && timingSafeEqual(stored, storedKey) && timingSafeEqual(server, serverKey)
}

// --- roles and databases ------------------------------------------------------------

interface RoleRow {
  superuser: boolean
  createdb: boolean
  createrole: boolean
  login: boolean
  password: string
}

async function readRole(conn: SshConnection, role: string): Promise<RoleRow | undefined> {
  // pg_authid (superuser only) holds the stored password; `|` cannot occur in a SCRAM secret.
  const out = await psqlAsPostgres(conn, "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, coalesce(rolpassword, '') FROM pg_authid WHERE rolname = :'role'", {
    vars: {role},
  })
  const line = out.trim()
  if (!line) return undefined
  const [superuser, createdb, createrole, login, password] = line.split('|')
  if (password) registerSecret(password)
  return {superuser: superuser === 't', createdb: createdb === 't', createrole: createrole === 't', login: login === 't', password: password ?? ''}
}

/**
 * A login role that is never a superuser and cannot create roles; CREATEDB as asked.
 * Unchanged when it exists with those attributes and its stored secret verifies `password`.
 */
export async function ensureLoginRole(conn: SshConnection, role: string, password: string, options: {createdb: boolean}): Promise<Change> {
  registerSecret(password)
  const existing = await readRole(conn, role)
  if (existing && !existing.superuser && !existing.createrole && existing.login && existing.createdb === options.createdb && scramMatches(password, existing.password)) {
    return 'unchanged'
  }
  const attributes = `LOGIN NOSUPERUSER NOCREATEROLE ${options.createdb ? 'CREATEDB' : 'NOCREATEDB'}`
  const verb = existing ? 'ALTER' : 'CREATE'
  await psqlAsPostgres(conn, `${verb} ROLE :"role" WITH ${attributes} PASSWORD :'verifier'`, {vars: {role, verifier: scramVerifier(password)}})
  return 'changed'
}

export async function roleExists(conn: SshConnection, role: string): Promise<boolean> {
  return (await psqlAsPostgres(conn, "SELECT 1 FROM pg_roles WHERE rolname = :'role'", {vars: {role}})).trim() === '1'
}

/** Drops the role (its databases must be gone first: PostgreSQL refuses to drop an owner). */
export async function dropRole(conn: SshConnection, role: string): Promise<Change> {
  if (!(await roleExists(conn, role))) return 'unchanged'
  await psqlAsPostgres(conn, 'DROP ROLE IF EXISTS :"role"', {vars: {role}})
  return 'changed'
}

export async function databaseExists(conn: SshConnection, db: string): Promise<boolean> {
  return (await psqlAsPostgres(conn, "SELECT 1 FROM pg_database WHERE datname = :'db'", {vars: {db}})).trim() === '1'
}

/** `DROP DATABASE … WITH (FORCE)` (PostgreSQL 13+): terminates its sessions first. */
/** An empty database owned by `role`, as Odoo creates its databases (odoo/service/db.py _create_empty_database). */
export async function createOdooDatabase(conn: SshConnection, db: string, role: string): Promise<void> {
  await psqlAsPostgres(conn, `CREATE DATABASE :"db" OWNER :"role" ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0`, {vars: {db, role}})
}

export async function dropDatabase(conn: SshConnection, db: string): Promise<Change> {
  if (!(await databaseExists(conn, db))) return 'unchanged'
  await psqlAsPostgres(conn, 'DROP DATABASE IF EXISTS :"db" WITH (FORCE)', {vars: {db}})
  return 'changed'
}

/** Size in bytes (pg_database_size); 0 when the database does not exist. */
export async function databaseSize(conn: SshConnection, db: string): Promise<number> {
  const out = (await psqlAsPostgres(conn, "SELECT pg_database_size(datname) FROM pg_database WHERE datname = :'db'", {vars: {db}})).trim()
  return out ? Number(out) : 0
}

/** The systemd unit of one Debian cluster (postgresql.service itself only starts them all). */
export function clusterUnit(cluster: Pick<PgClusterInfo, 'major' | 'name'>): string {
  return `postgresql@${cluster.major}-${cluster.name}.service`
}


/**
 * `ALTER DATABASE … RENAME` (names as psql identifiers). A rename needs the database free of
 * sessions and Odoo reconnects quickly: connections are refused, sessions terminated, then a
 * few tries (the pause is the pg_sleep inside, between terminating sessions and renaming).
 */
export async function renameDatabase(conn: SshConnection, from: string, to: string): Promise<void> {
  const rename = () =>
    psqlAsPostgres(
      conn,
      `ALTER DATABASE :"from" ALLOW_CONNECTIONS false;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :'from' AND pid <> pg_backend_pid();
SELECT pg_sleep(0.2);
ALTER DATABASE :"from" RENAME TO :"to";
ALTER DATABASE :"to" ALLOW_CONNECTIONS true;`,
      {vars: {from, to}},
    )
  await retry(rename, {attempts: 5, delayMs: 0}).catch(async (error: unknown) => {
    await psqlAsPostgres(conn, 'ALTER DATABASE :"from" ALLOW_CONNECTIONS true', {vars: {from}}).catch(() => {})
    throw error
  })
}

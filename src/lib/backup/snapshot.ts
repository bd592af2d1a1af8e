import {PassThrough} from 'node:stream'
import {OdoopsError} from '../errors.js'
import {psqlInput} from '../remote/postgres-admin.js'
import type {ExecStream, SshConnection} from '../ssh/connection.js'
import {command, shell} from '../ssh/quote.js'

/** Printed after each request so the reader knows where an answer ends (never a value of ours). */
const END = '__odoops_end_of_answer__'

/**
 * A REPEATABLE READ transaction held open in one psql session on the host, whose snapshot
 * pg_dump shares (`pg_dump --snapshot`, from `pg_export_snapshot()`: PostgreSQL docs,
 * "Snapshot Synchronization Functions") and in which the manifest's counts are read: the
 * counts describe exactly the data in the dump, however busy the tenant. The snapshot stays
 * importable only while this transaction is open, so it is closed after the dump started
 * and the counts were read.
 */
export class HeldSnapshot {
  private buffer = ''
  private waiting: {resolve: (text: string) => void; reject: (error: Error) => void} | undefined
  private failure: Error | undefined

  private constructor(
    private readonly stream: ExecStream,
    private readonly input: PassThrough,
    private readonly host: string,
  ) {
    stream.stdout.setEncoding('utf8')
    stream.stdout.on('data', (chunk: string) => this.receive(chunk))
    stream.done.then(
      (result) => this.fail(new Error(`psql exited with ${result.code ?? result.signal}: ${result.stderr.toString('utf8').trim().split('\n').slice(-2).join(' | ')}`)),
      (error: Error) => this.fail(error),
    )
  }

  /** The exported snapshot's id, for `pg_dump --snapshot`. */
  id = ''

  static async open(conn: SshConnection, database: string, options: {port?: number} = {}): Promise<HeldSnapshot> {
    const input = new PassThrough()
    const port = options.port ? ['-p', String(options.port)] : []
    const psql = command(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', ...port, '-d', database])
    const stream = await conn.execStream(shell`cd / && ${psql}`, {root: true, stdin: input, timeoutMs: 24 * 3_600_000})
    const held = new HeldSnapshot(stream, input, conn.target.name)
    held.id = (await held.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT pg_export_snapshot()')).trim()
    if (!/^[0-9A-F-]+$/i.test(held.id)) throw new OdoopsError('REMOTE_UNEXPECTED_OUTPUT', `pg_export_snapshot() on ${held.host} answered "${held.id}".`)
    return held
  }

  /** Runs SQL (psql variables allowed) inside the held transaction; psql's unaligned output. */
  query(sql: string, vars: Record<string, string> = {}): Promise<string> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.waiting) return Promise.reject(new Error('one query at a time'))
    return new Promise((resolve, reject) => {
      this.waiting = {resolve, reject}
      this.input.write(psqlInput(`${sql.trim().replace(/;$/, '')};\n\\echo ${END}`, vars))
    })
  }

  /** Ends the transaction and the session. */
  async close(): Promise<void> {
    this.input.end('COMMIT;\n')
    await this.stream.done.catch(() => {})
  }

  private receive(chunk: string): void {
    this.buffer += chunk
    const at = this.buffer.indexOf(`${END}\n`)
    if (at < 0 || !this.waiting) return
    const answer = this.buffer.slice(0, at)
    this.buffer = this.buffer.slice(at + END.length + 1)
    const {resolve} = this.waiting
    this.waiting = undefined
    resolve(answer)
  }

  private fail(error: Error): void {
    if (this.failure) return
    this.failure = new OdoopsError('PG_SNAPSHOT_LOST', `The transaction holding the backup's snapshot on ${this.host} ended early: ${error.message}.`, {
      suggestions: ['Check PostgreSQL on the host (its log under /var/log/postgresql/) and run the backup again.'],
    })
    this.waiting?.reject(this.failure)
    this.waiting = undefined
  }
}

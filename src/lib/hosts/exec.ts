import type {Readable} from 'node:stream'
import {usageError} from '../errors.js'
import {sshPool, type SshPool} from '../ssh/pool.js'
import {command} from '../ssh/quote.js'
import type {StateStore} from '../state/store.js'
import {getHost, targetOf} from './lookup.js'

export interface HostExecResult {
  host: string
  argv: string[]
  /** The remote exit status (null when killed by a signal). */
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  durationMs: number
}

/**
 * `host exec`: run an argv on a host, every item quoted as one word (so it runs exactly
 * as typed after `--`; use `sh -c '…'` for pipes and redirections). `stdin`, when given, is
 * streamed to the remote command (piped, so a large file is read only as fast as the remote
 * side takes it) and ends with EOF; without it the remote stdin is closed at once.
 */
export async function execOnHost(store: StateStore, name: string, argv: string[], options: {root?: boolean; timeoutMs?: number; pool?: SshPool; stdin?: Readable} = {}): Promise<HostExecResult> {
  if (argv.length === 0) throw usageError('HOST_EXEC_NO_COMMAND', 'No command given after --.', [`odoops host exec ${name} -- uptime`])
  const record = await getHost(store, name)
  const connection = await (options.pool ?? sshPool).connect(await targetOf(store, record))
  const started = Date.now()
  const result = await connection.exec(command(argv), {root: options.root, timeoutMs: options.timeoutMs, stdin: options.stdin})
  return {
    host: name,
    argv,
    code: result.code,
    signal: result.signal,
    stdout: result.stdout.toString('utf8'),
    stderr: result.stderr.toString('utf8'),
    durationMs: Date.now() - started,
  }
}

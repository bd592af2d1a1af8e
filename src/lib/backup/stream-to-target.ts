import {PassThrough} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import {isOdoopsError, OdoopsError} from '../errors.js'
import type {ExecStream, SshConnection} from '../ssh/connection.js'
import type {RemoteCommand} from '../ssh/quote.js'
import {DigestStream} from './digest.js'
import {targetFullError} from './targets/local.js'
import type {BackupTarget, ContentDigest} from './targets/target.js'

/** A dump or tar of a big tenant can take hours; the SSH layer's default command limit would cut it. */
export const STREAM_TIMEOUT_MS = 24 * 3_600_000
/** How long a killed remote command may take to close its channel. */
const KILL_WAIT_MS = 5000

export function remoteFailure(code: string, what: string, conn: SshConnection, result: {code: number | null; signal: string | null; stderr: Buffer}): OdoopsError {
  const tail = result.stderr.toString('utf8').trim().split('\n').slice(-4).join(' | ')
  const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`
  return new OdoopsError(code, `${what} on ${conn.target.name} ${how}${tail ? `: ${tail}` : '.'}`, {
    suggestions: ['Nothing was kept: fix the cause and run the backup again.'],
    data: {host: conn.target.name, exitCode: result.code, signal: result.signal, stderr: tail},
  })
}

export interface StreamOptions {
  /** The remote command's stdin (SQL for psql). */
  stdin?: string
  /** The digest the commit checks (default SHA-256, the catalog's checksum). */
  digest?: ContentDigest
  /**
   * Called once the command exited 0, before the commit, with the stored bytes' size and digest
   * and the command's stderr: return a key to commit under instead (a content-addressed name),
   * or `false` to discard the write (the target already has those bytes).
   */
  settle?: (stored: {size: number; hex: string}, stderr: Buffer) => Promise<string | false | undefined>
}

/**
 * Streams a remote command's stdout into `<key>.partial` on the target, hashing on the way,
 * and commits only when the command exited 0 and the target's own check matched.
 * Any failure or abort kills the remote command and removes the partial file.
 */
export async function streamToTarget(
  conn: SshConnection,
  cmd: RemoteCommand,
  target: BackupTarget,
  key: string,
  what: {code: string; label: string},
  signal: AbortSignal,
  onBytes: (bytes: number) => void,
  options: StreamOptions = {},
): Promise<{size: number; hex: string; committed: string | false}> {
  signal.throwIfAborted()
  const algorithm = options.digest ?? 'sha256'
  const write = await target.openWrite(key, algorithm)
  let handle: ExecStream | undefined
  try {
    handle = await conn.execStream(cmd, {root: true, timeoutMs: STREAM_TIMEOUT_MS, ...(options.stdin === undefined ? {} : {stdin: options.stdin})})
    const digest = new DigestStream(onBytes, algorithm)
    // The channel is piped, not handed to pipeline(): on an error pipeline() would destroy it,
    // and a destroyed ssh2 channel never reports its close (the remote command would linger);
    // kill() below signals and closes it properly instead.
    const source = new PassThrough()
    handle.stdout.pipe(source)
    handle.stdout.once('error', (error: Error) => source.destroy(error))
    await pipeline(source, digest, write.stream, {signal})
    const result = await handle.done
    // With pipefail, a pg_dump that failed after its first bytes still fails the command here.
    if (result.code !== 0) throw remoteFailure(what.code, what.label, conn, result)
    signal.throwIfAborted()
    const stored = {size: digest.bytes, hex: digest.hex()}
    const as = options.settle ? await options.settle(stored, result.stderr) : undefined
    if (as === false) {
      await write.abort()
      return {...stored, committed: false}
    }
    const expected = algorithm === 'sha1' ? {size: stored.size, sha1: stored.hex} : {size: stored.size, sha256: stored.hex}
    await write.commit(expected, as)
    return {...stored, committed: as ?? key}
  } catch (error) {
    if (handle) {
      handle.kill()
      // Drain what is still in flight: ssh2 emits a channel's close only after its data was read to the end.
      handle.stdout.unpipe()
      handle.stdout.resume()
      // Wait (bounded) for the channel to close, so the remote pg_dump/tar is gone before we report.
      await Promise.race([handle.done.catch(() => {}), sleep(KILL_WAIT_MS, undefined, {ref: false})])
    }
    await write.abort()
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw targetFullError(target.name, target.location, error)
    if (signal.aborted && !isOdoopsError(error)) throw signal.reason
    throw error
  }
}

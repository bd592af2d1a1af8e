import {createReadStream, createWriteStream} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import type {Readable, Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import createDebug from 'debug'
import pLimit, {type LimitFunction} from 'p-limit'
import ssh2 from 'ssh2'
import type {ClientChannel, SFTPWrapper} from 'ssh2'
import {OdoopsError} from '../errors.js'
import {retry} from '../retry.js'
import {planAuth} from './auth.js'
import {
  authFailed,
  channelFailed,
  commandTimeout,
  connectError,
  connectionLost,
  hostKeyMismatch,
  hostKeyUnknown,
  outputTooLarge,
  sudoDenied,
} from './errors.js'
import {fingerprintOf} from './fingerprint.js'
import {DEFAULT_SSH_OPTIONS, type SshOptions} from './options.js'
import {asRoot, shell, type RemoteCommand} from './quote.js'
import type {SshTarget} from './target.js'

const debug = createDebug('odoops:ssh')

/** How long a killed command may take to close its channel before odoops stops waiting. */
const KILL_GRACE_MS = 2000
/** Attempts to open a session channel the server refused as over its MaxSessions (see openSession). */
const SESSION_OPEN_ATTEMPTS = 8

export interface ExecOptions {
  /** Stop the command after this long (default: ssh.commandTimeout). */
  timeoutMs?: number
  /** Fed to the command's stdin, then EOF. Without it stdin is closed at once. */
  stdin?: Buffer | string | Readable
  /** Run as root: through `sudo -n` when the login user is not root. */
  root?: boolean
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal. */
  code: number | null
  /** `SIGTERM` etc. when the command was killed by a signal. */
  signal: string | null
  stdout: Buffer
  stderr: Buffer
}

export interface StreamResult {
  code: number | null
  signal: string | null
  /** The first `maxBuffer` bytes of stderr. */
  stderr: Buffer
}

/** A running command whose stdout is read as a stream (flow control end to end: flat memory). */
export interface ExecStream {
  /** The command's stdout. Read it (or pipe it) to the end, or `kill()`. */
  stdout: Readable
  /** Settles when the channel closes; rejects on timeout or a lost connection (never on a non-zero exit). */
  done: Promise<StreamResult>
  /** Signal the remote command and close the channel. */
  kill(): void
}

export interface LocalForward {
  host: '127.0.0.1'
  port: number
  close(): Promise<void>
}

export interface ConnectionStats {
  channelsOpened: number
  active: number
  peakActive: number
}

/** First 60 characters of a command, for messages. */
function summarize(cmd: RemoteCommand): string {
  const text = cmd.text.replace(/\s+/g, ' ')
  return text.length > 60 ? text.slice(0, 57) + '...' : text
}

/** Collects chunks up to a limit. */
class Collector {
  private chunks: Buffer[] = []
  size = 0
  overflow = false
  constructor(private readonly limit: number) {}
  add(chunk: Buffer): boolean {
    if (this.size + chunk.length > this.limit) {
      const room = this.limit - this.size
      if (room > 0) this.chunks.push(chunk.subarray(0, room))
      this.size = this.limit
      this.overflow = true
      return false
    }
    this.chunks.push(chunk)
    this.size += chunk.length
    return true
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

/**
 * One SSH connection to one host (ssh2 Client). Session channels (exec, sftp) are
 * multiplexed over it, at most `maxSessions` at a time (p-limit queue); port forwards
 * (direct-tcpip channels) are not sessions and are not limited. Obtain connections from
 * an `SshPool`, which keeps one per host per process.
 */
export class SshConnection {
  readonly stats: ConnectionStats = {channelsOpened: 0, active: 0, peakActive: 0}
  private readonly limit: LimitFunction
  private closed = false
  private closeReason = 'closed'
  private readonly closeListeners: (() => void)[] = []
  private readonly forwards = new Set<{server: Server; sockets: Set<Socket>}>()
  private sudoCheck?: Promise<void>

  private constructor(
    readonly target: SshTarget,
    private readonly client: ssh2.Client,
    /** The fingerprint the host presented (and that was pinned or accepted). */
    readonly hostKey: string,
    private readonly options: SshOptions,
  ) {
    this.limit = pLimit(options.maxSessions)
    client.on('error', (error: Error) => {
      this.closeReason = error.message
      debug('%s: connection error: %s', target.name, error.message)
    })
    client.on('close', () => this.markClosed())
  }

  /**
   * Connect, verify the host key BEFORE anything else is sent (ssh2 calls `hostVerifier`
   * during key exchange, before user authentication), then authenticate.
   * `sock`: an already open stream to the host (a jump host's `forwardOut`).
   */
  static async open(target: SshTarget, options: SshOptions = DEFAULT_SSH_OPTIONS, sock?: Readable, via?: string): Promise<SshConnection> {
    const plan = await planAuth(target, {agentSocket: options.agentSocket, prompt: options.passphrase})
    if (plan.methods.length === 0) throw authFailed(target, [], plan.notes)
    const client = new ssh2.Client()
    let seen: string | undefined
    let keyProblem: OdoopsError | undefined
    return new Promise<SshConnection>((resolve, reject) => {
      const onError = (error: Error & {level?: string}) => {
        client.end()
        if (keyProblem) return reject(keyProblem)
        if (error.level === 'client-authentication') return reject(authFailed(target, plan.tried, plan.notes))
        reject(connectError(target, error, options.connectTimeoutMs, via))
      }
      client.once('error', onError)
      client.once('ready', () => {
        client.off('error', onError)
        client.setNoDelay(true) // many small request/response round trips: no Nagle delay
        debug('%s: connected (%s)', target.name, seen)
        resolve(new SshConnection(target, client, seen ?? '', options))
      })
      client.connect({
        host: target.address,
        port: target.port,
        username: target.user,
        sock,
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs,
        keepaliveCountMax: options.keepaliveCountMax,
        authHandler: plan.methods,
        // Raw key blob (no hostHash set). Also called on every re-key: the key must not change mid-connection.
        hostVerifier: (key: Buffer) => {
          const fingerprint = fingerprintOf(key)
          if (seen !== undefined && fingerprint !== seen) keyProblem = hostKeyMismatch(target, seen, fingerprint)
          else if (target.hostKey !== undefined && fingerprint !== target.hostKey) keyProblem = hostKeyMismatch(target, target.hostKey, fingerprint)
          else if (target.hostKey === undefined && seen === undefined && !options.acceptNewHostKey?.(fingerprint)) keyProblem = hostKeyUnknown(target, fingerprint)
          if (keyProblem) return false
          seen = fingerprint
          return true
        },
      })
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  onClose(listener: () => void): void {
    if (this.closed) listener()
    else this.closeListeners.push(listener)
  }

  /** Run a command and buffer its output (at most `maxBuffer` per stream). A non-zero exit is a result, not an error. */
  async exec(cmd: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const actual = await this.prepare(cmd, options)
    return this.limit(() => this.execNow(actual, options, summarize(cmd)))
  }

  /** Run a command and return its stdout as text; a non-zero exit throws REMOTE_COMMAND_FAILED with stderr. */
  async run(cmd: RemoteCommand, options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(cmd, options)
    assertSuccess(this.target, cmd, result)
    return result.stdout.toString('utf8')
  }

  /** Run a command whose stdout is consumed as a stream (backups: gigabytes in flat memory). */
  async execStream(cmd: RemoteCommand, options: ExecOptions = {}): Promise<ExecStream> {
    const actual = await this.prepare(cmd, options)
    const summary = summarize(cmd)
    return new Promise<ExecStream>((resolveHandle, rejectHandle) => {
      // The session slot is held until the channel closes, not just until it opens.
      void this.limit(
        () =>
          new Promise<void>((releaseSlot) => {
            this.openSession(actual, (channel) => {
              const stderr = new Collector(this.options.maxBuffer)
              channel.stderr.on('data', (chunk: Buffer) => stderr.add(chunk))
              const outcome = this.watch(channel, options, summary)
              const done = outcome.then(({code, signal}) => ({code, signal, stderr: stderr.buffer()}))
              done.catch(() => {}) // the caller awaits it; never an unhandled rejection
              outcome.finally(releaseSlot).catch(() => {})
              this.feedStdin(channel, options.stdin)
              return {stdout: channel, done, kill: () => this.kill(channel)}
            }).then(
              (handle: ExecStream) => resolveHandle(handle),
              (error: unknown) => {
                releaseSlot()
                rejectHandle(error)
              },
            )
          }),
      )
    })
  }

  /** Upload a local file (path) or stream to `remotePath` over SFTP, streaming. Runs as the login user. */
  async upload(source: string | Readable, remotePath: string, options: {mode?: number} = {}): Promise<void> {
    await this.withSftp((sftp) => pipeline(typeof source === 'string' ? createReadStream(source) : source, sftp.createWriteStream(remotePath, {mode: options.mode ?? 0o600})))
  }

  /** Download `remotePath` over SFTP into a local file (path) or stream, streaming. */
  async download(remotePath: string, destination: string | Writable): Promise<void> {
    await this.withSftp((sftp) => pipeline(sftp.createReadStream(remotePath), typeof destination === 'string' ? createWriteStream(destination, {mode: 0o600}) : destination))
  }

  /** A channel to `host:port` as seen from the remote host (direct-tcpip); used for jump hosts. */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    this.assertOpen()
    return new Promise((resolve, reject) => {
      // ssh2 README: forwardOut(srcIP, srcPort, dstIP, dstPort, cb(err, stream)).
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel)))
    })
  }

  /**
   * A local TCP listener on 127.0.0.1:<ephemeral port> whose every connection is piped to
   * `remoteHost:remotePort` as seen from the host (e.g. its PostgreSQL on 127.0.0.1:5432),
   * so `pg` can connect to `{host: '127.0.0.1', port}`. Closed with the connection.
   */
  async forwardLocal(remoteHost: string, remotePort: number): Promise<LocalForward> {
    this.assertOpen()
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      socket.on('error', () => socket.destroy())
      this.client.forwardOut(socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0, remoteHost, remotePort, (error, channel) => {
        if (error) {
          debug('%s: forward to %s:%d failed: %s', this.target.name, remoteHost, remotePort, error.message)
          socket.destroy()
          return
        }
        channel.on('error', () => socket.destroy())
        channel.on('close', () => socket.destroy())
        socket.once('close', () => channel.close())
        socket.pipe(channel).pipe(socket)
      })
    })
    const entry = {server, sockets}
    this.forwards.add(entry)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    return {host: '127.0.0.1', port, close: () => this.closeForward(entry)}
  }

  /** Close forwards and the connection; resolves when the socket is closed. */
  async close(): Promise<void> {
    await Promise.all([...this.forwards].map((f) => this.closeForward(f)))
    if (this.closed) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy()
        resolve()
      }, 2000)
      this.client.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.client.end()
    })
    this.markClosed()
  }

  // ---- internals ----

  private markClosed(): void {
    if (this.closed) return
    this.closed = true
    for (const f of this.forwards) void this.closeForward(f)
    for (const listener of this.closeListeners.splice(0)) listener()
  }

  private async closeForward(entry: {server: Server; sockets: Set<Socket>}): Promise<void> {
    if (!this.forwards.delete(entry)) return
    for (const socket of entry.sockets) socket.destroy()
    await new Promise<void>((resolve) => entry.server.close(() => resolve()))
  }

  private assertOpen(): void {
    if (this.closed) throw connectionLost(this.target, this.closeReason)
  }

  /** Root wrapping: sudo -n for a non-root login, after checking once per connection that it works. */
  private async prepare(cmd: RemoteCommand, options: ExecOptions): Promise<RemoteCommand> {
    this.assertOpen()
    if (!options.root || this.target.user === 'root') return cmd
    this.sudoCheck ??= this.limit(() => this.execNow(shell`sudo -n true`, {timeoutMs: 30_000}, 'sudo -n true')).then((result) => {
      if (result.code !== 0) throw sudoDenied(this.target, result.code === 127 ? 'sudo is not installed' : result.stderr.toString('utf8'))
    })
    await this.sudoCheck
    return asRoot(cmd)
  }

  /**
   * Open a session channel for `cmd` and run `setup` on it. OpenSSH frees a session slightly after it sends the
   * channel close (once it has reaped the child), so a new channel opened at once can meet
   * "no more sessions" although fewer than maxSessions are open on our side: that one
   * refusal is retried a few times with a short pause (bounded; any other failure is not).
   */
  private async openSession<T>(cmd: RemoteCommand, setup: (channel: ClientChannel) => T): Promise<T> {
    const transient = (error: unknown) => !this.closed && error instanceof Error && !(error instanceof OdoopsError) && /open failed/i.test(error.message)
    try {
      return await retry(() => this.openSessionOnce(cmd, setup), {attempts: SESSION_OPEN_ATTEMPTS, delayMs: (attempt) => 20 * attempt, retryIf: transient})
    } catch (error) {
      throw this.closed ? connectionLost(this.target, this.closeReason) : channelFailed(this.target, error)
    }
  }

  /**
   * `setup` runs synchronously in ssh2's callback: ssh2 parses a whole TCP chunk at once, so
   * a fast command's exit-status, EOF and close can arrive in the same chunk as the channel
   * confirmation. Listeners attached a microtask later (after a promise resolves) would miss
   * the 'exit' event.
   */
  private openSessionOnce<T>(cmd: RemoteCommand, setup: (channel: ClientChannel) => T): Promise<T> {
    this.assertOpen()
    return new Promise((resolve, reject) => {
      // ssh2 README: exec(command[, options], cb(err, stream)); no pty (a pty would merge stderr and mangle bytes).
      this.client.exec(cmd.text, (error, channel) => {
        if (error) return reject(error)
        this.stats.channelsOpened++
        this.stats.active++
        this.stats.peakActive = Math.max(this.stats.peakActive, this.stats.active)
        channel.once('close', () => this.stats.active--)
        resolve(setup(channel))
      })
    })
  }

  /** Exit status, timeout and connection loss of a channel. */
  private watch(channel: ClientChannel, options: ExecOptions, summary: string, abortWith?: {error?: OdoopsError}): Promise<{code: number | null; signal: string | null}> {
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs
    return new Promise((resolve, reject) => {
      let code: number | null = null
      let signal: string | null = null
      let exited = false
      let failure: OdoopsError | undefined
      let settled = false
      const settle = () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        const error = failure ?? abortWith?.error
        if (error) reject(error)
        else if (!exited) reject(connectionLost(this.target, this.closed ? this.closeReason : 'the channel closed before the command exited'))
        else resolve({code, signal})
      }
      const timer = setTimeout(() => {
        failure = commandTimeout(this.target, summary, timeoutMs)
        this.kill(channel)
        // A child that ignored the signal (or a grandchild holding the pipes) keeps the
        // server from closing the channel: give up waiting after a grace period.
        setTimeout(settle, KILL_GRACE_MS).unref()
      }, timeoutMs)
      // ssh2 emits ('exit', code) or ('exit', null, 'SIGTERM', coreDumped, description) (lib/client.js CHANNEL_REQUEST).
      channel.on('exit', (exitCode: number | null, exitSignal?: string) => {
        exited = true
        code = exitCode ?? null
        signal = exitSignal ?? null
      })
      channel.once('close', settle)
    })
  }

  private async execNow(cmd: RemoteCommand, options: ExecOptions, summary: string): Promise<ExecResult> {
    const stdout = new Collector(this.options.maxBuffer)
    const stderr = new Collector(this.options.maxBuffer)
    const abort: {error?: OdoopsError} = {}
    const outcome = await this.openSession(cmd, (channel) => {
      const onData = (collector: Collector) => (chunk: Buffer) => {
        if (!collector.add(chunk) && !abort.error) {
          abort.error = outputTooLarge(this.target, summary, this.options.maxBuffer)
          this.kill(channel)
        }
      }
      channel.on('data', onData(stdout))
      channel.stderr.on('data', onData(stderr))
      const watched = this.watch(channel, options, summary, abort)
      this.feedStdin(channel, options.stdin)
      return {watched}
    })
    const {code, signal} = await outcome.watched
    return {code, signal, stdout: stdout.buffer(), stderr: stderr.buffer()}
  }

  private feedStdin(channel: ClientChannel, stdin: ExecOptions['stdin']): void {
    if (stdin === undefined) channel.end()
    else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) channel.end(stdin)
    else {
      stdin.on('error', () => this.kill(channel))
      stdin.pipe(channel)
    }
  }

  /** TERM the remote process (OpenSSH honours "signal" requests since 7.9), then close the channel. */
  private kill(channel: ClientChannel): void {
    try {
      channel.signal('TERM')
    } catch {
      // the channel may already be closing
    }
    channel.close()
    // ssh2 emits the channel's 'close' only once its data has been read to the end: drain
    // what is still in flight, or a killed stream nobody reads any more never settles.
    channel.resume()
    channel.stderr.resume()
  }

  private withSftp<T>(fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    this.assertOpen()
    return this.limit(
      () =>
        new Promise<T>((resolve, reject) => {
          this.client.sftp((error, sftp) => {
            if (error) return reject(channelFailed(this.target, error))
            this.stats.channelsOpened++
            fn(sftp)
              .then(resolve, reject)
              .finally(() => sftp.end())
          })
        }),
    )
  }
}

/** REMOTE_COMMAND_FAILED for a non-zero exit or a signal, with the end of stderr. */
export function assertSuccess(target: SshTarget, cmd: RemoteCommand, result: {code: number | null; signal: string | null; stderr: Buffer; stdout?: Buffer}): void {
  if (result.code === 0) return
  // The end of stderr says why; a command that reports on stdout only gets that instead.
  const output = result.stderr.length > 0 ? result.stderr : (result.stdout ?? Buffer.alloc(0))
  const tail = output.toString('utf8').trim().split('\n').slice(-5).join('\n')
  const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`
  throw new OdoopsError('REMOTE_COMMAND_FAILED', `On "${target.name}", "${summarize(cmd)}" ${how}${tail ? `: ${tail}` : '.'}`, {
    suggestions: [`Run it by hand to see more: odoops host exec ${target.name} -- <command>`],
    data: {host: target.name, code: result.code, signal: result.signal, stderr: tail},
  })
}

import createDebug from 'debug'
import {describeTarget, poolKey, type SshTarget} from './target.js'
import {SshConnection} from './connection.js'
import {connectError} from './errors.js'
import {DEFAULT_SSH_OPTIONS, type SshOptions} from './options.js'

const debug = createDebug('odoops:ssh')

/**
 * One SSH connection per host per process, reused by every caller: connecting costs a
 * TCP + key exchange + auth round trip (tens of ms), a channel on an open connection one
 * round trip. A connection that closes leaves the pool; the next `connect` opens a new
 * one. Call `closeAll()` when the process is done (open connections keep Node alive).
 */
export class SshPool {
  /** Number of SSH connections this pool has opened (tests: "one TCP connection"). */
  readonly stats = {connectionsOpened: 0}
  private options: SshOptions
  private readonly entries = new Map<string, Promise<SshConnection>>()

  constructor(options: Partial<SshOptions> = {}) {
    this.options = {...DEFAULT_SSH_OPTIONS, ...options}
  }

  /** Change options for connections opened from now on. */
  configure(options: Partial<SshOptions>): void {
    this.options = {...this.options, ...options}
  }

  /**
   * The open connection to `target`, opening it (and its jump hosts) when needed.
   * `overrides` apply to a connection opened by this call (e.g. acceptNewHostKey in host add).
   */
  async connect(target: SshTarget, overrides: Partial<SshOptions> = {}): Promise<SshConnection> {
    const key = poolKey(target)
    const existing = this.entries.get(key)
    if (existing) {
      const connection = await existing.catch(() => undefined)
      if (connection && !connection.isClosed) return connection
      if (this.entries.get(key) === existing) this.entries.delete(key)
    }
    const opening = this.open(target, {...this.options, ...overrides})
    this.entries.set(key, opening)
    opening.then(
      (connection) => connection.onClose(() => this.entries.get(key) === opening && this.entries.delete(key)),
      () => this.entries.get(key) === opening && this.entries.delete(key),
    )
    return opening
  }

  private async open(target: SshTarget, options: SshOptions): Promise<SshConnection> {
    let sock
    let via: string | undefined
    if (target.jump) {
      // ProxyJump: a direct-tcpip channel from the jump host to the target becomes the second
      // connection's socket (ssh2 README "Connection hopping": forwardOut + `sock`).
      const jump = await this.connect(target.jump)
      via = `jump host "${target.jump.name}"`
      try {
        sock = await jump.forwardOut(target.address, target.port)
      } catch (error) {
        throw connectError(target, error, options.connectTimeoutMs, via)
      }
    }
    debug('connecting to %s (%s)', target.name, describeTarget(target))
    this.stats.connectionsOpened++
    return SshConnection.open(target, options, sock, via)
  }

  /** Close every connection (forwards first); safe to call more than once. */
  async closeAll(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    const connections = await Promise.all(all.map((p) => p.catch(() => undefined)))
    // Targets before their jump hosts: close in reverse order of opening.
    for (const connection of connections.reverse()) await connection?.close()
  }
}

/** The process-wide pool used by commands and domain code. */
export const sshPool = new SshPool()
// Found by the CLI's base command at exit without importing ssh2 into every command's start-up.
;(globalThis as Record<symbol, unknown>)[Symbol.for('odoops.sshPool')] = sshPool

/** Close every SSH connection of the process (commands call this when they end). */
export function closeAllSsh(): Promise<void> {
  return sshPool.closeAll()
}

import {connect} from 'node:net'
import {SshConnection} from '../ssh/connection.js'
import {DEFAULT_SSH_OPTIONS} from '../ssh/options.js'
import {pollUntil} from '../retry.js'

/** One attempt: does `address:port` answer with an SSH identification line ("SSH-2.0-…")? */
export function sshBanner(address: string, port: number, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({host: address, port})
    let received = ''
    const done = (banner: string | undefined) => {
      socket.destroy()
      resolve(banner)
    }
    socket.setTimeout(timeoutMs, () => done(undefined))
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      const line = received.split(/\r?\n/).find((candidate) => candidate.startsWith('SSH-'))
      if (line) done(line)
    })
    socket.on('error', () => done(undefined))
    socket.on('close', () => done(undefined))
  })
}

export interface WaitOptions {
  timeoutMs: number
  /** Checked between attempts: stop waiting when the sandbox died. */
  stillRunning: () => boolean
  signal?: AbortSignal
}

type Failure = {failure: 'timeout' | 'exited' | 'aborted'}

/**
 * Tries `attempt` every `intervalMs` until it succeeds, the sandbox is gone (`exited`), the
 * time is up or the signal aborts (also during a wait).
 */
async function waitFor<T extends object>(attempt: () => Promise<T | undefined>, intervalMs: number, options: WaitOptions): Promise<T | Failure> {
  // Not there yet reads as a timeout: it is the answer once the time is up.
  const once = async (): Promise<T | Failure> => (await attempt()) ?? (options.stillRunning() ? {failure: 'timeout'} : {failure: 'exited'})
  try {
    return await pollUntil(once, (r) => !('failure' in r && r.failure === 'timeout'), {timeoutMs: options.timeoutMs, intervalMs, signal: options.signal})
  } catch (error) {
    if (options.signal?.aborted) return {failure: 'aborted'}
    throw error
  }
}

/** Wait until sshd answers. Returns the banner, or the reason it never came. */
export async function waitForSsh(address: string, port: number, options: WaitOptions): Promise<{banner: string} | Failure> {
  return waitFor(async () => {
    const banner = await sshBanner(address, port)
    return banner ? {banner} : undefined
  }, 200, options)
}

/**
 * One login through odoops' own SSH layer with the sandbox's key, the host key checked
 * against the pinned one. A banner alone is not enough: under load sshd was seen answering
 * it and then dropping the connection before the key exchange.
 */
export async function sshLogin(target: {address: string; port: number; user: string; identityFile: string; hostKey: string}, timeoutMs = 5000): Promise<boolean> {
  try {
    const conn = await SshConnection.open({name: target.address, ...target}, {...DEFAULT_SSH_OPTIONS, connectTimeoutMs: timeoutMs})
    await conn.close()
    return true
  } catch {
    return false
  }
}

/** Wait until a real login works (after `waitForSsh` saw the banner). */
export async function waitForLogin(target: Parameters<typeof sshLogin>[0], options: WaitOptions): Promise<{ok: true} | Failure> {
  return waitFor(async () => ((await sshLogin(target)) ? {ok: true as const} : undefined), 500, options)
}

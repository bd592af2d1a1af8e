import {connect} from 'node:net'
import {sleep} from './processes.js'

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

/** Wait until sshd answers. Returns the banner, or the reason it never came. */
export async function waitForSsh(address: string, port: number, options: WaitOptions): Promise<{banner: string} | {failure: 'timeout' | 'exited' | 'aborted'}> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    if (options.signal?.aborted) return {failure: 'aborted'}
    const banner = await sshBanner(address, port)
    if (banner) return {banner}
    if (!options.stillRunning()) return {failure: 'exited'}
    if (Date.now() > deadline) return {failure: 'timeout'}
    await sleep(200)
  }
}

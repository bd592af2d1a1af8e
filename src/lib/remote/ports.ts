import {OdoopsError} from '../errors.js'
import {pollUntil} from '../retry.js'
import type {SshConnection} from '../ssh/connection.js'
import {command} from '../ssh/quote.js'
import {assertUnitNotFailed} from './systemd.js'

/** TCP ports something listens on, on any address of the host (`ss -Hltn`, iproute2). */
export async function listeningPorts(conn: SshConnection): Promise<number[]> {
  return parseListeningPorts(await conn.run(command(['ss', '-Hltn']), {root: true}))
}

/** Listening TCP ports from `ss -Hltn` output (the "Local Address:Port" column). */
export function parseListeningPorts(ssOutput: string): number[] {
  const ports = new Set<number>()
  for (const line of ssOutput.split('\n')) {
    const columns = line.trim().split(/\s+/)
    const local = columns[3]
    if (!local) continue
    const port = Number(local.slice(local.lastIndexOf(':') + 1))
    if (Number.isInteger(port)) ports.add(port)
  }
  return [...ports].sort((a, b) => a - b)
}

/** Type=simple units are "active" once forked: the service is up when its HTTP port listens. */
export async function waitForPort(conn: SshConnection, unit: string, port: number, signal?: AbortSignal, timeoutMs = 90_000): Promise<void> {
  const listening = async () => {
    if ((await listeningPorts(conn)).includes(port)) return true
    await assertUnitNotFailed(conn, unit)
    return false
  }
  if (!(await pollUntil(listening, (yes) => yes, {timeoutMs, intervalMs: 500, signal}))) {
    throw new OdoopsError('SERVICE_NOT_LISTENING', `${unit} is running but nothing listens on port ${port} after ${timeoutMs / 1000} s.`, {
      suggestions: [`See the service's log on the host: journalctl -u ${unit}`],
    })
  }
}

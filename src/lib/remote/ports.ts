import type {SshConnection} from '../ssh/connection.js'
import {command} from '../ssh/quote.js'

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

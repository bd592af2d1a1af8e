import {parseListeningPorts} from '../provision/port-allocation.js'
import type {SshConnection} from '../ssh/connection.js'
import {command} from '../ssh/quote.js'

/** TCP ports something listens on, on any address of the host (`ss -Hltn`, iproute2). */
export async function listeningPorts(conn: SshConnection): Promise<number[]> {
  return parseListeningPorts(await conn.run(command(['ss', '-Hltn']), {root: true}))
}

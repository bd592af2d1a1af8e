import {OdoopsError, ExitCode} from '../errors.js'

/**
 * Port pairs (HTTP, gevent) for Odoo services on one host. Pairs come from a fixed range
 * and skip every port recorded in the state store for that host and every port found
 * listening on the host, so services never collide, whatever created them.
 */
export const PORT_RANGE = {first: 8100, last: 8999}

export function allocatePortPair(used: Iterable<number>, range = PORT_RANGE): {httpPort: number; geventPort: number} {
  const taken = new Set(used)
  for (let port = range.first; port + 1 <= range.last; port += 2) {
    if (!taken.has(port) && !taken.has(port + 1)) return {httpPort: port, geventPort: port + 1}
  }
  throw new OdoopsError('PORTS_EXHAUSTED', `No free port pair left in ${range.first}-${range.last} on this host.`, {
    exit: ExitCode.FAILURE,
    suggestions: ['Move some tenants to another host (odoops tenant move), or remove unused ones.'],
  })
}

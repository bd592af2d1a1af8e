import {OdoopsError} from '../../errors.js'
import type {SshConnection} from '../../ssh/connection.js'
import type {AddonSetEntry} from '../../state/records.js'
import {addonsPathFor} from './layout.js'
import {probeHostFacts} from './probe.js'

/**
 * The addons_path a service's config carries for the set recorded for it, for code that
 * renders the whole config again (host prepare, a dedicated tenant's config step): without it
 * a re-render would drop the deployed addons. Undefined when no set is recorded (no probe
 * then); Odoo's own directories are read from the host each time, as a deploy does, so an
 * upgraded odoo package is followed.
 */
export async function recordedAddonsPath(conn: SshConnection, set: readonly AddonSetEntry[] | undefined): Promise<string[] | undefined> {
  if (!set || set.length === 0) return undefined
  const facts = await probeHostFacts(conn, {python: [], configs: []})
  if (facts.odooAddons.length === 0) {
    throw new OdoopsError('ADDONS_ODOO_NOT_FOUND', `The python3 of ${conn.target.name} finds no odoo package with its addons, but addons are deployed to this service.`, {
      suggestions: [`Check the odoo package on the host: dpkg -s odoo`],
    })
  }
  return addonsPathFor(facts.odooAddons.map((dir) => dir.path), set)
}

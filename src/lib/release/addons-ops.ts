import {OdoopsError} from '../errors.js'
import {addonsPathOf, withAddonsPath} from '../addons/deploy/addons-path.js'
import {addonsPathFor, releaseOfDir} from '../addons/deploy/layout.js'
import {sshDeployOps} from '../addons/deploy/host-ops.js'
import {recordedAddonsPath} from '../addons/deploy/recorded-path.js'
import {recordAddonSet, resolveTarget, withServiceLock} from '../addons/deploy/service.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {SshConnection} from '../ssh/connection.js'
import type {AddonSetEntry} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {ReleaseAddonsChange} from './record.js'

/**
 * The addons half of a release on a host, as `addons deploy` does it: a service's addons_path
 * written into its config (the rest kept byte for byte) and the set recorded on the service (the
 * one it replaces to its history, for `addons rollback`), under the service's lock so no deploy
 * interleaves. Odoo's own directories are the ones the config names already (the service runs
 * addons, so a deploy wrote them); read from the host as the deploy reads them only when it names
 * none. Not probing keeps a rollback's switch back independent of the package's state.
 */

/** The set the service's record says it runs: the host's shared service of the series, or a dedicated tenant's own. */
export async function recordedAddonSet(store: Pick<StateStore, 'hosts' | 'tenants'>, host: string, series: string, service: string): Promise<AddonSetEntry[]> {
  const set = service === 'shared' ? (await store.hosts.get(host))?.services?.[series]?.addons : (await store.tenants.get(service))?.addons
  return (set ?? []).map(({repo, sha256}) => ({repo, sha256}))
}

/** Writes the set's addons_path into the service's config and records the set; writing it again changes nothing. */
export async function switchServiceAddons(env: {store: StateStore; box: SecretBox; signal?: AbortSignal}, conn: SshConnection, host: string, change: ReleaseAddonsChange, set: readonly AddonSetEntry[]): Promise<void> {
  const target = await resolveTarget(env.store, host, change.service)
  await withServiceLock(env.store, target, 'release apply', async () => {
    const files = sshDeployOps(conn, env)
    const text = await files.readConfig(change.config)
    if (text === undefined) throw new OdoopsError('ADDONS_SERVICE_CONFIG_MISSING', `${change.config} (the config of the ${change.service} service) is missing on ${host}.`, {suggestions: [`odoops host show ${host}`]})
    const core = (addonsPathOf(text) ?? []).filter((dir) => releaseOfDir(dir) === undefined)
    const next = withAddonsPath(text, core.length > 0 ? addonsPathFor(core, set) : await recordedAddonsPath(conn, set))
    if (next !== text) await files.writeConfig(change.config, next)
    await recordAddonSet(env.store, target, set)
  })
}

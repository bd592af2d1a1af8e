import {OdoopsError, usageError} from '../../errors.js'
import type {SshConnection} from '../../ssh/connection.js'
import {script, shell} from '../../ssh/quote.js'
import type {AddonSetEntry, HostRecord, SharedServiceRecord, TenantRecord} from '../../state/records.js'
import {releaseIsLocal, releaseTarPath} from '../repos.js'
import {releaseDir} from './layout.js'
import {uploadRelease} from './upload.js'

/**
 * Addons follow a tenant that moves (`tenant move`): its installed modules need the same code
 * where it lands. A dedicated copy gets the set the tenant runs now, copied to the new host
 * first; a shared copy needs the new host's shared service to run those releases already
 * (deploying to a shared service is for every tenant on it, so the move does not do it).
 */

/** Refuses a move into a shared service that lacks a release the tenant runs. */
export function assertSharedRuns(tenant: TenantRecord, needed: readonly AddonSetEntry[], host: HostRecord, service: SharedServiceRecord | undefined): void {
  const runs = new Set((service?.addons ?? []).map((entry) => entry.sha256))
  const missing = needed.filter((entry) => !runs.has(entry.sha256))
  if (missing.length === 0) return
  throw usageError(
    'MOVE_ADDONS_MISSING',
    `Tenant ${tenant.id} runs addon releases the shared ${tenant.series} service of ${host.id} does not: ${missing.map((e) => `${e.repo} ${e.sha256.slice(0, 12)}`).join(', ')}. Its modules would lose their code there. Nothing was changed.`,
    [`Deploy them to that service first (every tenant on it gets them): odoops addons deploy ${[...(service?.addons ?? []).map((e) => e.repo), ...missing.map((e) => e.repo)].filter((r, i, all) => all.indexOf(r) === i).join(' ')} --host ${host.id}`, `Or move it as a dedicated tenant: --mode dedicated`],
    {missing},
  )
}

/** Copies the set's releases missing on the host from this machine's release tars; the ones copied. */
export async function ensureReleasesOnHost(conn: SshConnection, set: readonly AddonSetEntry[], dataDir: string): Promise<string[]> {
  if (set.length === 0) return []
  const present = new Set(
    (await conn.run(script(set.map((entry) => shell`if [ -d ${releaseDir(entry.sha256)} ]; then echo ${entry.sha256}; fi`)), {root: true}))
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
  )
  const copied: string[] = []
  for (const entry of set) {
    if (present.has(entry.sha256) || copied.includes(entry.sha256)) continue
    if (!releaseIsLocal(dataDir, entry.sha256)) {
      throw new OdoopsError('ADDONS_RELEASE_NOT_LOCAL', `Release ${entry.sha256.slice(0, 12)} of ${entry.repo} is neither on ${conn.target.name} nor on this machine.`, {
        suggestions: [`Pin it here again (odoops addons repo update ${entry.repo}) or run this from the machine that pinned it.`],
        data: {repo: entry.repo, release: entry.sha256},
      })
    }
    await uploadRelease(conn, entry.sha256, releaseTarPath(dataDir, entry.sha256))
    copied.push(entry.sha256)
  }
  return copied
}

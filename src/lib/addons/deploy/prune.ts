import {script, shell, type RemoteCommand} from '../../ssh/quote.js'
import type {SshConnection} from '../../ssh/connection.js'
import type {HostRecord, TenantRecord} from '../../state/records.js'
import {HOST_ADDONS_ROOT, isReleaseName, releasesInRecords} from './layout.js'

/**
 * Release directories no service needs any more are removed from the host: every release a
 * recorded set names (current or history, of every service on the host) is kept, and so is
 * every release a service config on the host still names (a run killed between writing a
 * config and recording its set). Entries younger than the grace period are left alone: they
 * may belong to a deploy of another service still on its way to recording its set.
 */
export const PRUNE_GRACE_SECONDS = 60 * 60

/** Leftovers of uploads killed before their rename (`mktemp -d` names). */
const UPLOAD_LEFTOVER = /^\.upload-[A-Za-z0-9]{6,}$/

export interface PruneSelection {
  /** Release directories to remove. */
  releases: string[]
  /** Leftovers of killed uploads to remove. */
  leftovers: string[]
}

export function pruneSelection(
  entries: readonly {name: string; ageSeconds: number}[],
  keep: ReadonlySet<string>,
  graceSeconds = PRUNE_GRACE_SECONDS,
): PruneSelection {
  const old = entries.filter((entry) => entry.ageSeconds >= graceSeconds)
  return {
    releases: old.filter((entry) => isReleaseName(entry.name) && !keep.has(entry.name)).map((entry) => entry.name),
    leftovers: old.filter((entry) => UPLOAD_LEFTOVER.test(entry.name)).map((entry) => entry.name),
  }
}

/** The releases the host's services use or may go back to: their recorded sets, and what their configs name. */
export function releasesToKeep(host: Pick<HostRecord, 'services'>, tenantsOnHost: readonly TenantRecord[], referenced: readonly string[] = []): Set<string> {
  const keep = releasesInRecords([...Object.values(host.services ?? {}), ...tenantsOnHost])
  for (const sha of referenced) keep.add(sha)
  return keep
}

/** The service configs on a host (read by the probe for the releases they name). */
export function serviceConfigs(host: Pick<HostRecord, 'services'>, tenantsOnHost: readonly TenantRecord[]): string[] {
  const configs = Object.values(host.services ?? {}).map((service) => service.config)
  for (const tenant of tenantsOnHost) if (tenant.mode === 'dedicated' && tenant.service) configs.push(tenant.service.config)
  return [...new Set(configs)].sort()
}

export function removeEntriesCommand(names: readonly string[], root = HOST_ADDONS_ROOT): RemoteCommand {
  for (const name of names) if (!isReleaseName(name) && !UPLOAD_LEFTOVER.test(name)) throw new Error(`"${name}" is not an entry prune may remove`)
  return script(names.map((name) => shell`rm -rf -- ${`${root}/${name}`}`))
}

export async function removeEntries(conn: SshConnection, names: readonly string[]): Promise<void> {
  if (names.length === 0) return
  await conn.run(removeEntriesCommand(names), {root: true, timeoutMs: 10 * 60_000})
}

import {ExitCode, OdoopsError, usageError} from '../errors.js'
import {vhostFileName} from '../provision/vhost.js'
import {dedicatedNames} from '../provision/service-names.js'
import {allocatePortPair} from '../provision/port-allocation.js'
import {freeBytes} from '../remote/disk.js'
import {databaseExists, pgCluster} from '../remote/postgres-admin.js'
import {listeningPorts} from '../remote/ports.js'
import {unitStatus} from '../remote/systemd.js'
import {shell} from '../ssh/quote.js'
import type {SshConnection} from '../ssh/connection.js'
import type {HostRecord, SharedServiceRecord, TenantServiceInfo} from '../state/records.js'
import type {StateTx} from '../state/store.js'
import type {TenantCreateInput} from './input.js'
import {filesServing} from './nginx-names.js'

/** Below this much free space under /var/lib/odoops a new tenant is refused. */
export const MIN_FREE_BYTES = 1024 ** 3

/** The series a tenant gets on a host: the one asked for (prepared), or the only one prepared. */
export function pickSeries(host: HostRecord, asked?: string): {series: string; shared: SharedServiceRecord} {
  const prepared = Object.keys(host.services ?? {})
  if (asked) {
    const shared = host.services?.[asked]
    if (!shared) {
      throw new OdoopsError('HOST_SERIES_NOT_PREPARED', `Odoo ${asked} is not prepared on host ${host.id}${prepared.length ? ` (prepared: ${prepared.join(', ')})` : ''}.`, {
        exit: ExitCode.USAGE,
        suggestions: [`odoops host prepare ${host.id} --odoo ${asked}`],
      })
    }
    return {series: asked, shared}
  }
  if (prepared.length === 1) return {series: prepared[0], shared: host.services![prepared[0]]}
  if (prepared.length === 0) {
    throw new OdoopsError('HOST_NOT_PREPARED', `Host ${host.id} has no Odoo prepared.`, {exit: ExitCode.USAGE, suggestions: [`odoops host prepare ${host.id} --odoo 17.0`]})
  }
  throw usageError('TENANT_SERIES_REQUIRED', `Host ${host.id} runs several Odoo series (${prepared.join(', ')}): say which one.`, [`Pass --odoo ${prepared.at(-1)}`])
}

/** Fleet-wide rules checked in the store (again inside the reserving transaction). */
export async function checkFleetUnique(tx: Pick<StateTx, 'tenants'>, slug: string, domain: string, aliases: string[] = []): Promise<void> {
  const existing = await tx.tenants.get(slug)
  if (existing) {
    throw new OdoopsError('TENANT_EXISTS', `A tenant "${slug}" already exists (on host ${existing.host}, state ${existing.state}). Slugs are unique across the fleet.`, {
      exit: ExitCode.USAGE,
      suggestions: existing.state === 'creating' || existing.state === 'failed' ? [`Resume it: odoops tenant create --resume ${slug}`, `Or clean it up: odoops tenant remove ${slug} --confirm ${slug}`] : ['Choose another slug.'],
    })
  }
  await checkNamesFree(tx, [domain, ...aliases])
}

/**
 * No name serves two tenants: `names` are nobody's domain, alias or (until it ends) redirected
 * old name, except the tenant `own`'s (DOMAIN_IN_USE, exit 2).
 */
export async function checkNamesFree(tx: Pick<StateTx, 'tenants'>, names: readonly string[], own?: string, now = new Date()): Promise<void> {
  for (const name of names) {
    const sameDomain = (await tx.tenants.list({domain: name})).find((t) => t.id !== own)
    if (sameDomain) {
      throw new OdoopsError('DOMAIN_IN_USE', `${name} is already the domain of tenant "${sameDomain.id}".`, {exit: ExitCode.USAGE, suggestions: ['Use another domain for this tenant.']})
    }
  }
  // Aliases (`--alias`) are names of a tenant too, and so are old names while they redirect.
  const wanted = new Set(names)
  for (const other of await tx.tenants.list()) {
    if (other.id === own) continue
    const taken = (other.aliases ?? []).find((a) => wanted.has(a))
    if (taken) throw new OdoopsError('DOMAIN_IN_USE', `${taken} is already an alias of tenant "${other.id}".`, {exit: ExitCode.USAGE, suggestions: ['Use another name for this tenant.']})
    for (const redirect of other.redirects ?? []) {
      const old = redirect.names.find((n) => wanted.has(n))
      if (old && new Date(redirect.until) > now) {
        throw new OdoopsError('DOMAIN_IN_USE', `${old} is an old name of tenant "${other.id}", redirected to ${other.domain} until ${redirect.until}.`, {
          exit: ExitCode.USAGE,
          suggestions: [`Wait until then, or drop the redirect first: odoops tenant set-domain ${other.id} ${other.domain} --drop-old`],
        })
      }
    }
  }
}

/** Ports recorded for a host: its shared services and its dedicated tenants. */
export async function recordedPorts(tx: Pick<StateTx, 'tenants'>, host: HostRecord): Promise<number[]> {
  const ports: number[] = []
  for (const svc of Object.values(host.services ?? {})) ports.push(svc.httpPort, svc.geventPort)
  for (const tenant of await tx.tenants.list({host: host.id})) {
    if (tenant.mode === 'dedicated' && tenant.service) ports.push(tenant.service.httpPort, tenant.service.geventPort)
  }
  return ports
}

/**
 * Read-only checks on the host before anything is created: PostgreSQL up, room on disk,
 * the domain not served by another nginx site, the database and unit not already there,
 * and (dedicated) a free port pair. Returns the service the tenant will have.
 */
export async function preflight(
  conn: SshConnection,
  tx: Pick<StateTx, 'tenants'>,
  host: HostRecord,
  input: TenantCreateInput,
  shared: SharedServiceRecord,
  database: string,
): Promise<{service: TenantServiceInfo; listening: number[]}> {
  const cluster = await pgCluster(conn)
  if (!cluster.running) {
    throw new OdoopsError('POSTGRES_DOWN', `PostgreSQL is not running on ${host.id}.`, {
      suggestions: [`Start it: odoops host exec ${host.id} -- systemctl start postgresql`, `Or re-run: odoops host prepare ${host.id} --odoo ${shared.series}`],
    })
  }
  const free = await freeBytes(conn, '/var/lib/odoops')
  if (free < MIN_FREE_BYTES) {
    throw new OdoopsError('DISK_NEARLY_FULL', `Only ${(free / 1024 ** 2).toFixed(0)} MiB free under /var/lib/odoops on ${host.id} (at least ${MIN_FREE_BYTES / 1024 ** 3} GiB needed).`, {
      suggestions: ['Free some space on the host (old logs, removed tenants), or place the tenant on another host.'],
    })
  }
  const dump = await conn.exec(shell`nginx -T`, {root: true})
  for (const name of [input.domain, ...(input.aliases ?? [])]) {
    const clash = filesServing(dump.stdout.toString(), name, vhostFileName(input.slug))
    if (clash.length) {
      throw new OdoopsError('DOMAIN_SERVED_ON_HOST', `${name} is already served by nginx on ${host.id} (${clash.join(', ')}).`, {
        exit: ExitCode.USAGE,
        suggestions: ['Use another domain, or remove that site from the host first.'],
      })
    }
  }
  if (await databaseExists(conn, database)) {
    throw new OdoopsError('DATABASE_EXISTS', `A database named "${database}" already exists on ${host.id}; odoops will not take over a database it did not create.`, {
      exit: ExitCode.USAGE,
      suggestions: ['Choose another slug/domain, or drop or rename that database on the host first.'],
    })
  }
  if (input.mode === 'shared') {
    return {service: {unit: shared.unit, config: shared.config, dataDir: shared.dataDir, httpPort: shared.httpPort, geventPort: shared.geventPort, role: shared.role}, listening: []}
  }
  const names = dedicatedNames(input.slug)
  if ((await unitStatus(conn, names.unit)).exists) {
    throw new OdoopsError('UNIT_EXISTS', `A systemd unit ${names.unit} already exists on ${host.id}.`, {
      exit: ExitCode.USAGE,
      suggestions: ['Choose another slug, or remove that unit from the host first.'],
    })
  }
  const listening = await listeningPorts(conn)
  const ports = allocatePortPair([...(await recordedPorts(tx, host)), ...listening])
  return {service: {unit: names.unit, config: names.config, dataDir: names.dataDir, role: names.role, size: input.size, ...ports}, listening}
}

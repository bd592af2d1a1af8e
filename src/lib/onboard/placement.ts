import {ExitCode, messageOf, OdoopsError, usageError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import {script, shell} from '../ssh/quote.js'
import type {SshConnection} from '../ssh/connection.js'
import type {HostRecord} from '../state/records.js'
import type {TenantEnv} from '../tenants/context.js'
import {connectFor} from '../tenants/create.js'

/** What one more tenant roughly needs: memory for its share of workers, disk for database + filestore. */
const TENANT_MEMORY_BYTES = 512 * 1024 ** 2
const TENANT_DISK_BYTES = 5 * 1024 ** 3

export interface Placement {
  host: string
  series: string
  detail: string
}

/** The newest series of the template the host has prepared, if any. */
export function preparedSeries(host: HostRecord, series: string[]): string | undefined {
  const prepared = Object.keys(host.services ?? {})
  return [...series].sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a)).find((s) => prepared.includes(s))
}

export interface Capacity {
  memoryAvailable: number
  diskFree: number
  /** How many more tenants fit, by the scarcer of memory and disk. */
  score: number
}

/** One round trip: MemAvailable (the kernel's estimate of memory usable without swapping) and free space under /var/lib. */
export async function measureCapacity(conn: SshConnection): Promise<Capacity> {
  const out = await conn.run(script([shell`awk '/^MemAvailable:/ {print $2}' /proc/meminfo`, shell`df -Pk /var/lib | awk 'NR==2 {print $4}'`]), {timeoutMs: 20_000})
  const [memKb, diskKb] = out.trim().split('\n').map(Number)
  if (!Number.isFinite(memKb) || !Number.isFinite(diskKb)) throw new Error(`unexpected capacity output: ${out.trim()}`)
  const memoryAvailable = memKb * 1024
  const diskFree = diskKb * 1024
  return {memoryAvailable, diskFree, score: Math.min(memoryAvailable / TENANT_MEMORY_BYTES, diskFree / TENANT_DISK_BYTES)}
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`

/**
 * Where the tenant goes: the given host (it must have a series of the template
 * prepared), or among the prepared hosts the one with the most free capacity, measured
 * now on each (hosts that cannot be reached are passed over and named in the detail).
 */
export async function placeTenant(env: TenantEnv, options: {host?: string; series: string[]}): Promise<Placement> {
  if (options.host) {
    const host = await getHost(env.store, options.host)
    const series = preparedSeries(host, options.series)
    if (!series) {
      throw usageError('HOST_SERIES_NOT_PREPARED', `Host ${host.id} has no Odoo series of this template prepared (template: ${options.series.join(', ')}; host: ${Object.keys(host.services ?? {}).join(', ') || 'none'}).`, [
        `odoops host prepare ${host.id} --odoo ${options.series.at(-1)}`,
        'Or use --auto-place to pick a prepared host.',
      ])
    }
    return {host: host.id, series, detail: `${host.id} (given), Odoo ${series}`}
  }
  const candidates = (await env.store.hosts.list()).filter((h) => preparedSeries(h, options.series))
  if (candidates.length === 0) {
    throw new OdoopsError('NO_PREPARED_HOST', `No host has an Odoo series of this template prepared (${options.series.join(', ')}).`, {
      exit: ExitCode.USAGE,
      suggestions: [`Prepare one: odoops host prepare <host> --odoo ${options.series.at(-1)}`, 'odoops host list shows the hosts.'],
    })
  }
  const measured: {host: HostRecord; capacity: Capacity}[] = []
  const skipped: string[] = []
  for (const host of candidates) {
    try {
      measured.push({host, capacity: await measureCapacity(await connectFor(env)(host.id))})
    } catch (error) {
      skipped.push(`${host.id}: ${messageOf(error)}`)
    }
  }
  const best = measured.sort((a, b) => b.capacity.score - a.capacity.score)[0]
  if (!best || best.capacity.score < 1) {
    throw new OdoopsError('NO_HOST_CAPACITY', `No prepared host can take another tenant${best ? ` (best: ${best.host.id} with ${gib(best.capacity.memoryAvailable)} memory and ${gib(best.capacity.diskFree)} disk free)` : ''}.`, {
      suggestions: ['Add memory or disk to a host, or prepare another one.', ...skipped.map((s) => `Unreachable: ${s}`)],
    })
  }
  const series = preparedSeries(best.host, options.series)!
  const others = measured.length > 1 ? ` of ${measured.length} hosts` : ''
  const detail = `${best.host.id}${others}: ${gib(best.capacity.memoryAvailable)} memory, ${gib(best.capacity.diskFree)} disk free; Odoo ${series}${skipped.length ? `; skipped ${skipped.join('; ')}` : ''}`
  return {host: best.host.id, series, detail}
}

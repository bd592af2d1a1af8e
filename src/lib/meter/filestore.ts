import {OdoopsError} from '../errors.js'
import {script, shell, type RemoteCommand} from '../ssh/quote.js'
import type {TenantRecord} from '../state/records.js'
import type {HostMetric} from './types.js'

/**
 * Odoo's filestore of a database: `<data_dir>/filestore/<db>` (odoo/tools/config.py
 * `filestore()`; attachments at `<sha1[:2]>/<sha1>`, odoo/addons/base/models/ir_attachment.py).
 */
export function filestorePath(dataDir: string, database: string): string {
  return `${dataDir.replace(/\/+$/, '')}/filestore/${database}`
}

/**
 * One command measuring every directory it reads on stdin (NUL-separated, so no path is
 * ever on the command line and any number fits): one line per directory, in order, with
 * the sum of its files' sizes in bytes, `0` when the directory does not exist (Odoo creates
 * it with the first attachment), `E` when it could not be read. Sizes are the files' own
 * (apparent) sizes, as `ir_attachment.file_size` records them: the same data measures the
 * same on any filesystem, whatever its block size. printf %.0f: mawk's %d stops at 2^31.
 */
export function filestoreSizesCommand(): RemoteCommand {
  return script([
    shell`while IFS= read -r -d '' d; do`,
    shell`  if [ ! -e "$d" ]; then echo 0; continue; fi`,
    shell`  if s=$(find "$d" -type f -printf '%s\\n' 2>/dev/null | awk '{s+=$1} END {printf "%.0f\\n", s}'); then echo "$s"; else echo E; fi`,
    shell`done`,
  ])
}

/** The stdin of `filestoreSizesCommand`: each path followed by NUL. */
export function filestoreSizesInput(paths: readonly string[]): string {
  for (const p of paths) {
    if (p.includes('\0') || p.includes('\n')) throw new OdoopsError('FILESTORE_PATH_INVALID', `The filestore path ${JSON.stringify(p)} cannot be measured.`)
  }
  return paths.map((p) => `${p}\0`).join('')
}

/** Sizes by path, in the order given; undefined for a directory that could not be read. */
export function parseFilestoreSizes(output: string, paths: readonly string[]): (number | undefined)[] {
  const lines = output.split('\n').filter((l) => l !== '')
  if (lines.length !== paths.length) {
    throw new OdoopsError('FILESTORE_MEASURE_FAILED', `Measuring ${paths.length} filestore(s) returned ${lines.length} line(s).`)
  }
  return lines.map((l) => (/^\d+$/.test(l.trim()) ? Number(l.trim()) : undefined))
}

/** The data directory a tenant's Odoo service writes its filestore under. */
export function dataDirOf(tenant: TenantRecord, sharedDataDir: string | undefined): string | undefined {
  if (tenant.mode === 'dedicated') return tenant.service?.dataDir
  return sharedDataDir ?? tenant.service?.dataDir
}

/**
 * storage.filestore_bytes: bytes of the files in the tenant's filestore, measured for every
 * tenant of a host by one SSH command (as root: the filestore is the odoo user's, mode 0750).
 */
export const filestoreMetric: HostMetric = {
  name: 'storage.filestore_bytes',
  unit: 'bytes',
  aggregation: 'max',
  queryVersion: 1,
  description: 'bytes of the files in the filestore (<data_dir>/filestore/<db>), apparent sizes',
  scope: 'host',
  async collectHost({conn, host, tenants}) {
    const measured = tenants.flatMap((t) => {
      const dataDir = dataDirOf(t, host.services?.[t.series]?.dataDir)
      return dataDir ? [{tenant: t.id, path: filestorePath(dataDir, t.database)}] : []
    })
    const values = new Map<string, number>()
    if (measured.length === 0) return values
    const paths = measured.map((m) => m.path)
    const result = await conn.exec(filestoreSizesCommand(), {root: true, stdin: filestoreSizesInput(paths), timeoutMs: 600_000})
    if (result.code !== 0) {
      throw new OdoopsError('FILESTORE_MEASURE_FAILED', `Measuring filestores on ${host.id} failed (exit ${result.code ?? result.signal}): ${result.stderr.toString('utf8').trim().slice(-300)}`, {
        suggestions: ['Check that odoops connects as root or with passwordless sudo (odoops host check).'],
      })
    }
    const sizes = parseFilestoreSizes(result.stdout.toString('utf8'), paths)
    measured.forEach((m, i) => {
      const size = sizes[i]
      if (size !== undefined) values.set(m.tenant, size)
    })
    return values
  },
}

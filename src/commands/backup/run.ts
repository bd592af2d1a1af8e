import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
// The run's own modules, not the backup barrel: restore, move and the zip codecs would load too (about 16 MB of RSS).
import {largeTableMinBytes as largeTableThreshold, runBackups, selectTenants, type BackupProgress, type BackupRunReport} from '../../lib/backup/run.js'
import {defaultTargetName} from '../../lib/backup/targets/registry.js'
import {formatBytes, formatDuration} from '../../lib/output/format.js'
import type {Progress} from '../../lib/output/progress.js'

export type BackupRunOutput = BackupRunReport

export default class BackupRun extends OdoopsCommand<BackupRunOutput> {
  static override usesSsh = true
  static override summary = 'back up tenants: database and filestore (blobs the target lacks) streamed to a target, checked, manifest last'
  static override description = `Over the tenant host's SSH connection, pg_dump (custom format) is compressed on the host (zstd, else gzip) and streamed to the target with its SHA-256 computed on the way and checked again at the target; nothing is buffered or staged in a temporary file. The filestore is stored by content: each file once per target, as a blob named by its SHA-1 (Odoo's own file name) and shared by every backup there; a run asks the target which blobs it has (in batches) and sends only the missing ones, each checked on arrival (its SHA-1 must be its name). Tables of 64 MiB or more (ODOOPS_BACKUP_LARGE_TABLE_MB; 0 for none) are stored by content too: their rows, read in the dump's snapshot, are a blob of the pool, and a later run that finds a table unchanged (hashed on the host) sends nothing of it. A backup is recorded in the catalog only when every file, manifest last, was stored and checked: a failed or interrupted run leaves no catalog entry and no partial file. Several tenants run in parallel across hosts (--per-host at once on each host). Exit 0 when all succeeded, 3 when some failed, 1 when all failed. See docs/backups.md.`
  static override audited = true
  static override strict = false
  static override flags = {
    all: Flags.boolean({description: 'every active or stopped tenant'}),
    target: Flags.string({description: 'backup target (default: the backup.defaultTarget setting, which the first target added becomes; else the built-in "default", a directory under the data dir)'}),
    'per-host': Flags.integer({description: 'tenants backed up at once on one host', default: 2, min: 1, max: 16}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme bigco --target offsite', '<%= config.bin %> <%= command.id %> --all --json']

  async run(): Promise<BackupRunOutput> {
    const {argv, flags} = await this.parse(BackupRun)
    const slugs = (argv as string[]).filter((a) => a !== '--')
    if (flags.all && slugs.length > 0) throw usageError('BACKUP_SELECTION', 'Name tenants or pass --all, not both.', ['odoops backup run acme', 'odoops backup run --all'])
    // A bad ODOOPS_BACKUP_LARGE_TABLE_MB is a usage error (exit 2) before any tenant is touched.
    const largeTableMinBytes = largeTableThreshold({})
    this.handlesInterrupt = true
    const store = await this.state()
    const tenants = await selectTenants(store, flags.all ? {all: true} : {slugs})
    const target = flags.target ?? defaultTargetName(this.settings.get<string>('backup.defaultTarget'))
    this.auditContext = {tenant: tenants.length === 1 ? tenants[0].id : undefined, details: {tenants: tenants.map((t) => t.id), target}}
    if (tenants.length === 0) {
      this.ui.log('No active tenants to back up.')
      return {target, results: [], succeeded: 0, failed: 0, exitCode: 0}
    }
    const bars = new Map<string, {progress: Progress; started: number}>()
    const onProgress = (p: BackupProgress) => {
      if (p.phase === 'starting') bars.set(p.tenant, {progress: this.ui.progress(`backup ${p.tenant}`, {format: formatBytes}), started: Date.now()})
      const bar = bars.get(p.tenant)
      if (bar && p.phase === 'streaming') {
        const seconds = Math.max(0.001, (Date.now() - bar.started) / 1000)
        bar.progress.update(p.bytes, `${formatBytes(p.bytes / seconds)}/s`)
      }
    }
    const report = await runBackups({store, dataDir: this.dirs.dataDir, signal: this.abort.signal, onProgress, largeTableMinBytes}, tenants, {target, perHost: flags['per-host']})
    for (const r of report.results) {
      const bar = bars.get(r.tenant)?.progress
      if (r.ok) bar?.succeed(`${r.backup?.id}, ${formatBytes(r.bytes)} in ${formatDuration(r.durationMs)}`)
      else bar?.fail(`${r.error?.code}: ${r.error?.message}`)
    }
    this.ui.table(report.results, [
      {header: 'Tenant', get: (r) => r.tenant},
      {header: 'Host', get: (r) => r.host},
      {header: 'Result', get: (r) => (r.ok ? this.ui.color.green('ok') : this.ui.color.red('failed'))},
      {header: 'Backup', get: (r) => r.backup?.id ?? ''},
      {header: 'Size', get: (r) => (r.ok ? formatBytes(r.bytes) : ''), align: 'right'},
      {header: 'Time', get: (r) => formatDuration(r.durationMs), align: 'right'},
    ])
    for (const r of report.results) {
      if (!r.ok && !this.ui.json) {
        this.ui.problem('Failed:', `${r.tenant}: ${r.error?.message}`, r.error?.suggestions)
      }
    }
    this.ui.log(`${report.succeeded} backed up, ${report.failed} failed (target ${report.target}).`)
    this.auditContext.details = {...this.auditContext.details, succeeded: report.succeeded, failed: report.failed, backups: report.results.flatMap((r) => (r.backup ? [r.backup.id] : []))}
    process.exitCode = report.exitCode
    return report
  }
}

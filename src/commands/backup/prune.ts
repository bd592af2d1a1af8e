import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {pruneBackups, selectPruneTenants, type PruneReport} from '../../lib/backup/prune.js'
import {parsePlanRetention, parseRetentionRules, type RetentionRules} from '../../lib/backup/retention.js'
import {usageError} from '../../lib/errors.js'
import {formatBytes} from '../../lib/output/format.js'

export type BackupPruneOutput = PruneReport

export default class BackupPrune extends OdoopsCommand<BackupPruneOutput> {
  static override usesSsh = true
  static override summary = 'delete old backups by grandfather-father-son rules, keeping the newest verified one'
  static override description = `Per tenant, keeps the newest backup of each of the last N days, ISO weeks and months (UTC, counted from now), plus always the newest backup and the newest VERIFIED backup however old; the rest is deleted from its target (manifest first) and then from the catalog. Then each target concerned is swept: a filestore blob goes only when no catalogued backup lists it and no backup in progress claimed it (safe while backups run). Rules: backup.retention (default 7/4/12), backup.retentionByPlan for the tenant's plan tier, then --keep-* flags. Runs under the tenant's backup lock. --dry-run lists what would go (backups, and the blobs the sweep would remove) and deletes nothing. Exit 0 done, 3 when some backups could not be deleted (they stay in the catalog), 2 bad input, 130 interrupted. See docs/backups.md.`
  static override audited = true
  static override strict = false
  static override flags = {
    all: Flags.boolean({description: 'every tenant with backups in the catalog'}),
    'dry-run': Flags.boolean({description: 'list what would be kept and deleted; delete nothing'}),
    'keep-daily': Flags.integer({description: 'days whose newest backup is kept (overrides config and plan)', min: 0, max: 9999}),
    'keep-weekly': Flags.integer({description: 'ISO weeks whose newest backup is kept', min: 0, max: 9999}),
    'keep-monthly': Flags.integer({description: 'months whose newest backup is kept', min: 0, max: 9999}),
    now: Flags.string({description: 'reference time of the rules (ISO 8601, UTC); for previews and tests', hidden: true}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme --dry-run',
    '<%= config.bin %> <%= command.id %> --all',
    '<%= config.bin %> <%= command.id %> acme --keep-daily 14 --keep-weekly 8 --keep-monthly 24 --json',
  ]

  async run(): Promise<BackupPruneOutput> {
    const {argv, flags} = await this.parse(BackupPrune)
    const dryRun = flags['dry-run'] === true
    const slugs = (argv as string[]).filter((a) => a !== '--')
    if (flags.all && slugs.length > 0) throw usageError('BACKUP_SELECTION', 'Name tenants or pass --all, not both.', ['odoops backup prune acme --dry-run', 'odoops backup prune --all --dry-run'])
    const now = flags.now === undefined ? new Date() : new Date(flags.now)
    if (Number.isNaN(now.getTime())) throw usageError('INVALID_TIME', `--now "${flags.now}" is not an ISO 8601 time.`, ['e.g. --now 2026-11-20T12:00:00Z'])
    const overrides: Partial<RetentionRules> = {}
    if (flags['keep-daily'] !== undefined) overrides.daily = flags['keep-daily']
    if (flags['keep-weekly'] !== undefined) overrides.weekly = flags['keep-weekly']
    if (flags['keep-monthly'] !== undefined) overrides.monthly = flags['keep-monthly']
    const retention = {
      defaults: parseRetentionRules(this.settings.get<string>('backup.retention') ?? '7/4/12', 'backup.retention'),
      byPlan: parsePlanRetention(this.settings.get<string[]>('backup.retentionByPlan') ?? []),
      overrides,
    }
    this.handlesInterrupt = true
    const store = await this.state()
    const tenants = await selectPruneTenants(store, flags.all ? {all: true} : {slugs})
    this.auditContext = {tenant: tenants.length === 1 ? tenants[0] : undefined, details: {tenants, dryRun, overrides}}

    const report = await pruneBackups({store, dataDir: this.dirs.dataDir, signal: this.abort.signal, now: () => now}, tenants, {dryRun, retention})

    const verb = report.dryRun ? 'would delete' : 'deleted'
    for (const t of report.tenants) {
      this.ui.log(`${this.ui.color.bold(t.tenant)}: keep daily ${t.rules.daily}, weekly ${t.rules.weekly}, monthly ${t.rules.monthly} (${t.rules.source})`)
      if (t.error) {
        this.ui.log(`  ${this.ui.color.red('not pruned')}: ${t.error.code}: ${t.error.message}`)
        continue
      }
      const rows = [
        ...t.kept.map((b) => ({id: b.id, startedAt: b.startedAt, verification: b.verification, action: 'keep', why: b.reasons.join(', ')})),
        ...t.deleted.map((b) => ({id: b.id, startedAt: b.startedAt, verification: b.verification, action: verb, why: b.missing ? `files already gone: ${b.missing.join(', ')}` : ''})),
        ...t.failed.map((b) => ({id: b.id, startedAt: b.startedAt, verification: b.verification, action: 'FAILED', why: `${b.error.code}: ${b.error.message}`})),
      ].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id))
      if (rows.length === 0) this.ui.log('  no backups in the catalog')
      else
        this.ui.table(rows, [
          {header: 'Id', get: (r) => r.id},
          {header: 'Taken', get: (r) => r.startedAt},
          {header: 'Verified', get: (r) => r.verification ?? 'not yet'},
          {header: 'Action', get: (r) => (r.action === 'keep' ? this.ui.color.green(r.action) : r.action === 'FAILED' ? this.ui.color.red(r.action) : r.action)},
          {header: 'Why', get: (r) => r.why},
        ])
      if (t.freedBytes > 0) this.ui.log(`  ${verb} ${t.deleted.length} backup(s), ${formatBytes(t.freedBytes)}`)
    }
    for (const sweep of report.blobs) {
      if (sweep.error) this.ui.warn(`Blobs on target ${sweep.target} not swept: ${sweep.error.code}: ${sweep.error.message}`)
      else this.ui.log(`Blobs on target ${sweep.target}: ${sweep.kept} kept, ${sweep.removed} ${report.dryRun ? 'would be removed' : 'removed'} (${formatBytes(sweep.freedBytes)}) that no kept backup needs`)
    }
    this.ui.log(`${report.kept} kept, ${report.deleted} ${verb}${report.failed > 0 ? `, ${report.failed} could not be deleted (still in the catalog)` : ''}${report.dryRun ? ' (dry run: nothing was deleted)' : ''}.`)
    this.auditContext.details = {
      ...this.auditContext.details,
      deleted: report.dryRun ? [] : report.tenants.flatMap((t) => t.deleted.map((b) => b.id)),
      failed: report.tenants.flatMap((t) => t.failed.map((b) => b.id)),
      errors: [...report.tenants.flatMap((t) => (t.error ? [`${t.tenant}: ${t.error.code}`] : [])), ...report.blobs.flatMap((b) => (b.error ? [`blobs on ${b.target}: ${b.error.code}`] : []))],
      blobsRemoved: report.blobs.reduce((n, b) => n + b.removed, 0),
    }
    process.exitCode = report.exitCode
    return report
  }
}

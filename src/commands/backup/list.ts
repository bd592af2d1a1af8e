import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {listBackups, type BackupView} from '../../lib/backup/catalog.js'
import {findStale, type StaleTenant} from '../../lib/backup/retention.js'
import {ExitCode} from '../../lib/errors.js'
import {formatBytes} from '../../lib/output/format.js'

export interface BackupListOutput {
  backups: BackupView[]
  /**
   * Only with --stale <hours>: the active tenants (of the tenant argument, or all) whose
   * newest VERIFIED backup was taken more than `hours` ago or who have none. Non-empty
   * `tenants` means exit 1.
   */
  stale?: {hours: number; checked: number; tenants: StaleTenant[]}
}

/** "3h", "2d": age for people. */
function age(iso: string): string {
  const hours = (Date.now() - Date.parse(iso)) / 3_600_000
  if (hours < 1) return `${Math.max(0, Math.round(hours * 60))}m`
  if (hours < 48) return `${Math.round(hours)}h`
  return `${Math.round(hours / 24)}d`
}

export default class BackupList extends OdoopsCommand<BackupListOutput> {
  static override summary = 'list the backups in the catalog, newest first'
  static override description = 'Read from the state store only (targets are not contacted). Only complete backups are in the catalog: a failed or interrupted run never appears. With --stale <hours> (for monitoring), lists instead the active tenants whose newest verified backup is older than that, or missing, and exits 1 when there is any.'
  static override args = {tenant: Args.string({description: 'only this tenant\'s backups'})}
  static override flags = {
    stale: Flags.integer({description: 'exit 1 and list the active tenants whose newest VERIFIED backup was taken more than this many hours ago (or who have none)', min: 1}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> acme --json', '<%= config.bin %> <%= command.id %> --stale 26']

  async run(): Promise<BackupListOutput> {
    const {args, flags} = await this.parse(BackupList)
    const store = await this.state()
    const backups = await listBackups(store, {tenant: args.tenant})
    if (flags.stale !== undefined) {
      const active = (await store.tenants.list({state: 'active'})).map((t) => t.id).filter((id) => args.tenant === undefined || id === args.tenant)
      const tenants = findStale(active, backups, flags.stale, new Date())
      if (tenants.length === 0) this.ui.log(`All ${active.length} active tenant(s) have a verified backup taken within ${flags.stale}h.`)
      else {
        this.ui.table(tenants, [
          {header: 'Tenant', get: (s) => s.tenant},
          {header: 'Newest verified backup', get: (s) => s.newestVerified ?? 'none'},
          {header: 'Taken', get: (s) => s.newestVerifiedAt ?? ''},
          {header: 'Age', get: (s) => (s.newestVerifiedAt ? age(s.newestVerifiedAt) : ''), align: 'right'},
        ])
        this.ui.log(`${tenants.length} of ${active.length} active tenant(s) have no verified backup taken within ${flags.stale}h.`)
        process.exitCode = ExitCode.FAILURE
      }
      return {backups, stale: {hours: flags.stale, checked: active.length, tenants}}
    }
    if (backups.length === 0) this.ui.log(args.tenant ? `No backups of ${args.tenant} yet: odoops backup run ${args.tenant}` : 'No backups yet: odoops backup run <slug>|--all')
    else
      this.ui.table(backups, [
        {header: 'Id', get: (b) => b.id},
        {header: 'Tenant', get: (b) => b.tenant},
        {header: 'Target', get: (b) => b.target},
        {header: 'Taken', get: (b) => b.startedAt},
        {header: 'Age', get: (b) => age(b.startedAt), align: 'right'},
        {header: 'Size', get: (b) => formatBytes(b.totalBytes), align: 'right'},
        {header: 'Verified', get: (b) => (b.verification ? b.verification.status : 'not yet')},
      ])
    return {backups}
  }
}

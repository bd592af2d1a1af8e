import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {listBackups, type BackupView} from '../../lib/backup/index.js'
import {formatBytes} from '../../lib/output/format.js'

export interface BackupListOutput {
  backups: BackupView[]
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
  static override description = 'Read from the state store only (targets are not contacted). Only complete backups are in the catalog: a failed or interrupted run never appears.'
  static override args = {tenant: Args.string({description: 'only this tenant\'s backups'})}
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> acme --json']

  async run(): Promise<BackupListOutput> {
    const {args} = await this.parse(BackupList)
    const backups = await listBackups(await this.state(), {tenant: args.tenant})
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

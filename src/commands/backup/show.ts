import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {backupView, getBackup, type BackupView} from '../../lib/backup/catalog.js'
import {formatBytes, formatDuration} from '../../lib/output/format.js'

export interface BackupShowOutput {
  backup: BackupView
}

export default class BackupShow extends OdoopsCommand<BackupShowOutput> {
  static override summary = 'show one backup: files, checksums, versions, row counts'
  static override args = {id: Args.string({description: 'backup id (odoops backup list)', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> acme-20250101T020000Z-3f2a --json']

  async run(): Promise<BackupShowOutput> {
    const {args} = await this.parse(BackupShow)
    const backup = backupView(await getBackup(await this.state(), args.id))
    this.ui.log(`${backup.id}: tenant ${backup.tenant} (${backup.mode} on ${backup.host}, database ${backup.database}, Odoo ${backup.series})`)
    this.ui.log(`Taken ${backup.startedAt} in ${formatDuration(backup.durationMs)}, ${formatBytes(backup.totalBytes)} on target ${backup.target} under ${backup.directory}`)
    this.ui.log(`pg_dump ${backup.pgDumpVersion}, server ${backup.pgServerVersion}, codec ${backup.codec}; verified: ${backup.verification ? backup.verification.status : 'not yet'}`)
    this.ui.table(backup.files, [
      {header: 'File', get: (f) => f.name},
      {header: 'Size', get: (f) => formatBytes(f.size), align: 'right'},
      {header: 'SHA-256', get: (f) => f.sha256},
    ])
    const c = backup.counts
    this.ui.log(`Rows: ${c.res_users_active} active users (${c.res_users_share} portal), ${c.res_company} companies, ${c.ir_attachment} attachments, ${c.account_move} journal entries; filestore ${backup.filestore.files} files, ${formatBytes(backup.filestore.bytes)}; newest change ${backup.newestWriteDate ?? 'none'}`)
    return {backup}
  }
}

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../../cli/base-command.js'
import {removeTarget} from '../../../lib/backup/targets/registry.js'
import {confirmName} from '../../../lib/output/ui.js'
import type {BackupTargetRecord} from '../../../lib/state/records.js'

export interface BackupTargetRemoveOutput {
  removed: BackupTargetRecord
}

export default class BackupTargetRemove extends OdoopsCommand<BackupTargetRemoveOutput> {
  static override summary = 'forget a backup target (refused while catalogued backups are on it)'
  static override description = 'Only odoops forgets the target; no file on it is deleted.'
  static override audited = true
  static override args = {name: Args.string({description: 'target name', required: true})}
  static override flags = {confirm: Flags.string({description: 'the target name again, to confirm'})}
  static override examples = ['<%= config.bin %> <%= command.id %> nas --confirm nas']

  async run(): Promise<BackupTargetRemoveOutput> {
    const {args, flags} = await this.parse(BackupTargetRemove)
    this.auditContext = {details: {target: args.name}}
    await confirmName(this.ui, {what: 'backup target', name: args.name, given: flags.confirm, command: `odoops backup target remove ${args.name}`})
    const removed = await removeTarget({store: await this.state(), dataDir: this.dirs.dataDir}, args.name)
    this.ui.log(`Backup target ${args.name} removed from odoops (its files are untouched).`)
    return {removed}
  }
}

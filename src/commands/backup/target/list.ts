import {OdoopsCommand} from '../../../cli/base-command.js'
import {defaultTargetName, listTargets, type TargetView} from '../../../lib/backup/targets/registry.js'

export interface BackupTargetListOutput {
  targets: TargetView[]
}

export default class BackupTargetList extends OdoopsCommand<BackupTargetListOutput> {
  static override summary = 'list the backup targets (the built-in "default" first; the one used without --target is marked)'
  static override examples = ['<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<BackupTargetListOutput> {
    const targets = await listTargets({store: await this.state(), dataDir: this.dirs.dataDir}, defaultTargetName(this.settings.get<string>('backup.defaultTarget')))
    this.ui.table(targets, [
      {header: 'Name', get: (t) => (t.default ? `${t.name} (default)` : t.name)},
      {header: 'Type', get: (t) => t.type},
      {header: 'Location', get: (t) => t.location},
      {header: 'Backups', get: (t) => String(t.backups), align: 'right'},
    ])
    return {targets}
  }
}

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../../cli/base-command.js'
import {addTarget, becomesDefault, openTarget, TARGET_TYPES, validateTargetInput, type TargetView} from '../../../lib/backup/targets/registry.js'

export interface BackupTargetAddOutput {
  target: TargetView
}

export default class BackupTargetAdd extends OdoopsCommand<BackupTargetAddOutput> {
  static override usesSsh = true
  static override summary = 'add a backup target: a local directory, or a directory on a registered host (sftp)'
  static override description = 'The directory is created (mode 0700) and a write is tried before the target is recorded. An sftp target is reached over the registered host\'s SSH connection and written as root there.'
  static override audited = true
  static override args = {name: Args.string({description: 'target name: lowercase letters, digits, dashes', required: true})}
  static override flags = {
    type: Flags.string({description: 'kind of storage', options: [...TARGET_TYPES], required: true}),
    path: Flags.string({description: 'absolute directory (on this machine for local, on --host for sftp)', required: true}),
    host: Flags.string({description: 'sftp: the registered host holding the directory'}),
    default: Flags.boolean({allowNo: true, description: 'make it the default target (backup.defaultTarget); the first target added becomes the default unless --no-default'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> nas --type local --path /mnt/nas/odoops', '<%= config.bin %> <%= command.id %> offsite --type sftp --host backup1 --path /srv/odoops-backups']

  async run(): Promise<BackupTargetAddOutput> {
    const {args, flags} = await this.parse(BackupTargetAdd)
    this.auditContext = {host: flags.host, details: {target: args.name, type: flags.type}}
    // As given: the help says "absolute directory", and '' or a relative path must not become the working directory.
    const path = flags.path
    validateTargetInput({name: args.name, type: flags.type, path, host: flags.host})
    const env = {store: await this.state(), dataDir: this.dirs.dataDir}
    const makeDefault = await becomesDefault(env.store, flags.default, this.settings.get<string>('backup.defaultTarget'))
    const record = await addTarget(env, {name: args.name, type: flags.type, path, host: flags.host})
    const location = openTarget(env, record).location
    this.ui.log(`Backup target ${record.id} added: ${record.type} ${location}.`)
    if (makeDefault) {
      await this.settings.set('backup.defaultTarget', record.id)
      this.ui.log(`It is the default target now (backup.defaultTarget): backup run, onboarding and scheduled backups use it without --target. Change with odoops config set backup.defaultTarget <name>.`)
    }
    return {target: {name: record.id, type: record.type, location, builtIn: false, default: makeDefault, backups: 0}}
  }
}

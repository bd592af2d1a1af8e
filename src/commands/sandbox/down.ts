import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {sandboxDown, type SandboxDownResult} from '../../lib/sandbox/index.js'

export default class SandboxDown extends OdoopsCommand<SandboxDownResult> {
  static override summary = 'stop sandboxes and remove everything they created'
  static override description = 'Stops each sandbox by its recorded PID, removes its network, files and host record, and stops the package proxy when none remain.'
  static override audited = true
  static override flags = {
    name: Flags.string({description: 'sandbox to remove (repeatable)', multiple: true, exclusive: ['all']}),
    all: Flags.boolean({description: 'remove every sandbox', exclusive: ['name']}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> --name demo', '<%= config.bin %> <%= command.id %> --all']

  async run(): Promise<SandboxDownResult> {
    const {flags} = await this.parse(SandboxDown)
    if (!flags.all && !flags.name?.length) throw usageError('SANDBOX_DOWN_WHICH', 'Say which sandboxes to remove.', ['odoops sandbox down --name <name>', 'odoops sandbox down --all'])
    const result = await sandboxDown({dataDir: this.dirs.dataDir, names: flags.name, all: flags.all, store: await this.state()})
    this.auditContext = {host: result.removed.map((r) => r.name).join(',') || undefined, details: {removed: result.removed.map((r) => r.name)}}
    if (result.removed.length === 0) this.ui.log('No sandboxes to remove.')
    for (const removed of result.removed) {
      this.ui.log(`${removed.name}: ${removed.stop === 'not-running' ? 'was not running' : removed.stop}${removed.unregistered ? ', host record removed' : ''}`)
    }
    if (result.proxyStopped) this.ui.log('Package proxy stopped (no sandbox left).')
    return result
  }
}

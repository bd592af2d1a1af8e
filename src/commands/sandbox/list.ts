import {OdoopsCommand} from '../../cli/base-command.js'
import {sandboxList, type SandboxListResult} from '../../lib/sandbox/index.js'

export default class SandboxList extends OdoopsCommand<SandboxListResult> {
  static override summary = 'list the sandboxes of this machine, whether each is running'
  static override description = 'Entries whose process is gone (e.g. after a reboot) are cleaned up and reported.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<SandboxListResult> {
    await this.parse(SandboxList)
    const result = await sandboxList({dataDir: this.dirs.dataDir, store: await this.state()})
    this.ui.table(result.sandboxes, [
      {header: 'Name', get: (s) => s.name},
      {header: 'Address', get: (s) => s.address},
      {header: 'State', get: (s) => (s.running ? 'running' : s.state)},
      {header: 'Image', get: (s) => s.image},
      {header: 'PID', get: (s) => s.pid, align: 'right'},
      {header: 'Host key', get: (s) => s.hostKey},
    ])
    if (result.cleaned.length > 0) this.ui.warn(`Removed stale sandbox entries: ${result.cleaned.join(', ')}.`)
    return result
  }
}

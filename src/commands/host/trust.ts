import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {trustHost, type TrustHostResult} from '../../lib/hosts/index.js'
import {hostKeyConfirmer} from '../../cli/ssh-setup.js'
import {closeAllSsh} from '../../lib/ssh/index.js'

export default class HostTrust extends OdoopsCommand<TrustHostResult> {
  static override usesSsh = true
  static override summary = "re-pin a host's SSH key after it changed (reinstall)"
  static override description = 'Shows the pinned and the offered fingerprint. Non-interactively the new key must be given with --host-key (or accepted blindly with --trust-new-host-key).'
  static override audited = true
  static override args = {name: Args.string({description: 'host name', required: true})}
  static override flags = {
    'host-key': Flags.string({description: 'the new fingerprint, SHA256:…, as shown on the host'}),
    'trust-new-host-key': Flags.boolean({description: 'pin whatever key the host offers now', exclusive: ['host-key']}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> web1', '<%= config.bin %> <%= command.id %> web1 --host-key SHA256:abc…']

  async run(): Promise<TrustHostResult> {
    const {args, flags} = await this.parse(HostTrust)
    this.auditContext = {host: args.name}
    try {
      const result = await trustHost(await this.state(), args.name, {hostKey: flags['host-key'], trustNew: flags['trust-new-host-key']}, {confirmKey: hostKeyConfirmer(this.ui)})
      this.auditContext.details = {previous: result.previous, hostKey: result.host.hostKey, changed: result.changed}
      this.ui.log(result.changed ? `Host key of ${args.name} re-pinned: ${result.previous ?? '(none)'} → ${result.host.hostKey}.` : `The host key of ${args.name} is unchanged (${result.host.hostKey}).`)
      return result
    } finally {
      await closeAllSsh()
    }
  }
}

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {addHost, type AddHostResult} from '../../lib/hosts/index.js'
import {hostKeyConfirmer} from '../../cli/ssh-setup.js'
import {closeAllSsh} from '../../lib/ssh/index.js'

export default class HostAdd extends OdoopsCommand<AddHostResult> {
  static override usesSsh = true
  static override summary = 'register a server and pin its SSH host key'
  static override description = `The name may be a Host alias of ~/.ssh/config (HostName, Port, User, IdentityFile and ProxyJump are used). odoops connects once to learn the host key: it must match --host-key, or be accepted with --trust-new-host-key, or be confirmed at the terminal. Authentication: ssh-agent first, then the identity file. The host is recorded only after a successful login.`
  static override audited = true
  static override args = {name: Args.string({description: 'host name (lowercase letters, digits, dashes) or ~/.ssh/config alias', required: true})}
  static override flags = {
    address: Flags.string({description: 'IP address or DNS name (default: HostName from ~/.ssh/config)'}),
    port: Flags.integer({description: 'SSH port (default 22)', min: 1, max: 65535}),
    user: Flags.string({description: 'login user (default root); other users need passwordless sudo'}),
    identity: Flags.string({description: 'private key file (default: ssh-agent, then ~/.ssh/id_*)'}),
    jump: Flags.string({description: 'reach this host through another registered host (ProxyJump)'}),
    'host-key': Flags.string({description: 'expected host key fingerprint, SHA256:…'}),
    'trust-new-host-key': Flags.boolean({description: 'pin whatever key the host offers now (first contact only)', exclusive: ['host-key']}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web1 --address 203.0.113.10 --host-key SHA256:abc…',
    '<%= config.bin %> <%= command.id %> web2 --address web2.example.com --user deploy --trust-new-host-key',
    '<%= config.bin %> <%= command.id %> prod-db   # a Host alias of ~/.ssh/config',
  ]

  async run(): Promise<AddHostResult> {
    const {args, flags} = await this.parse(HostAdd)
    this.auditContext = {host: args.name}
    try {
      const result = await addHost(
        await this.state(),
        {
          name: args.name,
          address: flags.address,
          port: flags.port,
          user: flags.user,
          identity: flags.identity,
          jump: flags.jump,
          hostKey: flags['host-key'],
          trustNewHostKey: flags['trust-new-host-key'],
        },
        {confirmKey: hostKeyConfirmer(this.ui)},
      )
      this.auditContext.details = {address: result.host.address, user: result.host.user, hostKey: result.host.hostKey}
      this.ui.log(`Host ${result.host.id} added: ${result.host.user}@${result.host.address}:${result.host.port}, key ${result.host.hostKey} pinned.`)
      this.ui.log(`Next: odoops host check ${result.host.id}`)
      return result
    } finally {
      await closeAllSsh()
    }
  }
}

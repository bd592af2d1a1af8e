import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {getHost} from '../../lib/hosts/index.js'
import type {HostRecord} from '../../lib/state/records.js'

export default class HostShow extends OdoopsCommand<HostRecord> {
  static override summary = 'show a host: address, pinned key, last checked facts'
  static override args = {name: Args.string({description: 'host name', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> web1 --json']

  async run(): Promise<HostRecord> {
    const {args} = await this.parse(HostShow)
    const host = await getHost(await this.state(), args.name)
    this.ui.log(`${host.id}: ${host.user}@${host.address}:${host.port}${host.jump ? ` via ${host.jump}` : ''}`)
    this.ui.log(`Host key: ${host.hostKey ?? '(none)'}`)
    if (host.identityFile) this.ui.log(`Identity: ${host.identityFile}`)
    if (host.acme) this.ui.log(`ACME: ${host.acme.email} at ${host.acme.server}${host.acme.caBundle ? ' (with a CA bundle)' : ''}; tenants default to --tls acme`)
    if (host.facts) this.ui.log(`Facts (checked ${(host.facts.checkedAt as string | undefined) ?? '?'}):\n${JSON.stringify(host.facts, null, 2)}`)
    else this.ui.log(`Not checked yet: odoops host check ${host.id}`)
    return host
  }
}

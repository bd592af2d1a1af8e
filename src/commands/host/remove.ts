import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {getHost, removeHost} from '../../lib/hosts/index.js'
import {confirmName} from '../../lib/output/ui.js'
import type {HostRecord} from '../../lib/state/records.js'

export type HostRemoveResult = {removed: HostRecord}

export default class HostRemove extends OdoopsCommand<HostRemoveResult> {
  static override summary = 'unregister a host (refused while tenants live on it)'
  static override description = 'Only odoops forgets the host; nothing on the server is changed.'
  static override audited = true
  static override args = {name: Args.string({description: 'host name', required: true})}
  static override flags = {confirm: Flags.string({description: 'the host name again, to confirm'})}
  static override examples = ['<%= config.bin %> <%= command.id %> web1 --confirm web1']

  async run(): Promise<HostRemoveResult> {
    const {args, flags} = await this.parse(HostRemove)
    this.auditContext = {host: args.name}
    const store = await this.state()
    await getHost(store, args.name)
    await confirmName(this.ui, {what: 'host', name: args.name, given: flags.confirm, command: `odoops host remove ${args.name}`})
    const removed = await removeHost(store, args.name)
    this.ui.log(`Host ${args.name} removed from odoops (the server itself is untouched).`)
    return {removed}
  }
}

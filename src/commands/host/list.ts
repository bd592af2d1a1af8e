import {OdoopsCommand} from '../../cli/base-command.js'
import {listHosts} from '../../lib/hosts/index.js'
import type {HostRecord} from '../../lib/state/records.js'

export type HostListResult = {hosts: HostRecord[]}

export default class HostList extends OdoopsCommand<HostListResult> {
  static override summary = 'list the registered hosts'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<HostListResult> {
    await this.parse(HostList)
    const hosts = await listHosts(await this.state())
    if (hosts.length === 0) this.ui.log('No hosts yet: odoops host add <name> --address <address>')
    else
      this.ui.table(hosts, [
        {header: 'Name', get: (h) => h.id},
        {header: 'Address', get: (h) => `${h.user}@${h.address}:${h.port}`},
        {header: 'Via', get: (h) => h.jump ?? ''},
        {header: 'Host key', get: (h) => h.hostKey ?? ''},
        {header: 'OS', get: (h) => String((h.facts?.os as {name?: string} | undefined)?.name ?? '')},
      ])
    return {hosts}
  }
}

import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {EFFECTIVE_STATES, listTenants, parseStateFilter, type TenantListItem} from '../../lib/tenants/listing.js'

export interface TenantListOutput {
  tenants: TenantListItem[]
}

export default class TenantList extends OdoopsCommand<TenantListOutput> {
  static override summary = 'list the tenants: host, mode, series, domain, state, customer'
  static override description = `Read from the state store only (no host is contacted; tenant status checks the hosts). A creation or removal whose process died shows as "interrupted".`
  static override flags = {
    host: Flags.string({description: 'only the tenants on this host'}),
    // Not --state: that global flag names the state store.
    'in-state': Flags.string({description: 'only the tenants in this state', options: [...EFFECTIVE_STATES]}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --host web1 --in-state failed --json']

  async run(): Promise<TenantListOutput> {
    const {flags} = await this.parse(TenantList)
    const tenants = await listTenants(await this.state(), {host: flags.host, state: parseStateFilter(flags['in-state'])})
    if (tenants.length === 0 && !flags.host && !flags['in-state']) this.ui.log('No tenants yet: odoops tenant create <slug> --host <host> --domain <fqdn>')
    else
      this.ui.table(tenants, [
        {header: 'Slug', get: (t) => t.slug},
        {header: 'Host', get: (t) => t.host},
        {header: 'Mode', get: (t) => t.mode},
        {header: 'Series', get: (t) => t.series},
        {header: 'Domain', get: (t) => t.domain},
        {header: 'State', get: (t) => (t.operation?.failedStep && t.state !== 'active' ? `${t.state} (${t.operation.kind}: ${t.operation.failedStep})` : t.state)},
        {header: 'Customer', get: (t) => t.customer ?? ''},
      ])
    return {tenants}
  }
}

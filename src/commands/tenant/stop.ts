import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stopTenant} from '../../lib/tenants/lifecycle.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'

export interface TenantStopOutput {
  tenant: TenantView
  unit: string
  change: 'changed' | 'unchanged'
}

export default class TenantStop extends OdoopsCommand<TenantStopOutput> {
  static override usesSsh = true
  static override summary = 'stop a dedicated tenant\'s service'
  static override description = `Stops and disables its systemd unit (a reboot does not start it again) and records it as stopped; nginx answers 502 for its domain meanwhile. Shared tenants have no service of their own and are refused. Bring it back with tenant start.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant slug (a dedicated tenant)', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> bigco']

  async run(): Promise<TenantStopOutput> {
    const {args} = await this.parse(TenantStop)
    this.auditContext = {tenant: args.slug}
    const result = await stopTenant({store: await this.state()}, args.slug)
    this.auditContext = {tenant: args.slug, host: result.tenant.host, details: {unit: result.unit, change: result.change}}
    this.ui.log(result.change === 'changed' ? `Tenant ${args.slug} stopped (${result.unit} on ${result.tenant.host}).` : `Tenant ${args.slug} was already stopped.`)
    return {tenant: tenantView(result.tenant), unit: result.unit, change: result.change}
  }
}

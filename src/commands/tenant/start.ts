import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {startTenant} from '../../lib/tenants/lifecycle.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'

export interface TenantStartOutput {
  tenant: TenantView
  unit: string
  change: 'changed' | 'unchanged'
  /** `/web/health` through nginx after the start. */
  health: {ok: boolean; status: number; detail: string}
}

export default class TenantStart extends OdoopsCommand<TenantStartOutput> {
  static override usesSsh = true
  static override summary = 'start a dedicated tenant\'s service and wait for it to answer'
  static override description = `Enables and starts its systemd unit, records it as active, then waits up to a minute for /web/health to pass through nginx with the tenant's domain (exit 1 if it does not). Also brings back a unit stopped outside odoops. Shared tenants have no service of their own and are refused.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant slug (a dedicated tenant)', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> bigco']

  async run(): Promise<TenantStartOutput> {
    const {args} = await this.parse(TenantStart)
    this.auditContext = {tenant: args.slug}
    const progress = this.ui.progress(`Starting ${args.slug}`)
    let result
    try {
      result = await startTenant({store: await this.state()}, args.slug)
    } catch (error) {
      progress.fail()
      throw error
    }
    progress.succeed(result.change)
    this.auditContext = {tenant: args.slug, host: result.tenant.host, details: {unit: result.unit, change: result.change}}
    this.ui.log(`Tenant ${args.slug} is active and answers through nginx (${result.unit} on ${result.tenant.host}).`)
    return {tenant: tenantView(result.tenant), unit: result.unit, change: result.change, health: result.health!}
  }
}

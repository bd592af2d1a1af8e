import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {parseModules, updateTenant} from '../../lib/tenants/update.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'

export interface TenantUpdateOutput {
  tenant: TenantView
  steps: StepRecord[]
  installed: string[]
  updated: string[]
  /** State in ir_module_module of each module asked for, after the update. */
  modules: Record<string, string>
  /** Shared tenants: the shared service that was restarted. */
  restarted?: string
}

export default class TenantUpdate extends OdoopsCommand<TenantUpdateOutput> {
  static override usesSsh = true
  static override summary = 'install or upgrade modules of a tenant (odoo -i/-u --stop-after-init), then check its health'
  static override description = `Modules not yet installed are installed (-i), installed ones upgraded (-u); the result is checked in ir_module_module (Odoo exits 0 on unknown names). Dedicated: its service is stopped during the run and started after. Shared: the run happens while the shared service serves, then the shared service is restarted, which pauses every tenant on it for a few seconds. Then /web/health and a login through nginx must pass. Recorded as an operation of kind update (tenant show).`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant slug', required: true})}
  static override flags = {
    modules: Flags.string({description: 'modules to install or upgrade, comma separated (technical names), or "all" to upgrade every installed module', required: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme --modules crm', '<%= config.bin %> <%= command.id %> bigco --modules sale_management,stock --json']

  async run(): Promise<TenantUpdateOutput> {
    const {args, flags} = await this.parse(TenantUpdate)
    this.handlesInterrupt = true
    const modules = parseModules(flags.modules)
    this.auditContext = {tenant: args.slug, details: {modules}}
    const env = {store: await this.state(), box: await this.secretBox(), signal: this.abort.signal, observer: stepProgress(this.ui)}
    const result = await updateTenant(env, args.slug, modules)
    this.auditContext = {tenant: args.slug, host: result.tenant.host, details: {modules, installed: result.installed, updated: result.updated}}
    const done = [result.installed.length ? `installed ${result.installed.join(', ')}` : '', result.updated.length ? `upgraded ${result.updated.join(', ')}` : ''].filter(Boolean).join('; ')
    this.ui.log(`Tenant ${args.slug}: ${done || 'nothing to do'}.`)
    if (result.restarted) this.ui.log(`The shared service ${result.restarted} was restarted: every tenant on it paused for a few seconds.`)
    return {tenant: tenantView(result.tenant), steps: result.steps, installed: result.installed, updated: result.updated, modules: result.modules, ...(result.restarted ? {restarted: result.restarted} : {})}
  }
}

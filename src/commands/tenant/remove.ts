import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {confirmName} from '../../lib/output/ui.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {removeTenant} from '../../lib/tenants/index.js'

export interface TenantRemoveOutput {
  slug: string
  host: string
  removed: true
  steps: StepRecord[]
}

export default class TenantRemove extends OdoopsCommand<TenantRemoveOutput> {
  static override usesSsh = true
  static override summary = 'remove a tenant: database, filestore, service, vhost, role and record'
  static override description = `Works on a tenant in any state (active, failed, interrupted): each step removes what exists, so a removal that failed is simply run again. Refused while a backup of the tenant is running (exit 4). Needs --confirm <slug>; --yes does not count.`
  static override audited = true
  static override args = {
    slug: Args.string({description: 'tenant to remove', required: true}),
  }
  static override flags = {
    confirm: Flags.string({description: 'the tenant slug again, to confirm'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme --confirm acme']

  async run(): Promise<TenantRemoveOutput> {
    const {args, flags} = await this.parse(TenantRemove)
    this.handlesInterrupt = true
    this.auditContext = {tenant: args.slug}
    const store = await this.state()
    await confirmName(this.ui, {what: 'tenant', name: args.slug, given: flags.confirm, command: `odoops tenant remove ${args.slug}`})
    const result = await removeTenant({store, box: await this.secretBox(), signal: this.abort.signal, observer: stepProgress(this.ui)}, args.slug)
    this.auditContext = {tenant: args.slug, host: result.host}
    this.ui.log(`Tenant ${args.slug} removed from ${result.host}.`)
    return {...result, removed: true}
  }
}

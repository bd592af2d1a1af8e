import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {rotateTenantApiKey, type RotateKeyResult} from '../../lib/tenants/api-key.js'

export type TenantRotateKeyResult = RotateKeyResult

export default class TenantRotateKey extends OdoopsCommand<TenantRotateKeyResult> {
  static override usesSsh = true
  static override summary = "replace odoops' own API key on a tenant's Odoo (19.0+)"
  static override description = `On Odoo 19.0 and later odoops reaches a tenant over the JSON-2 API with an API key of its own (named "odoops", owned by the admin user, made at creation). This makes a new key on the host with Odoo's own code (odoo shell), deleting the previous "odoops" key in the same transaction, stores it encrypted in the state store, and checks it with a JSON-2 call. The key is never printed. Refused (exit 2) for tenants before 19.0 (odoops uses XML-RPC with the admin password there) and for tenants that are not active; exit 4 while another run holds the tenant's lock; exit 1 when the new key is refused. See docs/provisioning.md.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant slug (on Odoo 19.0 or later)', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --json']

  async run(): Promise<TenantRotateKeyResult> {
    const {args} = await this.parse(TenantRotateKey)
    this.auditContext = {tenant: args.slug}
    const store = await this.state()
    const box = await this.secretBox()
    const progress = this.ui.progress(`Making a new API key for ${args.slug}`)
    let result: RotateKeyResult
    try {
      result = await rotateTenantApiKey({store, box}, args.slug)
    } catch (error) {
      progress.fail()
      throw error
    }
    progress.succeed('checked')
    // Never the key itself: it is in the state store, sealed.
    this.auditContext = {tenant: args.slug, details: {series: result.series, rotatedAt: result.rotatedAt, check: result.check}}
    this.ui.log(`Tenant ${result.tenant} (Odoo ${result.series}) has a new API key for odoops; the previous one no longer works. A JSON-2 call with it passed.`)
    return result
  }
}

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {parseDate} from '../../lib/billing/period.js'
import {setTenantPlan, type SetPlanResult} from '../../lib/billing/tenant-billing.js'

export type TenantSetPlanResult = SetPlanResult

export default class TenantSetPlan extends OdoopsCommand<TenantSetPlanResult> {
  static override summary = "put a tenant on a pricing plan from a day on (kept in its plan history)"
  static override description = `Adds {plan, from} to the tenant's plan history (an entry of the same day is replaced); each plan applies until the next entry's day, so a change in the middle of a month prorates both plans by their days. A tenant created with --plan has that plan from its creation day. Refused (exit 2) when the plan is not stored, or when the day falls in a period already invoiced for the customer (credit that invoice first). See docs/billing.md.`
  static override audited = true
  static override args = {
    slug: Args.string({description: 'tenant slug', required: true}),
    plan: Args.string({description: 'plan id (odoops plan list)', required: true}),
  }
  static override flags = {
    from: Flags.string({description: 'first day on the plan, YYYY-MM-DD (default: today, UTC)'}),
    version: Flags.integer({description: 'pin a plan version (default: each period uses the version in force then)', min: 1}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme business-unlimited', '<%= config.bin %> <%= command.id %> acme managed-gold --from 2026-01-17']

  async run(): Promise<TenantSetPlanResult> {
    const {args, flags} = await this.parse(TenantSetPlan)
    this.auditContext = {tenant: args.slug, details: {plan: args.plan, from: flags.from}}
    const from = flags.from === undefined ? undefined : parseDate(flags.from, '--from')
    const result = await setTenantPlan(await this.state(), args.slug, args.plan, {from, version: flags.version})
    this.auditContext = {tenant: args.slug, details: {plan: result.plan, from: result.from, version: result.version}}
    this.ui.log(`Tenant ${args.slug} is on plan ${result.plan}${result.version ? ` v${result.version}` : ''} from ${result.from}.`)
    this.ui.table(result.history, [
      {header: 'From', get: (a) => a.from},
      {header: 'Plan', get: (a) => a.plan},
      {header: 'Version', get: (a) => (a.version === undefined ? 'in force' : String(a.version))},
    ])
    return result
  }
}

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {BILLING_FIELDS, setTenantBilling, type BillingField, type TenantBilling} from '../../lib/billing/tenant-billing.js'

export interface TenantSetBillingResult {
  tenant: string
  billing: TenantBilling
}

const FLAG_OF: Record<BillingField, string> = {
  name: 'name',
  vat: 'vat',
  street: 'street',
  city: 'city',
  postcode: 'postcode',
  country: 'country',
  endpointId: 'endpoint-id',
  email: 'email',
  taxCategory: 'tax-category',
  taxPercent: 'tax-percent',
}

export default class TenantSetBilling extends OdoopsCommand<TenantSetBillingResult> {
  static override summary = "set the customer's invoice data on a tenant (buyer party, tax override)"
  static override description = `The buyer of a customer's invoices is taken from the first of its tenants (by slug) that has billing data: legal name (default: the customer key), VAT id, address, country, Peppol endpoint, e-mail. --tax-category/--tax-percent override the plan's tax for this customer (e.g. AE 0 for reverse charge). Only the fields given change; --unset removes fields. See docs/billing.md.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant slug', required: true})}
  static override flags = {
    name: Flags.string({description: 'legal name'}),
    vat: Flags.string({description: 'VAT identifier, e.g. BE0123456789'}),
    street: Flags.string({description: 'street and number'}),
    city: Flags.string({description: 'city'}),
    postcode: Flags.string({description: 'postal code'}),
    country: Flags.string({description: 'ISO 3166-1 alpha-2 country, e.g. BE'}),
    'endpoint-id': Flags.string({description: 'Peppol endpoint scheme:value, e.g. 0208:0123456789'}),
    email: Flags.string({description: 'invoice e-mail address'}),
    'tax-category': Flags.string({description: 'UNCL5305 tax category overriding the plan (S, Z, E, AE, K, G, O, L, M)'}),
    'tax-percent': Flags.string({description: 'tax percent with --tax-category'}),
    unset: Flags.string({description: 'remove a field (repeatable)', multiple: true, options: Object.values(FLAG_OF)}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme --name "Acme SA" --vat BE0123456789 --country BE --endpoint-id 0208:0123456789']

  async run(): Promise<TenantSetBillingResult> {
    const {args, flags} = await this.parse(TenantSetBilling)
    this.auditContext = {tenant: args.slug}
    const change: Partial<Record<BillingField, string | undefined>> = {}
    for (const field of BILLING_FIELDS) {
      const value = (flags as Record<string, unknown>)[FLAG_OF[field]]
      if (typeof value === 'string') change[field] = value
      if (flags.unset?.includes(FLAG_OF[field])) change[field] = undefined
    }
    if (Object.keys(change).length === 0) throw usageError('NOTHING_TO_SET', 'No billing field given.', [`Give one or more of ${Object.values(FLAG_OF).map((f) => `--${f}`).join(', ')}, or --unset <field>.`])
    const billing = await setTenantBilling(await this.state(), args.slug, change)
    this.auditContext = {tenant: args.slug, details: {fields: Object.keys(change)}}
    this.ui.table(Object.entries(billing), [
      {header: 'Field', get: (e) => e[0]},
      {header: 'Value', get: (e) => String(e[1])},
    ])
    return {tenant: args.slug, billing}
  }
}

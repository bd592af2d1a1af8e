import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {checkTenantBrand, type BrandCheckResult} from '../../lib/branding/tenant.js'

export type BrandingCheckOutput = BrandCheckResult

export default class BrandingCheck extends OdoopsCommand<BrandingCheckOutput> {
  static override usesSsh = true
  static override summary = "list every place a tenant still shows Odoo's brand (exit 1 when any)"
  static override description = `Fetches /web/login through the host's nginx (HTTPS with the tenant's domain) and looks for Odoo's title, favicon, "Powered by Odoo" and the database manager link; asks the tenant's database (odoo shell, read only) whether odoops_branding is installed with a brand name (the web client's title and user menu); and scans the newest outgoing e-mail (mail.mail body_html) for "Powered by Odoo". Exit 0 when no place remains, 1 when some do (each in places), 2 on bad input. See docs/white-label.md.`
  static override args = {slug: Args.string({description: 'tenant slug', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --json']

  async run(): Promise<BrandingCheckOutput> {
    const {args} = await this.parse(BrandingCheck)
    const result = await checkTenantBrand({store: await this.state(), box: await this.secretBox(), signal: this.abort.signal}, args.slug)
    this.ui.table(result.places, [
      {header: 'Where', get: (p) => p.where},
      {header: "Odoo's brand", get: (p) => p.text},
    ])
    for (const skip of result.skipped) this.ui.note(`Not checked: ${skip.where} (${skip.reason}).`)
    if (result.places.length > 0) this.reportProblems('BRANDING_ODOO_VISIBLE', `${args.slug} still shows Odoo's brand in ${result.places.length} place(s).`)
    else this.ui.log(`${args.slug} shows no Odoo brand in ${result.checked.join(', ')}.`)
    return result
  }
}

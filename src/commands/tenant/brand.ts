import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {BUILTIN_ADDONS_REPO} from '../../lib/addons/builtin.js'
import {brandFromSettings, brandFromTemplate, mergeBrand, type Brand} from '../../lib/branding/brand.js'
import {applyTenantBrand, type BrandApplyResult} from '../../lib/branding/tenant.js'
import {loadTemplate} from '../../lib/templates/index.js'

export type TenantBrandOutput = BrandApplyResult

export default class TenantBrand extends OdoopsCommand<TenantBrandOutput> {
  static override usesSsh = true
  static override summary = "put the partner's brand on a running tenant (odoops_branding: title, favicon, login page, user menu, e-mail footers)"
  static override description = `The brand is the partner-wide default (odoops config set branding.name …), then the template's branding: (--from-template), then these flags, each key from the most specific layer that sets it; a name is required. The first time, the tenant's service gets odoops' own addon repository (${BUILTIN_ADDONS_REPO}, which restarts that service) and odoops_branding is installed (odoo -i; a shared service restarts once more). Then the brand is written as system parameters (odoops_branding.*) and the logo and primary colour as the main company's (reports: invoices, quotations), with odoo shell: Odoo reads them at render time, so changing a brand later restarts nothing. See docs/white-label.md.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant slug', required: true})}
  static override flags = {
    'from-template': Flags.string({description: "take the branding: of this template (name or file) before the flags"}),
    name: Flags.string({description: "the partner's name, shown instead of Odoo"}),
    url: Flags.string({description: "the partner's website (Powered by … links)"}),
    'support-url': Flags.string({description: 'where the user menu\'s Support entry leads'}),
    'documentation-url': Flags.string({description: 'where the user menu\'s Documentation entry leads'}),
    'primary-color': Flags.string({description: 'link colour of e-mail footers and the company\'s primary colour on reports (#rrggbb)'}),
    logo: Flags.string({description: 'image file: the main company\'s logo (login page, reports, e-mails)'}),
    favicon: Flags.string({description: 'image file: the browser tab icon (at most 100 KB)'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme --name "Acme IT" --url https://acme-it.example --favicon ./favicon.png',
    '<%= config.bin %> <%= command.id %> acme --from-template distribution --json',
  ]

  async run(): Promise<TenantBrandOutput> {
    const {args, flags} = await this.parse(TenantBrand)
    const fromSettings = brandFromSettings((key) => this.settings.get<string>(key))
    let fromTemplate: Brand | undefined
    if (flags['from-template']) {
      const {template, file} = loadTemplate(flags['from-template'])
      fromTemplate = brandFromTemplate(template.branding, file)
    }
    const brand = mergeBrand(fromSettings, fromTemplate, {
      name: flags.name,
      url: flags.url,
      supportUrl: flags['support-url'],
      documentationUrl: flags['documentation-url'],
      primaryColor: flags['primary-color'],
      logo: flags.logo,
      favicon: flags.favicon,
    })
    this.auditContext = {tenant: args.slug, details: {brand}}
    await this.addonsEnv({sync: [BUILTIN_ADDONS_REPO]})
    const env = {store: await this.state(), box: await this.secretBox(), signal: this.abort.signal, observer: stepProgress(this.ui), dataDir: this.dirs.dataDir}
    const result = await applyTenantBrand(env, args.slug, brand, {onProgress: (message) => this.ui.note(message)})
    this.auditContext = {tenant: args.slug, details: {brand, deployed: result.deployed, installed: result.installed}}
    this.ui.log(`Tenant ${args.slug} now shows ${brand.name}${result.installed ? ' (odoops_branding installed)' : ''}; no restart was needed for the brand itself.`)
    return result
  }
}

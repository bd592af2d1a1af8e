import {Args, Flags} from '@oclif/core'
import {deliverAdminLogin, type AdminLoginDelivery} from '../../cli/login-delivery.js'
import {OdoopsCommand} from '../../cli/base-command.js'
import {restoreSourceForResume} from '../../lib/backup/restore.js'
import {stepProgress} from '../../cli/step-progress.js'
import {usageError} from '../../lib/errors.js'
import {SIZES} from '../../lib/provision/odoo-config.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {createTenant, normalizeCreateInput, resumeTenantCreate, type TenantCreateResult} from '../../lib/tenants/index.js'
import {parseAddonRepos} from '../../lib/tenants/addons.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'
import {acmeResolverOf, acmeWarning} from '../../lib/tenants/acme.js'

export interface TenantCreateOutput {
  tenant: TenantView
  url: string
  resumed: boolean
  steps: StepRecord[]
  /** Where the admin login went: a 0600 file (--credentials-file), or shown once on the terminal. Never in JSON. */
  adminLogin: AdminLoginDelivery
}

export default class TenantCreate extends OdoopsCommand<TenantCreateOutput> {
  static override usesSsh = true
  static override summary = 'create a customer\'s Odoo on a prepared host (shared or dedicated)'
  static override description = `Checks first (slug and domain free across the fleet, host prepared for the series, PostgreSQL up, disk space, domain and ports unused on the host): when a check fails nothing is created. With --addons the repositories must be registered (addons repo add); a shared tenant's shared service gets those it lacks deployed (its recorded set, then the missing ones), a dedicated tenant's service runs exactly them. Then runs a recorded plan: addon repositories, database with odoo -i, admin password replaced at once, company settings, nginx vhost with TLS, health through nginx. A failed or interrupted creation stays recorded as failed with its step: continue with --resume, or clean up with tenant remove. See docs/provisioning.md and docs/addons.md.`
  static override audited = true
  static override args = {
    slug: Args.string({description: 'tenant slug: lowercase letters, digits, dashes (unique across the fleet)', required: true}),
  }
  static override flags = {
    host: Flags.string({description: 'prepared host to create it on'}),
    mode: Flags.string({description: 'shared: a database on the host\'s shared service; dedicated: its own service, role and ports', options: ['shared', 'dedicated'], default: 'shared'}),
    domain: Flags.string({description: 'the fully qualified domain users will reach it on'}),
    alias: Flags.string({description: 'another name the tenant answers on (repeatable); on the same ACME certificate', multiple: true}),
    odoo: Flags.string({description: 'Odoo series (default: the only one prepared on the host)'}),
    modules: Flags.string({description: 'modules to install, comma separated (e.g. crm,sale_management); may name modules of --addons'}),
    addons: Flags.string({description: 'addon repositories it runs, comma separated, in addons_path order (odoops addons repo list); shared: added to the shared service\'s set'}),
    customer: Flags.string({description: 'customer (company) name'}),
    lang: Flags.string({description: 'language to load and use, e.g. fr_BE'}),
    country: Flags.string({description: 'company country, ISO code, e.g. BE'}),
    plan: Flags.string({description: 'billing plan id'}),
    size: Flags.string({description: 'dedicated only: workers and memory limits', options: Object.keys(SIZES), default: 'small'}),
    tls: Flags.string({description: "acme: a certificate from the host's ACME account (default when it has one; a failed check leaves the tenant on self-signed with a warning); self-signed: openssl on the host", options: ['acme', 'self-signed']}),
    'tls-cert': Flags.string({description: 'PEM certificate (chain) for the domain; default: ACME when the host has an account, else a self-signed one'}),
    'tls-key': Flags.string({description: 'PEM private key of --tls-cert'}),
    'credentials-file': Flags.string({description: 'write the admin login to this file (mode 0600) instead of showing it once'}),
    resume: Flags.boolean({description: 'continue the failed or interrupted creation of <slug> from its failed step'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme --host web1 --domain acme.erp.example.com --modules crm,sale_management --customer "Acme Trading"',
    '<%= config.bin %> <%= command.id %> bigco --host web1 --mode dedicated --size medium --domain erp.bigco.example --credentials-file bigco.txt',
    '<%= config.bin %> <%= command.id %> acme --host web1 --domain acme.erp.example.com --addons server-tools,acme-addons --modules sale_management,acme_branding',
    '<%= config.bin %> <%= command.id %> acme --host web1 --domain acme.erp.example.com --tls acme --alias www.acme.example.com',
    '<%= config.bin %> <%= command.id %> acme --resume',
  ]

  async run(): Promise<TenantCreateOutput> {
    const {args, flags} = await this.parse(TenantCreate)
    this.handlesInterrupt = true
    this.auditContext = {tenant: args.slug, host: flags.host}
    if (this.ui.json && !flags['credentials-file']) {
      // JSON output never carries the password, so without a file it would be lost.
      throw usageError('CREDENTIALS_FILE_REQUIRED', 'With --json the admin password is not printed: say where to write it.', ['Add --credentials-file <path> (written with mode 0600).'])
    }
    const store = await this.state()
    const env = {store, box: await this.secretBox(), signal: this.abort.signal, observer: stepProgress(this.ui), dataDir: this.dirs.dataDir, ...acmeResolverOf(this.settings)}
    let result: TenantCreateResult
    if (flags.resume) {
      // A restored tenant (backup restore, tenant move) resumes from the same backup.
      const restoredFrom = (await store.tenants.get(args.slug))?.restoredFrom
      const restoreSource = restoredFrom ? await restoreSourceForResume({store, dataDir: this.dirs.dataDir}, restoredFrom) : undefined
      result = await resumeTenantCreate({...env, restoreSource}, args.slug)
    } else {
      if (!flags.host) throw usageError('MISSING_VALUE', 'Which host? tenant create needs --host.', ['Pass --host <name> (odoops host list shows the prepared hosts).'])
      if (!flags.domain) throw usageError('MISSING_VALUE', 'Which domain? tenant create needs --domain.', ['Pass --domain <fqdn>, e.g. --domain acme.erp.example.com'])
      if (flags.addons) await this.addonsEnv({sync: parseAddonRepos(flags.addons)})
      const input = normalizeCreateInput({
        slug: args.slug,
        host: flags.host,
        mode: flags.mode,
        domain: flags.domain,
        aliases: flags.alias,
        series: flags.odoo,
        modules: flags.modules,
        addons: flags.addons,
        customer: flags.customer,
        lang: flags.lang,
        country: flags.country,
        plan: flags.plan,
        size: flags.size,
        tlsCert: flags['tls-cert'],
        tlsKey: flags['tls-key'],
        tlsMode: flags.tls,
      })
      result = await createTenant(env, input)
    }
    this.auditContext = {tenant: result.tenant.id, host: result.tenant.host, details: {mode: result.tenant.mode, domain: result.tenant.domain, resumed: result.resumed}}
    if (result.tenant.acme?.status === 'failed') this.warn(acmeWarning(result.tenant.id, result.tenant.acme))
    this.ui.log(`Tenant ${result.tenant.id} is active: ${result.url} (${result.tenant.mode} on ${result.tenant.host}, Odoo ${result.tenant.series}).`)
    const adminLogin = await deliverAdminLogin(
      this.ui,
      {url: result.url, database: result.tenant.database, login: result.tenant.adminLogin ?? 'admin', password: result.adminPassword},
      flags['credentials-file'],
    )
    return {tenant: tenantView(result.tenant), url: result.url, resumed: result.resumed, steps: result.steps, adminLogin}
  }
}

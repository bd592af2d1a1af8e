import {Args, Flags} from '@oclif/core'
import {deliverAdminLogin, type AdminLoginDelivery} from '../../cli/login-delivery.js'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {importOdooZip, type OdooZipContents} from '../../lib/backup/index.js'
import {usageError} from '../../lib/errors.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {SIZES} from '../../lib/provision/odoo-config.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'

export interface BackupImportOutput {
  file: string
  contents: OdooZipContents
  tenant: TenantView
  url: string
  steps: StepRecord[]
  adminLogin: AdminLoginDelivery
}

export default class BackupImport extends OdoopsCommand<BackupImportOutput> {
  static override usesSsh = true
  static override summary = 'create a tenant from an Odoo backup zip (Odoo\'s database manager or backup export)'
  static override description = `The zip's dump.sql is loaded with psql -v ON_ERROR_STOP=1 in one transaction, so an SQL error fails the import loudly (Odoo's own restore runs psql without it and drops data silently); filestore/ is unpacked into the tenant's filestore; the admin user gets a new password. The Odoo series comes from manifest.json and must be prepared on the host. A failed import leaves a failed tenant: fix the cause and odoops tenant create --resume <slug>, or tenant remove it. See docs/backups.md.`
  static override audited = true
  static override args = {file: Args.string({description: 'the zip (dump.sql, filestore/, manifest.json)', required: true})}
  static override flags = {
    'new-tenant': Flags.string({description: 'slug of the tenant to create', required: true}),
    host: Flags.string({description: 'prepared host to create it on', required: true}),
    domain: Flags.string({description: 'its domain', required: true}),
    mode: Flags.string({description: 'shared or dedicated', options: ['shared', 'dedicated'], default: 'shared'}),
    customer: Flags.string({description: 'customer name'}),
    size: Flags.string({description: 'dedicated: workers and memory limits', options: Object.keys(SIZES)}),
    'as-copy': Flags.boolean({description: 'give the database a new database.uuid and secret'}),
    neutralize: Flags.boolean({description: 'run odoo neutralize: no crons, no outgoing mail'}),
    'credentials-file': Flags.string({description: 'write the admin login to this file (mode 0600) instead of showing it once'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme_2026-11-20.zip --new-tenant acme --host web1 --domain acme.erp.example.com --credentials-file acme.txt']

  async run(): Promise<BackupImportOutput> {
    const {args, flags} = await this.parse(BackupImport)
    this.handlesInterrupt = true
    if (this.ui.json && !flags['credentials-file']) throw usageError('CREDENTIALS_FILE_REQUIRED', 'With --json the admin password is not printed: say where to write it.', ['Add --credentials-file <path> (written with mode 0600).'])
    this.auditContext = {tenant: flags['new-tenant'], host: flags.host, details: {file: args.file, mode: flags.mode}}
    const store = await this.state()
    const result = await importOdooZip(
      {store, box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal, observer: stepProgress(this.ui)},
      {file: args.file, slug: flags['new-tenant'], host: flags.host, domain: flags.domain, mode: flags.mode, customer: flags.customer, size: flags.size, asCopy: flags['as-copy'], neutralize: flags.neutralize},
    )
    const {tenant, url, adminPassword, steps} = result.created
    this.ui.log(`Tenant ${tenant.id} imported from ${result.file}: ${url} (${tenant.mode} on ${tenant.host}).`)
    const adminLogin = await deliverAdminLogin(this.ui, {url, database: tenant.database, login: tenant.adminLogin ?? 'admin', password: adminPassword}, flags['credentials-file'])
    return {file: result.file, contents: result.contents, tenant: tenantView(tenant), url, steps, adminLogin}
  }
}

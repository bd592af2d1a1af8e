import {Args, Flags} from '@oclif/core'
import {deliverAdminLogin, type AdminLoginDelivery} from '../../cli/login-delivery.js'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {restoreAsNewTenant, restoreInPlace, type VerifyResult} from '../../lib/backup/index.js'
import {usageError} from '../../lib/errors.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {SIZES} from '../../lib/provision/odoo-config.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'

export interface BackupRestoreOutput {
  backup: string
  /** The verification that ran before anything was restored. */
  verification: VerifyResult
  tenant: TenantView
  url: string
  /** new-tenant: a tenant created from the backup; in-place: an existing tenant's data replaced. */
  kind: 'new-tenant' | 'in-place'
  /** In place: the backup taken of the replaced data first (restore it to undo). */
  safetyBackup?: string
  steps: StepRecord[]
  /** New tenants only: where the admin login went (never in JSON). */
  adminLogin?: AdminLoginDelivery
}

export default class BackupRestore extends OdoopsCommand<BackupRestoreOutput> {
  static override usesSsh = true
  static override summary = 'restore a backup as a new tenant, or over an existing tenant (verified first)'
  static override description = `The backup is verified first (checksums, scratch restore, counts, modules, filestore) on the destination host; a backup that fails is refused before any database is touched.

--new-tenant: creates a tenant from the backup by the usual recorded plan (service, nginx, TLS, health), with the database loaded by pg_restore --exit-on-error and the filestore unpacked, a new admin password and web.base.url for its domain. --as-copy gives the copy a new database.uuid (as Odoo's "copy" restore; it must not share an Enterprise subscription with the original); --neutralize runs odoo neutralize (no crons, no outgoing mail). A failure leaves a failed tenant: odoops tenant create --resume <slug> continues from the same backup.

--tenant: replaces an existing tenant's database and filestore; refused without --force. With --force a safety backup of the current data is taken first, the backup is restored beside the live database, and only then swapped in (service stopped for the swap); a failure before the swap leaves the tenant as it was. See docs/backups.md.`
  static override audited = true
  static override args = {id: Args.string({description: 'backup id (odoops backup list)', required: true})}
  static override flags = {
    'new-tenant': Flags.string({description: 'slug of a new tenant to create from the backup', exclusive: ['tenant']}),
    tenant: Flags.string({description: 'existing tenant whose data the backup replaces (needs --force)', exclusive: ['new-tenant']}),
    host: Flags.string({description: 'new tenant: prepared host to create it on'}),
    domain: Flags.string({description: 'new tenant: its domain'}),
    mode: Flags.string({description: 'new tenant: shared or dedicated (default: as the backed-up tenant)', options: ['shared', 'dedicated']}),
    customer: Flags.string({description: 'new tenant: customer name (default: the backed-up tenant\'s)'}),
    size: Flags.string({description: 'new dedicated tenant: workers and memory limits', options: Object.keys(SIZES)}),
    'as-copy': Flags.boolean({description: 'give the restored database a new database.uuid and secret (a copy, not the same instance)'}),
    neutralize: Flags.boolean({description: 'run odoo neutralize on the restored database: no crons, no outgoing mail'}),
    force: Flags.boolean({description: 'in place: replace the existing database (a safety backup is taken first)'}),
    'credentials-file': Flags.string({description: 'new tenant: write its admin login to this file (mode 0600) instead of showing it once'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme-20261123T020000Z-3f2a --new-tenant acme-test --host web2 --domain test.acme.example --as-copy --neutralize',
    '<%= config.bin %> <%= command.id %> acme-20261123T020000Z-3f2a --tenant acme --force',
  ]

  async run(): Promise<BackupRestoreOutput> {
    const {args, flags} = await this.parse(BackupRestore)
    this.handlesInterrupt = true
    const store = await this.state()
    const env = {store, box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal, observer: stepProgress(this.ui)}
    const newSlug = flags['new-tenant']
    if (!newSlug && !flags.tenant) throw usageError('RESTORE_DESTINATION', 'Restore where? Give --new-tenant <slug> or --tenant <slug>.', ['odoops backup restore <id> --new-tenant acme-copy --host web1 --domain copy.acme.example', 'odoops backup restore <id> --tenant acme --force'])
    if (newSlug) {
      if (!flags.host) throw usageError('MISSING_VALUE', 'Which host? --new-tenant needs --host.', ['Pass --host <name> (odoops host list shows the prepared hosts).'])
      if (!flags.domain) throw usageError('MISSING_VALUE', 'Which domain? --new-tenant needs --domain.', ['Pass --domain <fqdn>.'])
      if (this.ui.json && !flags['credentials-file']) throw usageError('CREDENTIALS_FILE_REQUIRED', 'With --json the admin password is not printed: say where to write it.', ['Add --credentials-file <path> (written with mode 0600).'])
      this.auditContext = {tenant: newSlug, host: flags.host, details: {backup: args.id, kind: 'new-tenant', asCopy: flags['as-copy'], neutralize: flags.neutralize}}
      this.ui.log(`Verifying ${args.id} on ${flags.host} before restoring…`)
      const result = await restoreAsNewTenant(env, {
        backup: args.id,
        slug: newSlug,
        host: flags.host,
        domain: flags.domain,
        mode: flags.mode,
        customer: flags.customer,
        size: flags.size,
        asCopy: flags['as-copy'],
        neutralize: flags.neutralize,
      })
      const {tenant} = result.created
      this.ui.log(`Tenant ${tenant.id} restored from ${result.backup}: ${result.created.url} (${tenant.mode} on ${tenant.host}).`)
      const adminLogin = await deliverAdminLogin(this.ui, {url: result.created.url, database: tenant.database, login: tenant.adminLogin ?? 'admin', password: result.created.adminPassword}, flags['credentials-file'])
      return {backup: result.backup, verification: result.verification, tenant: tenantView(tenant), url: result.created.url, kind: 'new-tenant', steps: result.created.steps, adminLogin}
    }
    const slug = flags.tenant!
    this.auditContext = {tenant: slug, details: {backup: args.id, kind: 'in-place', force: flags.force}}
    const result = await restoreInPlace(env, {backup: args.id, tenant: slug, force: flags.force, asCopy: flags['as-copy'], neutralize: flags.neutralize})
    this.ui.log(`Tenant ${slug} now holds the data of ${result.backup}; the data it held is in backup ${result.safetyBackup}.`)
    return {backup: result.backup, verification: result.verification, tenant: tenantView(result.tenant), url: `https://${result.tenant.domain}`, kind: 'in-place', safetyBackup: result.safetyBackup, steps: result.steps}
  }
}

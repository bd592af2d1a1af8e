import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {acmeResolverOf} from '../../lib/tenants/acme.js'
import {tenantTls, type TenantTlsResult} from '../../lib/tenants/tls.js'

export type {TenantTlsResult}

export default class TenantTls extends OdoopsCommand<TenantTlsResult> {
  static override usesSsh = true
  static override summary = "show a tenant's TLS certificate, or try its ACME certificate again"
  static override description = `Without --retry: which certificate nginx serves for the tenant (ACME, given or self-signed) and the state of its ACME certificate (issued, or failed with the check that failed). With --retry: one more ACME attempt through the host's ACME account (host prepare --acme-email): the domain must resolve to the host from this machine and from the host (setting acme.resolver names the DNS server to ask), the host's port 80 must serve the challenge path, then certbot certonly --webroot; on success the vhost switches to /etc/letsencrypt/live/<slug>/ and nginx reloads. A failed attempt exits 1 (ACME_CHECK_FAILED) naming the check, with certbot's own error; the tenant keeps its certificate. See docs/tls.md.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant slug', required: true})}
  static override flags = {
    retry: Flags.boolean({description: 'ask the ACME server again (one attempt)'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --retry', '<%= config.bin %> <%= command.id %> acme --retry --json']

  async run(): Promise<TenantTlsResult> {
    const {args, flags} = await this.parse(TenantTls)
    this.auditContext = {tenant: args.slug, details: {retry: flags.retry}}
    const store = await this.state()
    const progress = flags.retry ? this.ui.progress(`Asking the ACME server for a certificate for ${args.slug}`) : undefined
    let result: TenantTlsResult
    try {
      result = await tenantTls({store, box: await this.secretBox(), signal: this.abort.signal, ...acmeResolverOf(this.settings)}, args.slug, {retry: flags.retry})
    } catch (error) {
      progress?.fail()
      throw error
    }
    progress?.succeed('issued')
    this.auditContext = {tenant: args.slug, host: result.host, details: {retry: flags.retry, source: result.source, status: result.acme?.status}}
    const acme = result.acme
    this.ui.log(`${result.tenant} (${result.domain} on ${result.host}): ${result.source} certificate ${result.certificate}`)
    if (acme) this.ui.log(`ACME: ${acme.status}${acme.failedCheck ? ` (check failed: ${acme.failedCheck}: ${acme.error})` : ''}${acme.notAfter ? `, valid until ${acme.notAfter}` : ''}${acme.lastAttemptAt ? `, last attempt ${acme.lastAttemptAt}` : ''}`)
    return result
  }
}

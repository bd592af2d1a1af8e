import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {usageError} from '../../lib/errors.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {acmeResolverOf} from '../../lib/tenants/acme.js'
import {getTenant} from '../../lib/tenants/listing.js'
import {DEFAULT_GRACE_DAYS, normalizeSetDomain, sameNames, setTenantDomain, type SetDomainResult} from '../../lib/tenants/set-domain.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'

export interface TenantSetDomainOutput {
  tenant: TenantView
  /** False: the tenant already had these names (nothing changed but expired or dropped redirects). */
  changed: boolean
  /** An unfinished change was continued. */
  resumed: boolean
  from: {domain: string; aliases: string[]; database: string}
  to: {domain: string; aliases: string[]; database: string}
  url: string
  /** The old names' redirect made by this run (none when --grace-days 0 or nothing changed). */
  redirect?: {names: string[]; until: string}
  /** Old names no longer answered (their redirect ended, was dropped, or the tenant took the name back). */
  redirectsRemoved: string[]
  steps: StepRecord[]
}

export default class TenantSetDomain extends OdoopsCommand<TenantSetDomainOutput> {
  static override usesSsh = true
  static override summary = "change a tenant's domain (and aliases): new certificate and vhost, web.base.url, a shared tenant's database renamed, the old names redirected"
  static override description = `Checks first (domain syntax; no other tenant has the names as domain, alias or redirected old name; no other nginx site on the host serves them; a shared tenant's new database name is free): when one fails nothing changes (exit 2). The same names as now: nothing changes (exit 0), and redirects past their end are removed. Then a recorded plan under the tenant's lock: a self-signed certificate for the new domain; for a shared tenant, its database renamed to the new domain (the shared service's dbfilter ^%h$ picks a database by the Host name) with its filestore and the service's db_name; web.base.url; the service restarted; the record switched; the vhost for the new names; the old names answered with a 301 to the same path on the new domain (http and https, with their old certificate) for --grace-days; an ACME certificate for the new names as tenant create --tls acme gets one (a failed check leaves self-signed and a warning); health through nginx. --alias replaces the aliases; without it the tenant has none after the change (the old ones redirect). A failed or interrupted change is continued with --resume or the same command. See docs/tls.md.`
  static override audited = true
  static override args = {
    slug: Args.string({description: 'tenant slug', required: true}),
    domain: Args.string({description: 'the new main domain (fully qualified)'}),
  }
  static override flags = {
    alias: Flags.string({description: 'another name of the tenant after the change (repeatable); replaces its aliases (none when not given)', multiple: true}),
    'grace-days': Flags.integer({description: 'days the old names answer with a 301 to the new domain (0: not at all)', default: DEFAULT_GRACE_DAYS, min: 0}),
    tls: Flags.string({description: "certificate for the new names: acme (default on a host with an ACME account) or self-signed", options: ['acme', 'self-signed']}),
    'drop-old': Flags.boolean({description: 'remove the redirects of old names now (also with the current domain)'}),
    resume: Flags.boolean({description: 'continue the unfinished domain change of <slug>', exclusive: ['alias', 'tls', 'drop-old']}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> shop shop.example.com --alias www.shop.example.com',
    '<%= config.bin %> <%= command.id %> shop shop.example.com --grace-days 60 --yes --json',
    '<%= config.bin %> <%= command.id %> shop shop.example.com --drop-old',
    '<%= config.bin %> <%= command.id %> shop --resume',
  ]

  async run(): Promise<TenantSetDomainOutput> {
    const {args, flags} = await this.parse(TenantSetDomain)
    this.handlesInterrupt = true
    this.auditContext = {tenant: args.slug, details: {domain: args.domain, aliases: flags.alias, resume: flags.resume}}
    const env = {store: await this.state(), box: await this.secretBox(), signal: this.abort.signal, observer: stepProgress(this.ui), ...acmeResolverOf(this.settings)}
    let result: SetDomainResult
    if (flags.resume) {
      result = await setTenantDomain(env, {slug: args.slug, resume: true})
    } else {
      if (!args.domain) throw usageError('MISSING_VALUE', 'Which domain? tenant set-domain needs the new domain.', [`odoops tenant set-domain ${args.slug} <domain>`, `Or continue an unfinished change: odoops tenant set-domain ${args.slug} --resume`])
      const input = normalizeSetDomain({slug: args.slug, domain: args.domain, aliases: flags.alias, graceDays: flags['grace-days'], tlsMode: flags.tls, dropOld: flags['drop-old']})
      const current = await getTenant(env.store, args.slug)
      const changes = current.domain !== input.domain || (input.aliases !== undefined && !sameNames(input.aliases, current.aliases ?? []))
      if (changes && !current.domainChange) {
        const what = `Change ${args.slug}'s domain from ${current.domain} to ${input.domain}${current.mode === 'shared' ? ` (its database is renamed to ${input.domain}; the shared service restarts)` : ''}?`
        if (!(await this.ui.confirm({message: what, default: false, assumeYes: this.globalFlags.yes}))) {
          throw usageError('CONFIRM_REQUIRED', `Changing ${args.slug}'s domain needs a confirmation. Nothing was changed.`, [`Add --yes: odoops tenant set-domain ${args.slug} ${input.domain} --yes`])
        }
      }
      result = await setTenantDomain(env, input)
    }
    const t = result.tenant
    this.auditContext = {tenant: t.id, host: t.host, details: {from: result.from, to: result.to, changed: result.changed, resumed: result.resumed, redirectsRemoved: result.redirectsRemoved}}
    for (const warning of result.warnings) this.warn(warning)
    const redirect = result.changed ? t.redirects?.find((r) => r.names.includes(result.from.domain)) : undefined
    if (!result.changed) this.ui.log(`Tenant ${t.id} already answers on ${t.domain}${t.aliases?.length ? ` (and ${t.aliases.join(', ')})` : ''}: nothing to change.`)
    else this.ui.log(`Tenant ${t.id} answers on https://${t.domain}${result.to.database !== result.from.database ? `; its database is now ${result.to.database}` : ''}.`)
    if (redirect) this.ui.log(`${redirect.names.join(', ')} answer${redirect.names.length === 1 ? 's' : ''} with a redirect to https://${t.domain} until ${redirect.until}.`)
    if (result.redirectsRemoved.length) this.ui.log(`No longer redirected: ${result.redirectsRemoved.join(', ')}.`)
    return {
      tenant: tenantView(t),
      changed: result.changed,
      resumed: result.resumed,
      from: result.from,
      to: result.to,
      url: `https://${t.domain}`,
      ...(redirect ? {redirect: {names: redirect.names, until: redirect.until}} : {}),
      redirectsRemoved: result.redirectsRemoved,
      steps: result.steps,
    }
  }
}

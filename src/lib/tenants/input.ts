import {usageError} from '../errors.js'
import {validateDomain} from '../names/domain.js'
import {validateSlug} from '../names/slug.js'
import {odooMajor} from '../series/odoo-series.js'
import {SIZES, type Size} from '../provision/odoo-config.js'
import type {RestoredFrom} from '../backup/restore-source.js'
import type {TenantMode} from '../state/records.js'
import type {RestoreSpec} from './restore-steps.js'
import {parseAddonRepos} from './addons.js'

/** What `tenant create` is asked for, validated and normalised before anything runs. */
export interface TenantCreateInput {
  slug: string
  host: string
  mode: TenantMode
  domain: string
  /** More names served by the same vhost (`--alias`), all on the tenant's one ACME certificate. */
  aliases?: string[]
  /** Odoo series; defaults to the only series prepared on the host. */
  series?: string
  modules: string[]
  /** Addon repositories to run (`--addons`), in addons_path order (src/lib/tenants/addons.ts). */
  addons?: string[]
  customer?: string
  lang?: string
  country?: string
  plan?: string
  size: Size
  tls?: {certificateFile: string; keyFile: string}
  /** `--tls acme|self-signed`; unset: acme when the host has an ACME account and no certificate is given, else self-signed. */
  tlsMode?: 'acme' | 'self-signed'
  /** Data from a backup or an Odoo zip instead of a new database (`env.restoreSource` loads it). */
  restore?: RestoreSpec & {from: RestoredFrom}
}

const MODULE_NAME = /^[a-z0-9_]{1,64}$/
const LANG = /^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$/
const COUNTRY = /^[A-Za-z]{2}$/

export function normalizeCreateInput(raw: {
  slug: string
  host: string
  mode: string
  domain: string
  /** `--alias`, repeatable. */
  aliases?: string[]
  series?: string
  modules?: string
  /** Comma-separated addon repository names. */
  addons?: string
  customer?: string
  lang?: string
  country?: string
  plan?: string
  size?: string
  tlsCert?: string
  tlsKey?: string
  /** acme or self-signed (`--tls`). */
  tlsMode?: string
}): TenantCreateInput {
  const slug = validateSlug(raw.slug)
  if (raw.mode !== 'shared' && raw.mode !== 'dedicated') {
    throw usageError('TENANT_MODE_INVALID', `"${raw.mode}" is not a hosting mode.`, ['Use --mode shared (a database on the host\'s shared service) or --mode dedicated (its own service).'])
  }
  if (raw.series !== undefined) odooMajor(raw.series)
  const modules = (raw.modules ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)
  const badModule = modules.find((m) => !MODULE_NAME.test(m))
  if (badModule) throw usageError('TENANT_MODULE_INVALID', `"${badModule}" is not an Odoo module name.`, ['Module names are technical names such as sale_management, crm, account.'])
  if (raw.lang && !LANG.test(raw.lang)) throw usageError('TENANT_LANG_INVALID', `"${raw.lang}" is not an Odoo language code.`, ['Use a code such as fr_BE, de_DE or en_US.'])
  if (raw.country && !COUNTRY.test(raw.country)) throw usageError('TENANT_COUNTRY_INVALID', `"${raw.country}" is not a two-letter country code.`, ['Use an ISO 3166 code such as BE, DE or US.'])
  const addons = parseAddonRepos(raw.addons)
  const size = (raw.size ?? 'small') as Size
  if (!(size in SIZES)) throw usageError('TENANT_SIZE_INVALID', `"${raw.size}" is not a size.`, [`Use one of: ${Object.keys(SIZES).join(', ')}.`])
  if (Boolean(raw.tlsCert) !== Boolean(raw.tlsKey)) {
    throw usageError('TENANT_TLS_INCOMPLETE', 'A TLS certificate needs both --tls-cert and --tls-key.', ['Pass both files, or neither for a self-signed certificate.'])
  }
  if (raw.tlsMode !== undefined && raw.tlsMode !== 'acme' && raw.tlsMode !== 'self-signed') {
    throw usageError('TENANT_TLS_INVALID', `"${raw.tlsMode}" is not a TLS mode.`, ['Use --tls acme (a certificate from the host\'s ACME account) or --tls self-signed, or give --tls-cert and --tls-key.'])
  }
  if (raw.tlsMode && raw.tlsCert) {
    throw usageError('TENANT_TLS_CONFLICT', `--tls ${raw.tlsMode} and --tls-cert/--tls-key ask for two different certificates.`, ['Pass either --tls or --tls-cert with --tls-key.'])
  }
  const domain = validateDomain(raw.domain)
  const aliases = [...new Set((raw.aliases ?? []).map(validateDomain))]
  if (aliases.includes(domain)) throw usageError('TENANT_ALIAS_INVALID', `${domain} is the tenant's domain; an alias is another name.`, ['Leave it out of --alias.'])
  return {
    slug,
    host: raw.host,
    mode: raw.mode,
    domain,
    ...(aliases.length ? {aliases} : {}),
    ...(raw.series ? {series: raw.series} : {}),
    modules: [...new Set(modules)],
    ...(addons.length ? {addons} : {}),
    ...(raw.customer ? {customer: raw.customer} : {}),
    ...(raw.lang ? {lang: raw.lang} : {}),
    ...(raw.country ? {country: raw.country.toUpperCase()} : {}),
    ...(raw.plan ? {plan: raw.plan} : {}),
    size,
    ...(raw.tlsCert && raw.tlsKey ? {tls: {certificateFile: raw.tlsCert, keyFile: raw.tlsKey}} : {}),
    ...(raw.tlsMode ? {tlsMode: raw.tlsMode} : {}),
  }
}

/** Database name of a tenant: shared ones are picked by `dbfilter = ^%h$`, so it is the domain. */
export function databaseNameFor(mode: TenantMode, slug: string, domain: string): string {
  return mode === 'shared' ? domain : slug
}

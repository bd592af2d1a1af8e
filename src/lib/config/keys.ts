import {homedir} from 'node:os'
import {join} from 'node:path'
import {PEPPOL_ENDPOINT_EXAMPLE, peppolEndpointProblem} from '../names/peppol.js'
import {stateLocationProblem} from '../state/open.js'
import {brandProblems} from '../branding/brand.js'

/**
 * The settings odoops knows. A key is `section.name`; its environment override is
 * `ODOOPS_` + the key in upper snake case (`ssh.connectTimeout` → `ODOOPS_SSH_CONNECT_TIMEOUT`).
 * Unknown keys are refused, so a typo never silently does nothing.
 */
export type ConfigType = 'string' | 'integer' | 'boolean' | 'list'

export interface ConfigKey {
  description: string
  type: ConfigType
  default?: string | number | boolean | string[]
  /** Extra validation; return an error message. */
  check?: (value: unknown) => string | undefined
  secret?: boolean
  /** A valid value, for the "Try this" of a refused one (`odoops config set <key> <example>`). */
  example?: string
}

/** A DNS server as `acme.resolver` takes it (src/lib/tenants/acme.ts parseResolver). */
function resolverProblem(text: string): string | undefined {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text)
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text)
  const v6 = /^[0-9A-Fa-f:.]+$/.test(text) && text.includes('::') ? [text, text, undefined] : null
  const match = bracketed ?? v4 ?? v6
  if (!match) return 'must be an IP address, ip:port or [ipv6]:port'
  const port = match[2] === undefined ? 53 : Number(match[2])
  return port >= 1 && port <= 65_535 ? undefined : 'port must be 1 to 65535'
}

const positive = (value: unknown) => (typeof value === 'number' && value > 0 ? undefined : 'must be a positive whole number')

export const CONFIG_KEYS: Record<string, ConfigKey> = {
  state: {type: 'string', check: (v) => stateLocationProblem(String(v)), example: join(homedir(), 'odoops-state'), description: 'State store: a directory, file:///dir, or postgres://user@host:5432/db (same as --state / ODOOPS_STATE)'},
  'ssh.connectTimeout': {type: 'integer', default: 15, check: positive, description: 'Seconds to wait for an SSH connection and handshake'},
  'ssh.commandTimeout': {type: 'integer', default: 3600, check: positive, description: 'Seconds a remote command may run before it is stopped'},
  'ssh.maxSessions': {type: 'integer', default: 8, check: (v) => (typeof v === 'number' && v >= 1 && v <= 9 ? undefined : 'must be 1 to 9 (below OpenSSH MaxSessions 10)'), description: 'Concurrent channels per host over one connection'},
  'acme.resolver': {type: 'string', check: (v) => resolverProblem(String(v)), example: '192.0.2.53:53', description: 'DNS server (ip, ip:port or [ipv6]:port) the ACME checks of tenant create and tenant tls ask, here and on the host (dig); default: the system resolvers'},
  'backup.defaultTarget': {type: 'string', description: 'Backup target used when --target is not given'},
  'backup.retention': {type: 'string', default: '7/4/12', check: (v) => (typeof v === 'string' && /^\d{1,4}\/\d{1,4}\/\d{1,4}$/.test(v) ? undefined : 'must be daily/weekly/monthly counts such as 7/4/12'), description: 'Backups kept by `backup prune`: newest of each of the last N days / ISO weeks / months (daily/weekly/monthly)'},
  'backup.retentionByPlan': {type: 'list', default: [], check: (v) => (Array.isArray(v) && v.every((i) => /^[^=\s]+=\d{1,4}\/\d{1,4}\/\d{1,4}$/.test(String(i))) ? undefined : 'must be <plan>=daily/weekly/monthly items such as premium=30/12/24'), description: 'Retention per tenant plan tier, overriding backup.retention (e.g. premium=30/12/24,basic=7/4/6)'},
  'fleet.rpoHours': {type: 'integer', default: 24, check: positive, description: 'Recovery point objective in hours for `fleet status`: the newest backup and the newest verified backup must be younger (tenants whose plan has no fleet.rpoByPlan entry)'},
  'fleet.rpoByPlan': {type: 'list', default: [], check: (v) => (Array.isArray(v) && v.every((i) => /^[^=\s]+=[1-9]\d{0,5}$/.test(String(i))) ? undefined : 'must be <plan>=<hours> items such as business-unlimited=4,per-user=24'), description: 'RPO in hours per tenant plan tier, overriding fleet.rpoHours (e.g. managed-gold=4,per-user=24)'},
  'partner.name': {type: 'string', description: "The partner's (seller's) legal name on invoices"},
  'partner.vat': {type: 'string', description: "The partner's VAT identifier"},
  'partner.street': {type: 'string', description: "The partner's street address"},
  'partner.city': {type: 'string', description: "The partner's city"},
  'partner.postcode': {type: 'string', description: "The partner's postal code"},
  'partner.country': {type: 'string', check: (v) => (typeof v === 'string' && /^[A-Z]{2}$/.test(v) ? undefined : 'must be an ISO 3166-1 alpha-2 code such as BE'), description: "The partner's country (ISO 3166-1 alpha-2)"},
  'partner.endpointId': {type: 'string', check: (v) => peppolEndpointProblem(String(v)), example: PEPPOL_ENDPOINT_EXAMPLE, description: "The partner's Peppol endpoint, scheme:value (e.g. 0208:0123456789)"},
  'branding.name': {type: 'string', check: (v) => brandProblem('name', v), example: 'Acme IT', description: "The partner's name on every tenant instead of Odoo's (tenant brand, onboarding; docs/white-label.md)"},
  'branding.url': {type: 'string', check: (v) => brandProblem('url', v), example: 'https://acme-it.example', description: "The partner's website, linked from login pages and e-mail footers"},
  'branding.supportUrl': {type: 'string', check: (v) => brandProblem('supportUrl', v), example: 'https://acme-it.example/support', description: "The web client user menu's Support entry"},
  'branding.documentationUrl': {type: 'string', check: (v) => brandProblem('documentationUrl', v), example: 'https://acme-it.example/docs', description: "The web client user menu's Documentation entry"},
  'branding.primaryColor': {type: 'string', check: (v) => brandProblem('primaryColor', v), example: '#1a73e8', description: "Link colour of e-mail footers and the company's primary colour on reports (#rrggbb)"},
  'branding.logo': {type: 'string', description: "Image file: tenants' main company logo"},
  'branding.favicon': {type: 'string', description: 'Image file: the browser tab icon of tenants (at most 100 KB)'},
  'plugins.allowlist': {type: 'list', default: [], description: 'npm packages that `odoops plugins install` may install (empty: any)'},
}

function brandProblem(key: 'name' | 'url' | 'supportUrl' | 'documentationUrl' | 'primaryColor', value: unknown): string | undefined {
  const problem = brandProblems({[key]: String(value)})[0]
  return problem?.slice(problem.indexOf(':') + 2)
}

export function envNameOf(key: string): string {
  return 'ODOOPS_' + key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase()
}

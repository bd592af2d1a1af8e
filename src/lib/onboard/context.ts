import type {Brand} from '../branding/brand.js'
import type {OdooSession} from '../odoo/client.js'
import type {TenantRecord} from '../state/records.js'
import type {TenantEnv} from '../tenants/context.js'
import {connectFor} from '../tenants/create.js'
import {withStoredTenantSession} from '../tenants/odoo-session.js'
import type {Scope} from '../templates/refs.js'
import type {Template} from '../templates/types.js'
import type {Answers} from './answers.js'
import type {OnboardingRun} from './record.js'

/** What onboarding needs from its caller, beyond what tenant operations need. */
export interface OnboardEnv extends TenantEnv {
  /** odoops' data directory (the built-in backup target lives under it). */
  dataDir: string
  /** Backup target from settings (`backup.defaultTarget`), when the command knows one. */
  defaultBackupTarget?: string
  /** The partner-wide brand (`branding.*` settings), under a template's `branding:` (docs/white-label.md). */
  brandDefaults?: Brand
  /** The template's file, for its branding files' relative paths (on resume: found again by name). */
  templateFile?: string
}

export interface OnboardContext {
  env: OnboardEnv
  run: OnboardingRun
  template: Template
  /** Answers with the vault-kept ones (passwords) filled in. */
  answers: Answers
  save(change: Partial<OnboardingRun>): Promise<void>
}

export async function tenantOf(ctx: OnboardContext): Promise<TenantRecord> {
  const tenant = await ctx.env.store.tenants.get(ctx.run.customer)
  if (!tenant) throw new Error(`tenant ${ctx.run.customer} is not recorded`)
  return tenant
}

/** The values templates may reference: answers and the tenant's names. */
export function scopeOf(ctx: Pick<OnboardContext, 'answers' | 'run'>, tenant?: TenantRecord): Scope {
  const domain = tenant?.domain ?? ctx.run.domain
  return {
    answers: ctx.answers,
    tenant: {slug: ctx.run.customer, domain, url: `https://${domain}`, database: tenant?.database ?? domain},
  }
}

/**
 * Run `fn` with a session as the tenant's admin, on the service port through the SSH connection
 * (the same path tenant creation uses, so no DNS is needed): XML-RPC with the admin password
 * before 19.0, JSON-2 with odoops' API key from 19.0 on (src/lib/tenants/odoo-session.ts).
 */
export async function withAdminSession<R>(ctx: OnboardContext, fn: (session: OdooSession, tenant: TenantRecord) => Promise<R>): Promise<R> {
  const tenant = await tenantOf(ctx)
  if (!tenant.service) throw new Error(`tenant ${tenant.id} has no service recorded`)
  const conn = await connectFor(ctx.env)(tenant.host)
  return withStoredTenantSession(ctx.env.store, ctx.env.box, conn, tenant, (session) => fn(session, tenant))
}

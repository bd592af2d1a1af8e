import {ExitCode, OdoopsError} from '../errors.js'
import {OdooRpcError} from '../odoo/errors.js'
import type {OdooSession} from '../odoo/client.js'
import type {Step, StepChange, StepObserver} from '../steps/runner.js'
import {registerSecret} from '../secrets/redact.js'
import {ensureSecret, readSecret, secretIds} from '../secrets/vault.js'
import {connectFor, createTenant, resumeTenantCreate} from '../tenants/create.js'
import {checkTenantThroughNginx} from '../tenants/health.js'
import {normalizeCreateInput} from '../tenants/input.js'
import {withTenantTransport} from '../tenants/odoo-session.js'
import {checkPasswordLogin} from '../odoo/session.js'
import {odooMajor} from '../series/odoo-series.js'
import {renderValue, wholeAnswerRef} from '../templates/refs.js'
import type {AnsweredUser, TemplateCompany, TemplatePostStep} from '../templates/types.js'
import {brandFromTemplate, mergeBrand} from '../branding/brand.js'
import {applyTenantBrand} from '../branding/tenant.js'
import {loadTemplate} from '../templates/catalog.js'
import {runBackupStep} from './backup.js'
import {withExtraSteps} from './extra-steps.js'
import {scopeOf, tenantOf, withAdminSession, type OnboardContext} from './context.js'
import {userPasswordSecret, type OnboardedUser} from './record.js'
import {placeTenant} from './placement.js'

type OnboardStep = Step<OnboardContext>
type Outcome = StepChange | {change: StepChange; detail?: string}
const outcome = (changes: string[], none = 'already as asked'): Outcome => (changes.length ? {change: 'changed', detail: changes.join(', ')} : {change: 'unchanged', detail: none})

const place: OnboardStep = {
  name: 'place',
  title: 'choose the host',
  // It reads hosts and records its choice in the run: a run failing here is not kept (run.ts).
  changesNothing: true,
  async run(ctx) {
    const placement = await placeTenant(ctx.env, {host: ctx.run.host, series: ctx.template.series})
    await ctx.save({host: placement.host, series: placement.series})
    return {change: 'unchanged', detail: placement.detail}
  },
}

/** The tenant plan's own steps show as `create-tenant:<step>` so they never read as onboarding steps. */
function prefixed(observer: StepObserver | undefined): StepObserver | undefined {
  if (!observer) return undefined
  const rename = (s: {name: string; title: string}) => ({name: `create-tenant:${s.name}`, title: s.title})
  return {started: (s) => observer.started?.(rename(s)), finished: (s, r) => observer.finished?.(rename(s), {...r, name: `create-tenant:${r.name}`})}
}

function renderedCompany(ctx: OnboardContext): TemplateCompany {
  return renderValue(ctx.template.company ?? {}, scopeOf(ctx))
}

/** createTenant, or resumeTenantCreate after a kill: the tenant plan is itself recorded and resumable. */
const createTenantStep: OnboardStep = {
  name: 'create-tenant',
  title: 'create the tenant (database, modules, vhost, TLS)',
  async run(ctx) {
    const {store} = ctx.env
    const {run} = ctx
    const env = {...ctx.env, observer: prefixed(ctx.env.observer)}
    const existing = await store.tenants.get(run.customer)
    if (existing) {
      if (existing.domain !== run.domain || existing.host !== run.host) {
        throw new OdoopsError('ONBOARD_TENANT_CONFLICT', `A tenant "${run.customer}" exists on ${existing.host} for ${existing.domain}, not the one this onboarding creates (${run.domain} on ${run.host}).`, {
          exit: ExitCode.USAGE,
          suggestions: [`odoops tenant show ${run.customer}`],
        })
      }
      if (existing.state === 'active') return {change: 'unchanged', detail: `${existing.id} is active`}
      const resumed = await resumeTenantCreate(env, run.customer)
      return {change: 'changed', detail: `resumed ${resumed.tenant.id} (${resumed.steps.filter((s) => s.change === 'changed').length} steps changed)`}
    }
    const company = renderedCompany(ctx)
    const input = normalizeCreateInput({
      slug: run.customer,
      host: run.host!,
      mode: ctx.template.hosting?.mode ?? 'shared',
      domain: run.domain,
      series: run.series,
      modules: ctx.template.modules.join(','),
      // Runs recorded before templates had addons carry none.
      addons: (run.addons ?? ctx.template.addons ?? []).join(','),
      customer: run.customerName,
      lang: company.languages?.find(Boolean),
      country: company.country || undefined,
      plan: run.plan,
      size: ctx.template.hosting?.size,
    })
    const created = await createTenant(env, input)
    return {change: 'changed', detail: `${created.tenant.id}: ${created.tenant.mode} on ${created.tenant.host}, modules ${ctx.template.modules.join(', ')}`}
  },
}

/** Activate a language (res.lang active; Odoo's base.language.install wizard does the same and loads translations). */
async function activateLanguage(session: OdooSession, code: string): Promise<boolean> {
  const langs = await session.call<{id: number; active: boolean}[]>('res.lang', 'search_read', [[['code', '=', code]]], {fields: ['active'], context: {active_test: false}})
  if (langs.length === 0) throw new OdoopsError('ONBOARD_LANG_UNKNOWN', `Odoo knows no language ${code}.`, {exit: ExitCode.USAGE, suggestions: ['Use an Odoo language code such as fr_BE, nl_BE, de_DE.']})
  if (langs[0].active) return false
  await session.call('res.lang', 'write', [[langs[0].id], {active: true}])
  return true
}

const companyStep: OnboardStep = {
  name: 'company',
  title: 'company, currency and languages',
  async run(ctx) {
    const company = renderedCompany(ctx)
    return withAdminSession(ctx, async (session) => {
      const changes: string[] = []
      const [current] = await session.call<Record<string, unknown>[]>('res.company', 'read', [[1], ['name', 'country_id', 'currency_id', 'email', 'phone', 'website', 'vat', 'street', 'city', 'zip']])
      const values: Record<string, unknown> = {}
      if (company.name && current.name !== company.name) values.name = company.name
      for (const field of ['email', 'phone', 'website', 'vat', 'street', 'city', 'zip'] as const) {
        // Optional answers left empty leave the field alone.
        const value = company[field]
        if (value && current[field] !== value) values[field] = value
      }
      if (company.country) {
        const ids = await session.call<number[]>('res.country', 'search', [[['code', '=', company.country.toUpperCase()]]])
        if (ids.length === 0) throw new OdoopsError('ONBOARD_COUNTRY_UNKNOWN', `Odoo knows no country ${company.country}.`, {exit: ExitCode.USAGE, suggestions: ['Use an ISO 3166 two-letter code such as BE.']})
        if (!Array.isArray(current.country_id) || current.country_id[0] !== ids[0]) values.country_id = ids[0]
      }
      if (company.currency) {
        const code = company.currency.toUpperCase()
        const found = await session.call<{id: number; active: boolean}[]>('res.currency', 'search_read', [[['name', '=', code]]], {fields: ['active'], context: {active_test: false}})
        if (found.length === 0) throw new OdoopsError('ONBOARD_CURRENCY_UNKNOWN', `Odoo knows no currency ${code}.`, {exit: ExitCode.USAGE, suggestions: ['Use an ISO 4217 code such as EUR.']})
        // An inactive currency cannot be a company's currency in the UI: activate it first.
        if (!found[0].active) {
          await session.call('res.currency', 'write', [[found[0].id], {active: true}])
          changes.push(`currency ${code} activated`)
        }
        if (!Array.isArray(current.currency_id) || current.currency_id[0] !== found[0].id) values.currency_id = found[0].id
      }
      if (Object.keys(values).length) {
        await session.call('res.company', 'write', [[1], values])
        changes.push(...Object.keys(values))
      }
      const languages = (company.languages ?? []).filter(Boolean)
      for (const code of new Set(languages)) if (await activateLanguage(session, code)) changes.push(`language ${code}`)
      if (languages[0]) {
        const [admin] = await session.call<{lang: string}[]>('res.users', 'read', [[session.uid], ['lang']])
        if (admin.lang !== languages[0]) {
          await session.call('res.users', 'write', [[session.uid], {lang: languages[0]}])
          changes.push(`admin language ${languages[0]}`)
        }
      }
      return outcome(changes)
    })
  },
}

const settingsStep: OnboardStep = {
  name: 'settings',
  title: 'system parameters',
  async run(ctx) {
    const settings = renderValue(ctx.template.settings ?? [], scopeOf(ctx, await tenantOf(ctx)))
    if (settings.length === 0) return {change: 'unchanged', detail: 'none in the template'}
    return withAdminSession(ctx, async (session) => {
      const changes: string[] = []
      for (const s of settings) {
        const value = String(s.value)
        if ((await session.call('ir.config_parameter', 'get_param', [s.key])) === value) continue
        await session.call('ir.config_parameter', 'set_param', [s.key, value])
        changes.push(s.key)
      }
      return outcome(changes)
    })
  },
}

function answeredUsers(ctx: OnboardContext): AnsweredUser[] {
  const id = wholeAnswerRef(ctx.template.users)
  return id ? ((ctx.answers[id] as AnsweredUser[] | undefined) ?? []) : []
}

/** Group ids of each role, from XML ids (ir.model.data.check_object_reference). */
async function roleGroups(session: OdooSession, ctx: OnboardContext, roles: string[]): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>()
  for (const role of roles) {
    const def = ctx.template.roles?.[role]
    if (!def) throw new OdoopsError('ONBOARD_ROLE_UNKNOWN', `Role "${role}" is not in template ${ctx.template.name}.`, {exit: ExitCode.USAGE})
    // Internal users: base.group_user is the user type every role here builds on.
    const ids: number[] = []
    for (const xmlId of ['base.group_user', ...def.groups]) {
      const [module, name] = xmlId.split('.')
      let ref: [string, number]
      try {
        ref = await session.call<[string, number]>('ir.model.data', 'check_object_reference', [module, name])
      } catch (error) {
        if (!(error instanceof OdooRpcError)) throw error
        throw new OdoopsError('ONBOARD_ROLE_GROUP_MISSING', `Role "${role}" maps to group ${xmlId}, which this database does not have.`, {
          exit: ExitCode.USAGE,
          suggestions: [`Check the XML id in template ${ctx.template.name}; the module "${module}" may need to be in its modules.`],
        })
      }
      if (ref[0] !== 'res.groups') throw new OdoopsError('ONBOARD_ROLE_GROUP_MISSING', `Role "${role}": ${xmlId} is a ${ref[0]}, not a group.`, {exit: ExitCode.USAGE})
      if (!ids.includes(ref[1])) ids.push(ref[1])
    }
    result.set(role, ids)
  }
  return result
}

/**
 * The name of res.users' groups field, asked of the server: `groups_id` up to 18.0, renamed
 * `group_ids` in 19.0 (odoo/addons/base/models/res_users.py). fields_get answers only fields
 * that exist, so this holds for whichever series comes next.
 */
export async function userGroupsField(session: OdooSession): Promise<'group_ids' | 'groups_id'> {
  const fields = await session.call<Record<string, unknown>>('res.users', 'fields_get', [['group_ids', 'groups_id']], {attributes: ['type']})
  if (fields.group_ids) return 'group_ids'
  if (fields.groups_id) return 'groups_id'
  throw new OdoopsError('ODOO_USER_GROUPS_FIELD_UNKNOWN', "This Odoo's res.users has neither group_ids (19.0+) nor groups_id (up to 18.0): odoops cannot set users' roles on it.", {
    suggestions: ['Check the series this tenant runs (odoops tenant show) against the support matrix in docs/odoo-versions.md.'],
  })
}

/**
 * Users with their role's groups. Searched by login first (archived ones too), so a
 * resume after a kill never creates a user twice. The initial password is stored
 * (sealed) before the user is created, for the same reason.
 */
const usersStep: OnboardStep = {
  name: 'users',
  title: 'users and their roles',
  async run(ctx) {
    const users = answeredUsers(ctx)
    if (users.length === 0) return {change: 'unchanged', detail: 'no users asked for'}
    const lang = renderedCompany(ctx).languages?.find(Boolean)
    return withAdminSession(ctx, async (session, tenant) => {
      const groups = await roleGroups(session, ctx, [...new Set(users.map((u) => u.role))])
      const groupsField = await userGroupsField(session)
      const done: OnboardedUser[] = [...ctx.run.users]
      const changes: string[] = []
      for (const user of users) {
        const wanted = groups.get(user.role)!
        const secretId = userPasswordSecret(tenant.id, user.login)
        const found = await session.call<({id: number} & Record<string, number[]>)[]>('res.users', 'search_read', [[['login', '=', user.login]]], {fields: [groupsField], context: {active_test: false}})
        let record: OnboardedUser
        if (found.length) {
          const missing = wanted.filter((g) => !found[0][groupsField].includes(g))
          if (missing.length) {
            await session.call('res.users', 'write', [[found[0].id], {[groupsField]: missing.map((g) => [4, g])}])
            changes.push(`${user.login} groups`)
          }
          // A stored password means this run created it before it was interrupted.
          const created = (await readSecret(ctx.env.store, ctx.env.box, secretId)) !== undefined
          record = {login: user.login, name: user.name, role: user.role, uid: found[0].id, created}
        } else {
          const password = await ensureSecret(ctx.env.store, ctx.env.box, secretId, 18)
          registerSecret(password)
          const uid = await session.call<number>('res.users', 'create', [
            {name: user.name, login: user.login, email: user.email ?? false, password, ...(lang ? {lang} : {}), [groupsField]: [[6, 0, wanted]]},
          ])
          changes.push(user.login)
          record = {login: user.login, name: user.name, role: user.role, uid, created: true}
        }
        const index = done.findIndex((u) => u.login === user.login)
        if (index >= 0) done[index] = record
        else done.push(record)
        await ctx.save({users: done})
      }
      return outcome(changes.length ? [`created or updated ${changes.join(', ')}`] : [], `${users.length} users already there`)
    })
  },
}

const planStep: OnboardStep = {
  name: 'plan',
  title: 'billing plan on the tenant',
  async run(ctx) {
    const plan = ctx.run.plan
    if (!plan) return {change: 'unchanged', detail: 'no plan'}
    const tenant = await tenantOf(ctx)
    if (tenant.plan === plan) return {change: 'unchanged', detail: plan}
    await ctx.env.store.tenants.update(tenant.id, {plan})
    return {change: 'changed', detail: plan}
  },
}

/**
 * The template's `branding:` over the partner-wide default (docs/white-label.md): odoops' own
 * addon repository on the tenant's service, odoops_branding installed, the brand written. Only
 * for templates with `branding:`; run again (resume) it writes the same parameters.
 */
const brandingStep: OnboardStep = {
  name: 'branding',
  title: "the partner's brand (odoops_branding)",
  async run(ctx) {
    const tenant = await tenantOf(ctx)
    const file = ctx.env.templateFile ?? loadTemplate(ctx.template.name).file
    const brand = mergeBrand(ctx.env.brandDefaults, brandFromTemplate(ctx.template.branding, file))
    const result = await applyTenantBrand(ctx.env, tenant.id, brand)
    return {change: 'changed', detail: `${brand.name}${result.installed ? ' (odoops_branding installed)' : ''}`}
  },
}

function postStep(spec: TemplatePostStep): OnboardStep {
  return {
    name: `post-${spec.name}`,
    title: spec.title ?? `${spec.model}.${spec.method}`,
    async run(ctx) {
      const tenant = await tenantOf(ctx)
      const scope = scopeOf(ctx, tenant)
      if (spec.when !== undefined && (renderValue(spec.when, scope) as unknown) !== true) return {change: 'unchanged', detail: 'skipped (condition not met)'}
      return withAdminSession(ctx, async (session) => {
        if (spec.unless) {
          const count = await session.call<number>(spec.unless.model, 'search_count', [renderValue(spec.unless.domain, scope)], {context: {active_test: false}})
          if (count > 0) return {change: 'unchanged', detail: 'already there'}
        }
        const result = await session.call(spec.model, spec.method, renderValue(spec.args ?? [], scope), renderValue(spec.kwargs ?? {}, scope))
        const shown = typeof result === 'number' || typeof result === 'boolean' ? `: ${String(result)}` : ''
        return {change: 'changed', detail: `${spec.model}.${spec.method}${shown}`}
      })
    },
  }
}

const backupStep: OnboardStep = {
  name: 'backup',
  title: 'initial backup, verified',
  async run(ctx) {
    return runBackupStep(ctx)
  },
}

/** The tenant through nginx (health + admin login), and each created user's first login. */
const healthStep: OnboardStep = {
  name: 'health',
  title: 'health through nginx; users can log in',
  async run(ctx) {
    const tenant = await tenantOf(ctx)
    const password = await readSecret(ctx.env.store, ctx.env.box, secretIds.tenantAdminPassword(tenant.id))
    const conn = await connectFor(ctx.env)(tenant.host)
    const report = await checkTenantThroughNginx(conn, tenant, {password, waitMs: 30_000})
    if (!report.ok) throw new OdoopsError('TENANT_UNHEALTHY', `${tenant.domain} is not healthy: ${report.detail}.`, {suggestions: [`odoops tenant status ${tenant.id}`, `Then: odoops onboard --resume ${ctx.run.id}`]})
    const created = ctx.run.users.filter((u) => u.created)
    const refused: string[] = []
    // XML-RPC authenticate before 19.0, the web client's own login route from 19.0 (no /xmlrpc, gone in 20).
    const major = odooMajor(tenant.series)
    await withTenantTransport(conn, tenant, async (transport) => {
      for (const user of created) {
        const secret = await readSecret(ctx.env.store, ctx.env.box, userPasswordSecret(tenant.id, user.login))
        if (secret && !(await checkPasswordLogin(transport, major, tenant.database, user.login, secret))) refused.push(user.login)
      }
    })
    if (refused.length) throw new OdoopsError('ONBOARD_USER_LOGIN_FAILED', `Odoo refuses the initial password of ${refused.join(', ')}.`, {suggestions: ['Someone changed it already, or the user was archived: check in Odoo.']})
    return {change: 'unchanged', detail: `${report.detail}${created.length ? `; ${created.length} users log in` : ''}`}
  },
}

export function onboardSteps(ctx: Pick<OnboardContext, 'template'>): OnboardStep[] {
  const core = [place, createTenantStep, companyStep, settingsStep, usersStep, planStep, ...(ctx.template.branding ? [brandingStep] : []), ...(ctx.template.post_steps ?? []).map(postStep), backupStep, healthStep]
  // Plugin packs' steps at their declared positions (src/lib/plugins registers them).
  return withExtraSteps(core, ctx.template)
}

import {OdoopsError, isOdoopsError, messageOf} from '../errors.js'
import {scopeOf, withAdminSession, type OnboardContext} from '../onboard/context.js'
import type {ExtraOnboardStep} from '../onboard/extra-steps.js'
import type {Template} from '../templates/types.js'
import type {PackStep} from './api.js'
import type {PackDescriptor} from './discover.js'

/** Whether a pack step applies to a template: `*`, an exact name, or (by default) the pack's own templates. */
export function stepAppliesTo(pack: Pick<PackDescriptor, 'namespace'>, step: Pick<PackStep, 'templates'>, template: Pick<Template, 'name'>): boolean {
  const wanted = step.templates ?? [`${pack.namespace}/*`]
  return wanted.some((t) => t === '*' || t === template.name || (t.endsWith('/*') && template.name.startsWith(t.slice(0, -1))))
}

/**
 * A pack step as a recorded onboarding step `<namespace>/<name>`: it runs with an XML-RPC
 * session as the tenant's admin (the same path the core steps use) and the answers. Its
 * failure names the pack, so `onboard` says whose step failed.
 */
export function onboardStepOf(pack: Pick<PackDescriptor, 'name' | 'namespace'>, step: PackStep): ExtraOnboardStep {
  const name = `${pack.namespace}/${step.name}`
  return {
    before: step.before,
    after: step.after,
    appliesTo: (template) => stepAppliesTo(pack, step, template),
    step: {
      name,
      title: `${step.title} (${pack.name})`,
      async run(ctx: OnboardContext, signal: AbortSignal) {
        try {
          return await withAdminSession(ctx, async (session, tenant) => {
            const {tenant: names} = scopeOf(ctx, tenant)
            const result = await step.run({
              odoo: session,
              answers: ctx.answers,
              template: {name: ctx.template.name, version: ctx.template.version, modules: ctx.template.modules},
              tenant: {slug: String(names.slug), domain: String(names.domain), url: String(names.url), database: String(names.database)},
              signal,
            })
            if (result?.change !== 'changed' && result?.change !== 'unchanged') return {change: 'changed' as const, detail: 'the step reported no result'}
            return {change: result.change, ...(typeof result.detail === 'string' ? {detail: result.detail} : {})}
          })
        } catch (error) {
          if (isOdoopsError(error) && !error.code.startsWith('ODOO_')) throw error
          throw new OdoopsError('PACK_STEP_FAILED', `Step ${name} of pack ${pack.name} failed: ${messageOf(error)}`, {
            suggestions: [`odoops plugins doctor shows the pack's state; its author can fix the step, then: odoops onboard --resume ${ctx.run.id}`],
            cause: error,
          })
        }
      },
    },
  }
}

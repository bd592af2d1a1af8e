import type {Step} from '../steps/runner.js'
import type {Template} from '../templates/types.js'
import type {OnboardContext} from './context.js'

/**
 * Onboarding steps contributed by plugin packs (src/lib/plugins adapts and registers them
 * when `onboard` runs). Each is placed before or after a named core step, for the
 * templates it applies to; post-steps count as part of `plan` (they follow it).
 */
export interface ExtraOnboardStep {
  step: Step<OnboardContext>
  before?: string
  after?: string
  appliesTo(template: Template): boolean
}

const extras: ExtraOnboardStep[] = []

export function registerOnboardStep(extra: ExtraOnboardStep): void {
  if (!extras.some((e) => e.step.name === extra.step.name)) extras.push(extra)
}

/** Forget every contributed step (tests). */
export function clearOnboardSteps(): void {
  extras.length = 0
}

/** The core steps with the contributed ones that apply to `template`, in registration order at each position. */
export function withExtraSteps(core: Step<OnboardContext>[], template: Template): Step<OnboardContext>[] {
  const steps = [...core]
  const after = new Map<string, string>()
  for (const extra of extras.filter((e) => e.appliesTo(template))) {
    const anchor = extra.before ?? extra.after ?? 'users'
    let index = steps.findIndex((s) => s.name === anchor)
    if (index === -1) index = steps.length
    else if (!extra.before) {
      index++
      // After `plan` means after the template's post-steps too; and after the extras already placed after the anchor.
      while (index < steps.length && ((anchor === 'plan' && steps[index].name.startsWith('post-')) || after.get(steps[index].name) === anchor)) index++
      after.set(extra.step.name, anchor)
    }
    steps.splice(index, 0, extra.step)
  }
  return steps
}

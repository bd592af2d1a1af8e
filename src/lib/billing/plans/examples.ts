/**
 * The example plans shipped in the package's `templates/plans/` directory: what a partner starts
 * from (`odoops plan apply templates/plans/business.yaml`), and what `template validate` checks a
 * template's plan against when no state store is at hand. Every plan a core template names
 * (`plan:`) is one of them (test/templates/plans.test.ts).
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parsePlan} from './file.js'
import type {PlanDefinition} from './types.js'

/** The package's `templates/plans/` (four levels up from src/lib/billing/plans and dist/lib/billing/plans). */
export const EXAMPLE_PLAN_DIR = fileURLToPath(new URL('../../../../templates/plans', import.meta.url))

export interface ExamplePlan {
  id: string
  file: string
  plan: PlanDefinition
}

/** The valid example plans, by id (an invalid file is left out: `plan validate` reports it). */
export function examplePlans(dir: string = EXAMPLE_PLAN_DIR): ExamplePlan[] {
  if (!existsSync(dir)) return []
  const out: ExamplePlan[] = []
  for (const name of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name)) continue
    const file = join(dir, name)
    const parsed = parsePlan(readFileSync(file, 'utf8'))
    if (parsed.plan) out.push({id: parsed.plan.id, file, plan: parsed.plan})
  }
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

/**
 * A template's `plan:` must name a plan that exists, or every customer onboarded with it gets a
 * plan `invoice generate` cannot rate (it warns and skips the customer). `template validate`
 * checks it against the plans of the state store when one is at hand, else against the example
 * plans shipped in templates/plans/ (examples.ts), and says how to fix it: store the plan with
 * `odoops plan apply <file>` (the shipped file when there is one), or name another plan.
 */
import {readFileSync} from 'node:fs'
import {isAbsolute, relative} from 'node:path'
import {LineCounter, parseDocument} from 'yaml'
import {examplePlans} from '../billing/plans/examples.js'
import {locate} from './locate.js'
import type {Template, TemplateIssue} from './types.js'
import {EXAMPLE_PLAN_DIR} from '../billing/plans/examples.js'

export interface KnownPlans {
  /** Where the ids come from: the state store's plans, or the shipped example plans. */
  source: 'store' | 'examples'
  ids: string[]
  /** Shipped example plan files by id (the file to `plan apply`). */
  files: Record<string, string>
}

/** The shipped example plans as a KnownPlans (for the store's, pass its ids with source 'store'). */
export function knownPlans(source: 'store' | 'examples', storeIds: string[] = []): KnownPlans {
  const examples = examplePlans()
  const files = Object.fromEntries(examples.map((e) => [e.id, e.file]))
  return {source, ids: source === 'store' ? [...storeIds].sort() : examples.map((e) => e.id), files}
}

/** A path a user can paste: relative to the working directory when below it, else absolute. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}

/** The issue with a template's plan, or none (no plan, or a known one). */
export function templatePlanIssues(template: Template, known: KnownPlans): Omit<TemplateIssue, 'kind'>[] {
  const plan = template.plan
  if (plan === undefined || known.ids.includes(plan)) return []
  const shipped = known.files[plan]
  const list = known.ids.length > 0 ? known.ids.join(', ') : 'none'
  if (known.source === 'store') {
    const fix = shipped ? `store it: odoops plan apply ${shown(shipped)}` : `store it: odoops plan apply <file> (examples in ${EXAMPLE_PLAN_DIR})`
    return [{path: '/plan', message: `plan "${plan}" is not in the state store (plans: ${list}): invoice generate would skip every customer onboarded with it; ${fix}, or name a stored plan`}]
  }
  return [{path: '/plan', message: `plan "${plan}" is none of the shipped example plans (${list}) and no state store was read: write the plan, store it with odoops plan apply <file>, or name one of them (odoops template validate --state <store> checks a store's plans)`}]
}

/** The plan issues of a template file, placed at their line and column. */
export function placedPlanIssues(file: string, template: Template, known: KnownPlans): TemplateIssue[] {
  const issues = templatePlanIssues(template, known)
  if (issues.length === 0) return []
  const counter = new LineCounter()
  let place: (path: string) => {line?: number; column?: number} = () => ({})
  try {
    const doc = parseDocument(readFileSync(file, 'utf8'), {lineCounter: counter})
    place = (path) => locate(doc, counter, path) ?? {}
  } catch {
    // the issue stands without a line
  }
  return issues.map((i) => ({kind: 'semantic', ...i, ...place(i.path)}))
}

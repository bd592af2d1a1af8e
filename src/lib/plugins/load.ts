import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {messageOf} from '../errors.js'
import {MAX_PACK_CHECK_TIMEOUT_MS, packCheckRegistry, type PackCheckRegistry} from '../fleet/check-registry.js'
import {validateMetric} from '../meter/registry.js'
import type {DatabaseMetric} from '../meter/types.js'
import {readTemplateFile, type TemplateEntry} from '../templates/catalog.js'
import {formatIssue, parseTemplate} from '../templates/load.js'
import type {TemplateQuestion} from '../templates/types.js'
import {CORE_ONBOARD_STEPS, type PackCheck, type PackMetric, type PackQuestions, type PackStep} from './api.js'
import type {PackDescriptor, PackProblem} from './discover.js'

export type ContributionKind = 'templates' | 'metrics' | 'steps' | 'checks'
export const CONTRIBUTION_KINDS: readonly ContributionKind[] = ['templates', 'metrics', 'steps', 'checks']

/** A pack with the contributions asked for, each checked; what failed is in `problems`. */
export interface LoadedPack extends PackDescriptor {
  /** Template files (valid or not); names are `<namespace>/<name>`. */
  templates: TemplateEntry[]
  templatesDir?: string
  metrics: DatabaseMetric[]
  steps: PackStep[]
  questions: PackQuestions[]
  checks: PackCheck[]
}

const TEMPLATE_FILE = /^[a-z][a-z0-9-]{1,40}\.ya?ml$/
const STEP_NAME = /^[a-z][a-z0-9-]{0,40}$/

/** A pack module's exports; a module that throws while importing is the pack's problem, not odoops'. */
async function importModule(pack: PackDescriptor, path: string): Promise<Record<string, unknown>> {
  const file = resolve(pack.root, path)
  if (!existsSync(file)) throw new Error(`${path} does not exist (is the pack built?)`)
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>
}

function arrayExport<T>(module: Record<string, unknown>, name: string, path: string): T[] {
  const value = module[name] ?? (module.default as Record<string, unknown> | undefined)?.[name]
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new Error(`${path} exports "${name}" but it is not an array`)
  return value as T[]
}

function loadTemplates(pack: PackDescriptor, out: LoadedPack): void {
  const dir = resolve(pack.root, pack.manifest!.templates!)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    out.problems.push({area: 'template', message: `templates directory ${pack.manifest!.templates} does not exist`})
    return
  }
  out.templatesDir = dir
  for (const file of readdirSync(dir).sort()) {
    if (!TEMPLATE_FILE.test(file)) continue
    const entry = readTemplateFile(join(dir, file), pack.name)
    entry.name = `${pack.namespace}/${entry.name}`
    if (entry.template) entry.template = {...entry.template, name: entry.name}
    else out.problems.push({area: 'template', subject: file, message: entry.issues.map((i) => formatIssue(file, i)).join('; ')})
    out.templates.push(entry)
  }
  if (out.templates.length === 0) out.problems.push({area: 'template', message: `no template files (*.yaml) in ${pack.manifest!.templates}`})
}

/** A pack metric as the meter runs it: scope database, checked like the core's (name in the pack's namespace). */
function checkMetric(pack: PackDescriptor, metric: PackMetric): DatabaseMetric | PackProblem {
  const subject = typeof metric?.name === 'string' ? metric.name : '(unnamed)'
  if (typeof metric !== 'object' || metric === null) return {area: 'metric', subject, message: 'not an object'}
  const candidate: DatabaseMetric = {...metric, scope: 'database'}
  const problem = validateMetric(candidate, pack.namespace)
  return problem ? {area: 'metric', subject, message: problem} : candidate
}

function checkStep(step: PackStep): string | undefined {
  if (typeof step !== 'object' || step === null) return 'not an object'
  if (typeof step.name !== 'string' || !STEP_NAME.test(step.name)) return 'name must be lowercase letters, digits and dashes'
  if (typeof step.title !== 'string' || !step.title.trim()) return 'it needs a title'
  if (typeof step.run !== 'function') return 'it needs run(ctx)'
  if (step.before !== undefined && step.after !== undefined) return 'give before or after, not both'
  const anchor = step.before ?? step.after
  if (anchor !== undefined && !(CORE_ONBOARD_STEPS as readonly string[]).includes(anchor)) return `"${anchor}" is not a core onboarding step (${CORE_ONBOARD_STEPS.join(', ')})`
  if (step.templates !== undefined && (!Array.isArray(step.templates) || step.templates.some((t) => typeof t !== 'string'))) return 'templates must be a list of template names'
  return undefined
}

/** Extra questions are checked by the template schema itself, inside a minimal template. */
function checkQuestions(pack: PackDescriptor, extension: PackQuestions): string | undefined {
  if (!Array.isArray(extension?.templates) || !Array.isArray(extension?.questions)) return 'needs templates: [...] and questions: [...]'
  const prefix = `${pack.namespace.replaceAll('-', '_')}_`
  const bad = extension.questions.filter((q: TemplateQuestion) => typeof q?.id !== 'string' || !q.id.startsWith(prefix))
  if (bad.length) return `question ids must start with "${prefix}" (${bad.map((q) => String(q?.id)).join(', ')})`
  const probe = {name: 'probe', title: 'probe', version: 1, series: ['17.0'], modules: ['base'], questions: extension.questions}
  const parsed = parseTemplate(JSON.stringify(probe))
  return parsed.template ? undefined : parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')
}

function checkCheck(check: PackCheck): string | undefined {
  if (typeof check !== 'object' || check === null) return 'not an object'
  if (typeof check.name !== 'string' || !STEP_NAME.test(check.name)) return 'name must be lowercase letters, digits and dashes'
  if (typeof check.description !== 'string' || typeof check.check !== 'function') return 'it needs a description and check(ctx)'
  if (check.templates !== undefined && (!Array.isArray(check.templates) || check.templates.some((t) => typeof t !== 'string'))) return 'templates must be a list of template names'
  if (check.severity !== undefined && check.severity !== 'warning' && check.severity !== 'breach') return `severity must be "warning" or "breach", not ${JSON.stringify(check.severity)}`
  if (check.timeoutMs !== undefined && !(typeof check.timeoutMs === 'number' && check.timeoutMs > 0 && check.timeoutMs <= MAX_PACK_CHECK_TIMEOUT_MS)) return `timeoutMs must be a number of ms from 1 to ${MAX_PACK_CHECK_TIMEOUT_MS}`
  return undefined
}

/**
 * Loads the asked-for contributions of one pack. Nothing throws: a module that fails to
 * import, an invalid template or metric, a misplaced step… each becomes a problem of this
 * pack, and what is valid is still returned. Valid fleet checks are also registered in
 * `registry` (default: the process-wide one `fleet status` and the schedule's status jobs read).
 */
export async function loadPack(pack: PackDescriptor, kinds: readonly ContributionKind[] = CONTRIBUTION_KINDS, registry: PackCheckRegistry = packCheckRegistry): Promise<LoadedPack> {
  const out: LoadedPack = {...pack, problems: [...pack.problems], templates: [], metrics: [], steps: [], questions: [], checks: []}
  const manifest = pack.manifest
  if (!manifest) return out
  if (kinds.includes('templates') && manifest.templates) loadTemplates(pack, out)
  if (kinds.includes('metrics') && manifest.metrics) {
    try {
      const module = await importModule(pack, manifest.metrics)
      for (const metric of arrayExport<PackMetric>(module, 'metrics', manifest.metrics)) {
        const checked = checkMetric(pack, metric)
        if ('area' in checked) out.problems.push(checked)
        else out.metrics.push(checked)
      }
    } catch (error) {
      out.problems.push({area: 'load', subject: manifest.metrics, message: `loading the metrics failed: ${messageOf(error)}`})
    }
  }
  if (kinds.includes('steps') && manifest.steps) {
    try {
      const module = await importModule(pack, manifest.steps)
      for (const step of arrayExport<PackStep>(module, 'steps', manifest.steps)) {
        const problem = checkStep(step)
        if (problem) out.problems.push({area: 'step', subject: String(step?.name ?? '(unnamed)'), message: problem})
        else out.steps.push(step)
      }
      for (const extension of arrayExport<PackQuestions>(module, 'questions', manifest.steps)) {
        const problem = checkQuestions(pack, extension)
        if (problem) out.problems.push({area: 'questions', message: problem})
        else out.questions.push(extension)
      }
    } catch (error) {
      out.problems.push({area: 'load', subject: manifest.steps, message: `loading the onboarding steps failed: ${messageOf(error)}`})
    }
  }
  if (kinds.includes('checks') && manifest.checks) {
    try {
      const module = await importModule(pack, manifest.checks)
      for (const check of arrayExport<PackCheck>(module, 'checks', manifest.checks)) {
        const problem = checkCheck(check)
        if (problem) {
          out.problems.push({area: 'check', subject: String(check?.name ?? '(unnamed)'), message: problem})
          continue
        }
        // Registered where fleet status and the schedule's status jobs find them (idempotent per pack).
        try {
          registry.register(pack, check)
          out.checks.push(check)
        } catch (error) {
          out.problems.push({area: 'check', subject: check.name, message: messageOf(error)})
        }
      }
    } catch (error) {
      out.problems.push({area: 'load', subject: manifest.checks, message: `loading the fleet checks failed: ${messageOf(error)}`})
    }
  }
  return out
}

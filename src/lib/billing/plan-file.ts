import {existsSync, readFileSync, statSync} from 'node:fs'
import {resolve} from 'node:path'
import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import {LineCounter, parseDocument} from 'yaml'
import {usageError} from '../errors.js'
import {locate} from '../templates/locate.js'
import {PLAN_SCHEMA} from './plan-schema.js'
import {planRuleIssues} from './plan-rules.js'
import type {PlanDefinition} from './plan-types.js'

/** A problem in a plan file, with its JSON path and, when it can be placed, line and column. */
export interface PlanIssue {
  kind: 'syntax' | 'schema' | 'rule'
  path: string
  message: string
  line?: number
  column?: number
}

export interface ParsedPlan {
  plan?: PlanDefinition
  issues: PlanIssue[]
}

let validator: ValidateFunction | undefined
function schemaValidator(): ValidateFunction {
  // discriminator: a component is checked against the branch its `type` names, so errors are about that branch only.
  validator ??= new Ajv({allErrors: true, strict: false, discriminator: true}).compile(PLAN_SCHEMA)
  return validator
}

function schemaIssue(error: ErrorObject): {path: string; message: string; key: boolean} | undefined {
  const params = error.params as Record<string, unknown>
  const path = error.instancePath
  // anyOf reports each branch (its summary is enough); propertyNames repeats its inner pattern error.
  if (error.schemaPath.includes('/anyOf/') || error.schemaPath.includes('/propertyNames/')) return undefined
  switch (error.keyword) {
    case 'additionalProperties':
      return {path: `${path}/${String(params.additionalProperty)}`, message: `unknown property "${String(params.additionalProperty)}"`, key: true}
    case 'required':
      return {path, message: `missing property "${String(params.missingProperty)}"`, key: false}
    case 'enum':
      return {path, message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`, key: false}
    case 'const':
      return {path, message: `must be ${JSON.stringify(params.allowedValue)}`, key: false}
    case 'discriminator':
      return {path: `${path}/type`, message: 'type must be one of flat, per-user, fair-use, bands, addon', key: false}
    case 'propertyNames':
      return {path: `${path}/${String(params.propertyName)}`, message: `"${String(params.propertyName)}" is not a metric name (lower case, dot-separated: users.internal)`, key: true}
    case 'pattern':
      if (/\/(id|components\/\d+\/id)$/.test(path)) return {path, message: 'must be lower case letters, digits and dashes, starting with a letter (at most 63)', key: false}
      if (path === '/currency') return {path, message: 'must be an ISO 4217 code such as EUR', key: false}
      return {path, message: error.message ?? 'does not match its pattern', key: false}
    case 'anyOf':
      return {path, message: path.includes('/bands/') && !/(Price|upTo)$/.test(path) ? 'a band needs unitPrice or flatPrice (or both)' : 'must be a decimal amount such as "24.90"', key: false}
    default:
      return {path, message: error.message ?? error.keyword, key: false}
  }
}

/**
 * Parse and check a plan: YAML syntax, the JSON Schema (every error, not the first),
 * then the rules across fields. A plan comes back only when there is no issue at all.
 */
export function parsePlan(text: string): ParsedPlan {
  const counter = new LineCounter()
  const doc = parseDocument(text, {lineCounter: counter, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0])
        return {kind: 'syntax', path: '', line: pos.line, column: pos.col, message: e.message.split('\n')[0]}
      }),
    }
  }
  const data: unknown = doc.toJS()
  const place = (path: string, key = false) => locate(doc, counter, path, {key}) ?? {}
  const check = schemaValidator()
  if (!check(data)) {
    const seen = new Set<string>()
    const issues: PlanIssue[] = []
    for (const error of check.errors ?? []) {
      const found = schemaIssue(error)
      if (!found || seen.has(`${found.path}\0${found.message}`)) continue
      seen.add(`${found.path}\0${found.message}`)
      issues.push({kind: 'schema', path: found.path, message: found.message, ...place(found.path, found.key)})
    }
    return {issues}
  }
  const plan = data as PlanDefinition
  const issues: PlanIssue[] = planRuleIssues(plan).map((i) => ({kind: 'rule', ...i, ...place(i.path)}))
  return issues.length > 0 ? {issues} : {plan, issues}
}

export interface PlanFile extends ParsedPlan {
  file: string
  text: string
}

export function readPlanFile(path: string): PlanFile {
  const file = resolve(path)
  if (!existsSync(file) || !statSync(file).isFile()) throw usageError('PLAN_FILE_NOT_FOUND', `No plan file ${path}.`, ['Give the path of a plan YAML file, e.g. templates/plans/per-user.yaml.'])
  const text = readFileSync(file, 'utf8')
  return {file, text, ...parsePlan(text)}
}

/** `file:line:column path: message`, the form editors and CI annotate. */
export function formatPlanIssue(source: string, issue: PlanIssue): string {
  const where = issue.line ? `${source}:${issue.line}:${issue.column}` : source
  return `${where} ${issue.path || '/'}: ${issue.message}`
}

/** The error for a plan file with issues: exit 2, every issue in the message and in data. */
export function invalidPlan(file: string, issues: PlanIssue[]) {
  return usageError(
    'PLAN_INVALID',
    `${file} is not a valid plan (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => '  ' + formatPlanIssue(file, i)).join('\n')}`,
    ['Fix each issue above, then run odoops plan validate <file> again. The format is in docs/billing.md.'],
    {issues},
  )
}

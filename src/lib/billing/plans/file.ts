import {join} from 'node:path'
import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import {usageError} from '../../errors.js'
import {checkYamlDocument, commonSchemaIssue, formatDocumentIssue, invalidDocument, readUserFile, type DocumentIssue, type SchemaIssue} from '../../yaml-document.js'
import {PLAN_SCHEMA} from './schema.js'
import {planRuleIssues} from './rules.js'
import type {PlanDefinition} from './types.js'
import {EXAMPLE_PLAN_DIR} from './examples.js'

/** A problem in a plan file, with its JSON path and, when it can be placed, line and column. */
export type PlanIssue = DocumentIssue

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

function schemaIssue(error: ErrorObject): SchemaIssue | undefined {
  const params = error.params as Record<string, unknown>
  const path = error.instancePath
  // anyOf reports each branch (its summary is enough); propertyNames repeats its inner pattern error.
  if (error.schemaPath.includes('/anyOf/') || error.schemaPath.includes('/propertyNames/')) return undefined
  const common = commonSchemaIssue(error)
  if (common) return common
  switch (error.keyword) {
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
  const {value, issues} = checkYamlDocument<PlanDefinition>(text, {validate: schemaValidator(), describe: schemaIssue, rules: planRuleIssues})
  return value ? {plan: value, issues} : {issues}
}

export interface PlanFile extends ParsedPlan {
  file: string
  text: string
}

export function readPlanFile(path: string): PlanFile {
  const {file, text} = readUserFile(path, () => usageError('PLAN_FILE_NOT_FOUND', `No plan file ${path}.`, [`Give the path of a plan YAML file, e.g. ${join(EXAMPLE_PLAN_DIR, 'per-user.yaml')} (shipped with odoops).`]))
  return {file, text, ...parsePlan(text)}
}

export const formatPlanIssue = formatDocumentIssue

/** The error for a plan file with issues: exit 2, every issue in the message and in data. */
export function invalidPlan(file: string, issues: PlanIssue[]) {
  return invalidDocument('PLAN_INVALID', 'plan', file, issues, 'Fix each issue above, then run odoops plan validate <file> again. The format is in docs/billing.md.')
}

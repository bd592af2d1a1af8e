import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import {parseYamlWithLines} from '../yaml-document.js'
import {escapePointer} from './refs.js'
import {semanticIssues} from './semantic.js'
import type {Template, TemplateIssue} from './types.js'

/** The package's `templates/` directory (three levels up from src/lib/templates and dist/lib/templates). */
export const CORE_TEMPLATE_DIR = fileURLToPath(new URL('../../../templates', import.meta.url))
export const TEMPLATE_SCHEMA_FILE = join(CORE_TEMPLATE_DIR, 'template.schema.json')

let validator: ValidateFunction | undefined
function validate(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(TEMPLATE_SCHEMA_FILE, 'utf8')) as Record<string, unknown>
    validator = new Ajv({allErrors: true, strict: false}).compile(schema)
  }
  return validator
}

export interface ParsedTemplate {
  template?: Template
  issues: TemplateIssue[]
}

/** Where a schema error is: an unexpected key points at the key, a missing one at its parent. */
function schemaIssue(error: ErrorObject): {path: string; message: string; key: boolean} {
  const params = error.params as Record<string, unknown>
  if (error.keyword === 'additionalProperties') {
    const prop = String(params.additionalProperty)
    return {path: `${error.instancePath}/${escapePointer(prop)}`, message: `unknown property "${prop}"`, key: true}
  }
  if (error.keyword === 'required') return {path: error.instancePath, message: `missing property "${String(params.missingProperty)}"`, key: false}
  if (error.keyword === 'enum') return {path: error.instancePath, message: `${error.message} (${(params.allowedValues as unknown[]).map(String).join(', ')})`, key: false}
  if (error.keyword === 'propertyNames') return {path: `${error.instancePath}/${escapePointer(String(params.propertyName))}`, message: `invalid name "${String(params.propertyName)}"`, key: true}
  return {path: error.instancePath, message: error.message ?? error.keyword, key: false}
}

/**
 * Parse and check a template: YAML syntax, then the JSON Schema (every error, not the
 * first), then the semantic checks. Every issue carries its JSON path and, when it can
 * be placed, the line and column in the file (yaml's LineCounter).
 */
export function parseTemplate(text: string): ParsedTemplate {
  const parsed = parseYamlWithLines(text, {warnings: true})
  if ('syntax' in parsed) return {issues: parsed.syntax}
  const {data, place} = parsed
  const check = validate()
  if (!check(data)) {
    const seen = new Set<string>()
    const issues: TemplateIssue[] = []
    for (const error of check.errors ?? []) {
      // anyOf reports each branch; its own summary line is enough.
      if (error.schemaPath.includes('/anyOf/')) continue
      const {path, message, key} = schemaIssue(error)
      const id = `${path}\0${message}`
      if (seen.has(id)) continue
      seen.add(id)
      issues.push({kind: 'schema', path, message, ...place(path, key)})
    }
    return {issues}
  }
  const template = data as Template
  const issues: TemplateIssue[] = semanticIssues(template).map((i) => ({kind: 'semantic', ...i, ...place(i.path)}))
  return issues.length ? {issues} : {template, issues}
}

/** `file:line:column path: message`, the form editors and CI annotate. */
export function formatIssue(source: string, issue: TemplateIssue): string {
  const where = issue.line ? `${source}:${issue.line}:${issue.column}` : source
  return `${where} ${issue.path || '/'}: ${issue.message}`
}

import {escapePointer, findReferences, TENANT_FIELDS, wholeAnswerRef} from './refs.js'
import type {Template, TemplateIssue, TemplateQuestion} from './types.js'

/** Odoo series odoops onboards onto (Odoo's supported releases, odoo.com/documentation/17.0/administration/supported_versions). */
export const KNOWN_SERIES = ['16.0', '17.0', '18.0', '19.0']
/** An XML id: `module.name` (ir.model.data complete_name). */
export const XML_ID = /^[a-z0-9_]+\.[A-Za-z0-9_]+$/
const COUNTRY = /^[A-Z]{2}$/
const CURRENCY = /^[A-Z]{3}$/
const LANG = /^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$/

type Issue = Omit<TemplateIssue, 'kind'>

export function choiceValues(q: TemplateQuestion): string[] {
  return (q.choices ?? []).map((c) => (typeof c === 'string' ? c : c.value))
}

function checkQuestion(q: TemplateQuestion, at: string, roles: string[], issues: Issue[]): void {
  const values = choiceValues(q)
  if (q.type === 'select') {
    if (values.length === 0) issues.push({path: `${at}/choices`, message: `select question "${q.id}" needs choices`})
    const dup = values.find((v, i) => values.indexOf(v) !== i)
    if (dup !== undefined) issues.push({path: `${at}/choices`, message: `choice "${dup}" appears twice`})
    if (q.default !== undefined && !values.includes(String(q.default))) issues.push({path: `${at}/default`, message: `default "${String(q.default)}" is not one of the choices (${values.join(', ')})`})
  } else if (q.choices) {
    issues.push({path: `${at}/choices`, message: `choices only go with type select, not ${q.type}`})
  }
  if (q.type === 'confirm' && q.default !== undefined && typeof q.default !== 'boolean') issues.push({path: `${at}/default`, message: 'the default of a confirm question is true or false'})
  if ((q.type === 'input' || q.type === 'select') && q.default !== undefined && typeof q.default !== 'string') issues.push({path: `${at}/default`, message: `the default of an ${q.type} question is a string`})
  if (q.type === 'password' && q.default !== undefined) issues.push({path: `${at}/default`, message: 'a password question has no default (it would be a shared secret)'})
  if (q.type === 'users') {
    if (q.default !== undefined && !Array.isArray(q.default)) issues.push({path: `${at}/default`, message: 'the default of a users question is a list'})
    if (roles.length === 0) issues.push({path: `${at}/type`, message: 'a users question needs roles: the template defines none'})
    for (const [i, role] of (q.roles ?? []).entries()) {
      if (!roles.includes(role)) issues.push({path: `${at}/roles/${i}`, message: `role "${role}" is not defined under roles (${roles.join(', ') || 'none'})`})
    }
  } else if (q.roles) {
    issues.push({path: `${at}/roles`, message: 'roles only go with type users'})
  }
  if (q.pattern !== undefined) {
    try {
      new RegExp(q.pattern, 'u')
    } catch (error) {
      issues.push({path: `${at}/pattern`, message: `not a valid regular expression: ${(error as Error).message}`})
    }
  }
  if (q.minLength !== undefined && q.maxLength !== undefined && q.minLength > q.maxLength) issues.push({path: `${at}/minLength`, message: 'minLength is above maxLength'})
}

/**
 * Checks beyond the JSON Schema: unique question ids, answers referenced exist as
 * questions, roles map to group XML ids, known series, select defaults among choices,
 * literal codes well formed. Only called on a document that passed the schema.
 */
export function semanticIssues(t: Template): Issue[] {
  const issues: Issue[] = []
  const roles = Object.keys(t.roles ?? {})
  const ids = new Map<string, TemplateQuestion>()
  for (const [i, q] of t.questions.entries()) {
    if (ids.has(q.id)) issues.push({path: `/questions/${i}/id`, message: `question id "${q.id}" is used twice`})
    ids.set(q.id, q)
    checkQuestion(q, `/questions/${i}`, roles, issues)
  }
  for (const [i, s] of t.series.entries()) {
    if (!KNOWN_SERIES.includes(s)) issues.push({path: `/series/${i}`, message: `"${s}" is not an Odoo series odoops supports (${KNOWN_SERIES.join(', ')})`})
  }
  for (const [name, role] of Object.entries(t.roles ?? {})) {
    for (const [i, group] of role.groups.entries()) {
      if (!XML_ID.test(group)) issues.push({path: `/roles/${escapePointer(name)}/groups/${i}`, message: `"${group}" is not a group XML id of the form module.name (e.g. sales_team.group_sale_manager)`})
    }
  }
  // Every reference names a question (or a tenant field); the questions themselves may only refer to earlier answers.
  const {questions, ...rest} = t
  for (const ref of findReferences(rest)) {
    if (ref.scope === 'answers' && !ids.has(ref.name)) issues.push({path: ref.path, message: `{{ answers.${ref.name} }} refers to no question (questions: ${[...ids.keys()].join(', ') || 'none'})`})
    else if (ref.scope === 'tenant' && !(TENANT_FIELDS as readonly string[]).includes(ref.name)) issues.push({path: ref.path, message: `{{ tenant.${ref.name} }} is unknown; use one of ${TENANT_FIELDS.map((f) => `tenant.${f}`).join(', ')}`})
    else if (ref.scope !== 'answers' && ref.scope !== 'tenant') issues.push({path: ref.path, message: `{{ ${ref.scope}.${ref.name} }}: references start with answers. or tenant.`})
  }
  for (const ref of findReferences(questions, '/questions')) {
    issues.push({path: ref.path, message: `questions cannot contain references ({{ ${ref.scope}.${ref.name} }})`})
  }
  if (t.users !== undefined) {
    const id = wholeAnswerRef(t.users)
    if (!id) issues.push({path: '/users', message: 'users must be exactly one reference to a users question, e.g. "{{ answers.users }}"'})
    else if (ids.has(id) && ids.get(id)!.type !== 'users') issues.push({path: '/users', message: `question "${id}" is of type ${ids.get(id)!.type}, not users`})
  } else if ([...ids.values()].some((q) => q.type === 'users')) {
    issues.push({path: '', message: 'a users question is asked but never used: add users: "{{ answers.<id> }}"'})
  }
  const literal = (v: string | undefined) => v !== undefined && findReferences(v).length === 0
  const company = t.company ?? {}
  if (literal(company.country) && !COUNTRY.test(company.country!)) issues.push({path: '/company/country', message: `"${company.country}" is not an ISO 3166 two-letter country code such as BE`})
  if (literal(company.currency) && !CURRENCY.test(company.currency!)) issues.push({path: '/company/currency', message: `"${company.currency}" is not an ISO 4217 currency code such as EUR`})
  for (const [i, lang] of (company.languages ?? []).entries()) {
    if (literal(lang) && !LANG.test(lang)) issues.push({path: `/company/languages/${i}`, message: `"${lang}" is not an Odoo language code such as fr_BE`})
  }
  const stepNames = new Set<string>()
  for (const [i, step] of (t.post_steps ?? []).entries()) {
    if (stepNames.has(step.name)) issues.push({path: `/post_steps/${i}/name`, message: `post-step name "${step.name}" is used twice`})
    stepNames.add(step.name)
    if (step.when !== undefined) {
      const id = wholeAnswerRef(step.when)
      if (!id) issues.push({path: `/post_steps/${i}/when`, message: 'when must be exactly one answer reference, e.g. "{{ answers.newsletter }}"'})
      else if (ids.get(id) && ids.get(id)!.type !== 'confirm') issues.push({path: `/post_steps/${i}/when`, message: `question "${id}" is not a confirm question`})
    }
  }
  return issues
}

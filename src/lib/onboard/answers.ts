import {readFile} from 'node:fs/promises'
import {parseDocument} from 'yaml'
import {usageError} from '../errors.js'
import {documentData} from '../yaml-document.js'
import {choiceValues} from '../templates/semantic.js'
import type {AnsweredUser, Template, TemplateQuestion} from '../templates/types.js'
import {checkEmail, checkFormat} from './validate.js'
import {REDACTED, registerSecret} from '../secrets/redact.js'

export type AnswerValue = string | boolean | AnsweredUser[]
export type Answers = Record<string, AnswerValue>

/** One problem with the answers: which question (or answers-file key), what, and the fix. */
export interface AnswerIssue {
  question: string
  message: string
}

/** Logins Odoo itself uses (res_users_data.xml): never given to a customer's user. */
const RESERVED_LOGINS = new Set(['admin', '__system__', 'default', 'public', 'portaltemplate'])

export function rolesOf(template: Template, q: TemplateQuestion): string[] {
  return q.roles ?? Object.keys(template.roles ?? {})
}

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '')
const required = (q: TemplateQuestion) => q.required ?? q.type !== 'confirm'

/** The users of a users question, checked one by one; duplicates (case-insensitive logins) reported. */
export function checkUsers(template: Template, q: TemplateQuestion, value: unknown): {users: AnsweredUser[]; issues: string[]} {
  const issues: string[] = []
  if (!Array.isArray(value)) return {users: [], issues: ['must be a list of users, each {name, login, role}']}
  const roles = rolesOf(template, q)
  const users: AnsweredUser[] = []
  const seen = new Map<string, number>()
  for (const [i, raw] of value.entries()) {
    const at = `${q.id}[${i}]`
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      issues.push(`${at} must be {name, login, role}`)
      continue
    }
    const u = raw as Record<string, unknown>
    const unknown = Object.keys(u).filter((k) => !['name', 'login', 'email', 'role'].includes(k))
    if (unknown.length) issues.push(`${at}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (a user has name, login, email, role)`)
    const name = typeof u.name === 'string' ? u.name : ''
    const login = typeof u.login === 'string' ? u.login : typeof u.email === 'string' ? u.email : ''
    if (isBlank(name)) issues.push(`${at}.name is missing`)
    if (isBlank(login)) issues.push(`${at}.login is missing (usually the user's e-mail)`)
    else if (RESERVED_LOGINS.has(login)) issues.push(`${at}.login "${login}" is one of Odoo's own users; choose another login`)
    let email: string | undefined
    if (u.email !== undefined) {
      const check = typeof u.email === 'string' ? checkEmail(u.email) : {ok: false as const, message: 'must be a string'}
      if (!check.ok) issues.push(`${at}.email: ${check.message}`)
      else email = check.value
    } else if (login.includes('@')) {
      const check = checkEmail(login)
      if (!check.ok) issues.push(`${at}.login: ${check.message}`)
      else email = login
    }
    const role = typeof u.role === 'string' ? u.role : ''
    if (!roles.includes(role)) issues.push(`${at}.role "${role}" is not a role of template ${template.name} (${roles.join(', ')})`)
    if (login) {
      const key = login.toLowerCase()
      if (seen.has(key)) issues.push(`${at}.login "${login}" duplicates ${q.id}[${seen.get(key)}]: each user needs its own login`)
      else seen.set(key, i)
    }
    users.push({name, login, role, ...(email ? {email} : {})})
  }
  if (q.minItems !== undefined && value.length < q.minItems) issues.push(`at least ${q.minItems} user${q.minItems === 1 ? '' : 's'} needed`)
  return {users, issues}
}

/** One answer, checked against its question: the normalised value or the problems. */
export function checkAnswer(template: Template, q: TemplateQuestion, value: unknown): {value?: AnswerValue; issues: string[]} {
  switch (q.type) {
    case 'confirm': {
      if (typeof value === 'boolean') return {value, issues: []}
      if (typeof value === 'string' && /^(y|yes|true|1)$/i.test(value)) return {value: true, issues: []}
      if (typeof value === 'string' && /^(n|no|false|0)$/i.test(value)) return {value: false, issues: []}
      return {issues: [`must be yes or no (true/false), got ${JSON.stringify(value)}`]}
    }
    case 'users': {
      const {users, issues} = checkUsers(template, q, value)
      return issues.length ? {issues} : {value: users, issues}
    }
    case 'select': {
      const choices = choiceValues(q)
      const text = typeof value === 'number' ? String(value) : value
      if (typeof text !== 'string' || !choices.includes(text)) return {issues: [`must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`]}
      return {value: text, issues: []}
    }
    default: {
      // input, password: numbers from a YAML file (a VAT, a postcode) are taken as typed.
      const text = typeof value === 'number' ? String(value) : value
      if (typeof text !== 'string') return {issues: [`must be text, got ${Array.isArray(value) ? 'a list' : typeof value}`]}
      const issues: string[] = []
      if (q.minLength !== undefined && [...text].length < q.minLength) issues.push(`must be at least ${q.minLength} characters`)
      if (q.maxLength !== undefined && [...text].length > q.maxLength) issues.push(`must be at most ${q.maxLength} characters (${[...text].length} given)`)
      if (q.pattern !== undefined && !new RegExp(q.pattern, 'u').test(text)) issues.push(`does not match ${q.pattern}`)
      const format = checkFormat(q.format, text)
      if (!format.ok) issues.push(format.message)
      return issues.length ? {issues} : {value: format.ok ? format.value : text, issues}
    }
  }
}

function defaultOf(q: TemplateQuestion): AnswerValue | undefined {
  if (q.default !== undefined) return q.default as AnswerValue
  if (q.type === 'confirm') return false
  if (q.type === 'users' && !required(q)) return []
  return undefined
}

/**
 * Every given answer checked at once (non-interactive): unknown keys, missing required
 * answers (defaults fill the rest), wrong types, bad e-mails, domains, duplicate users,
 * unknown roles. Optional text left out becomes '' so references render as empty.
 */
export function checkAnswers(template: Template, given: Record<string, unknown>): {answers: Answers; issues: AnswerIssue[]} {
  const issues: AnswerIssue[] = []
  const answers: Answers = {}
  const ids = new Set(template.questions.map((q) => q.id))
  for (const key of Object.keys(given)) {
    if (!ids.has(key)) issues.push({question: key, message: `is not a question of template ${template.name} (questions: ${[...ids].join(', ')})`})
  }
  for (const q of template.questions) {
    let value: unknown = given[q.id]
    if (isBlank(value) || (q.type === 'users' && Array.isArray(value) && value.length === 0 && required(q))) {
      const fallback = defaultOf(q)
      if (fallback !== undefined && !(q.type === 'users' && required(q) && (fallback as unknown[]).length === 0)) value = fallback
      else if (required(q)) {
        issues.push({question: q.id, message: `is required: ${q.message}`})
        continue
      } else {
        answers[q.id] = q.type === 'users' ? [] : ''
        continue
      }
    }
    const checked = checkAnswer(template, q, value)
    if (checked.issues.length) issues.push(...checked.issues.map((message) => ({question: q.id, message})))
    else answers[q.id] = checked.value!
  }
  return {answers, issues}
}

export function answersError(template: Template, issues: AnswerIssue[]) {
  const lines = issues.map((i) => `  ${i.question}: ${i.message}`)
  return usageError('ANSWERS_INVALID', `${issues.length} problem${issues.length === 1 ? '' : 's'} with the answers for template ${template.name} (nothing was created):\n${lines.join('\n')}`, [
    'Fix each answer in the answers file (or its flag) and run the command again.',
    `odoops template show ${template.name} lists the questions, their types and choices.`,
  ], {issues})
}

/** Asks a template's questions on a terminal (src/lib/onboard/prompts.ts adapts the Ui). */
export interface AnswerPrompter {
  ask(template: Template, q: TemplateQuestion, current: AnswerValue | undefined, validate: (value: unknown) => true | string): Promise<AnswerValue>
}

/**
 * Answers from a file and flags (`given`), the rest asked when interactive. Returns the
 * checked answers, or throws ANSWERS_INVALID (exit 2) listing every problem at once.
 */
export async function resolveAnswers(template: Template, given: Record<string, unknown>, options: {interactive: boolean; prompter?: AnswerPrompter}): Promise<Answers> {
  const merged: Record<string, unknown> = {...given}
  if (options.interactive && options.prompter) {
    for (const q of template.questions) {
      const present = merged[q.id]
      if (!isBlank(present) && checkAnswer(template, q, present).issues.length === 0) continue
      const validate = (value: unknown): true | string => {
        if (isBlank(value) || (Array.isArray(value) && value.length === 0)) return required(q) && defaultOf(q) === undefined ? `${q.id} is required` : true
        const {issues} = checkAnswer(template, q, value)
        return issues.length ? issues.join('; ') : true
      }
      merged[q.id] = await options.prompter.ask(template, q, (isBlank(present) ? defaultOf(q) : present) as AnswerValue | undefined, validate)
    }
  }
  const {answers, issues} = checkAnswers(template, merged)
  if (issues.length) throw answersError(template, issues)
  return answers
}

/** What the consultant confirms before anything is created (secrets masked). */
export function answersSummary(template: Template, answers: Answers): {question: string; answer: string}[] {
  return template.questions.map((q) => {
    const v = answers[q.id]
    const answer = q.type === 'password' ? (v ? '********' : '') : q.type === 'users' ? (v as AnsweredUser[]).map((u) => `${u.name} <${u.login}> ${u.role}`).join('\n') || '(none)' : `${v as string | boolean | undefined}`
    return {question: q.message, answer}
  })
}

/** `--answer key=value` pairs (the value may contain '=' and anything else). */
export function parseAnswerFlags(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [i, pair] of pairs.entries()) {
    const at = pair.indexOf('=')
    // Not quoted back: without its "question=" the text may well be a password.
    if (at <= 0) throw usageError('ANSWER_FLAG_INVALID', `--answer number ${i + 1} is not question=value.`, ['e.g. --answer company_name="Acme Trading"'])
    out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}

/** The ids of a template's password questions: their answers are secrets wherever they come from. */
export function passwordQuestionIds(template: Template): Set<string> {
  return new Set(template.questions.filter((q) => q.type === 'password').map((q) => q.id))
}

/**
 * Register the answers of password questions as secrets (a file, flags or prompts), so no
 * output, error or audit event shows them; numbers from a YAML file count as typed.
 */
export function registerPasswordAnswers(template: Template, answers: Record<string, unknown>): void {
  for (const id of passwordQuestionIds(template)) {
    const value = answers[id]
    if (typeof value === 'string' || typeof value === 'number') registerSecret(String(value))
  }
}

/** One `--answer` value on the command line: where it is, and its question and value. */
export interface AnswerArg {
  index: number
  /** `--answer=` when the flag and the value are one argument, else ''. */
  prefix: string
  question: string
  value: string
}

/**
 * The `--answer` values of a raw command line, as oclif reads them: `--answer q=v`,
 * `--answer=q=v`, and the further values a repeatable flag takes up to the next flag
 * (`--answer a=1 b=2`). A value without '=' counts as a question with no value.
 */
export function answerArgs(argv: readonly string[]): AnswerArg[] {
  const found: AnswerArg[] = []
  let taking = false
  const add = (index: number, prefix: string, text: string) => {
    const at = text.indexOf('=')
    found.push({index, prefix, question: at > 0 ? text.slice(0, at) : '', value: at > 0 ? text.slice(at + 1) : text})
  }
  for (const [index, arg] of argv.entries()) {
    if (arg === '--') break
    if (arg === '--answer') taking = true
    else if (arg.startsWith('--answer=')) {
      add(index, '--answer=', arg.slice('--answer='.length))
      taking = true
    } else if (arg.startsWith('-') && arg !== '-') taking = false
    else if (taking) add(index, '', arg)
  }
  return found
}

/**
 * A command line with the values of some `--answer`s replaced by ******** (the question
 * is kept: `--answer smtp_password=********`). `hide` says which questions; it is asked
 * about '' for a value given without `question=`.
 */
export function redactAnswerArgs(argv: readonly string[], hide: (question: string) => boolean): string[] {
  const out = [...argv]
  for (const a of answerArgs(argv)) {
    if (!hide(a.question)) continue
    out[a.index] = `${a.prefix}${a.question ? `${a.question}=` : ''}${REDACTED}`
  }
  return out
}

export async function readAnswersFile(file: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw usageError('ANSWERS_FILE_UNREADABLE', `Cannot read ${file}: ${(error as Error).message}`, ['Check the path of --answers.'])
  }
  // YAML is a superset of JSON: one parser for both.
  const doc = parseDocument(text, {prettyErrors: true})
  if (doc.errors.length) throw usageError('ANSWERS_FILE_INVALID', `${file} is not valid YAML/JSON: ${doc.errors[0].message}`, ['Fix the file (a mapping of question id to answer).'])
  const built = documentData(doc)
  if ('problem' in built) throw usageError('ANSWERS_FILE_INVALID', `${file} is not valid YAML/JSON: ${built.problem}.`, ['Fix the file (a mapping of question id to answer).'])
  const data = built.data
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw usageError('ANSWERS_FILE_INVALID', `${file} must be a mapping of question id to answer.`, ['e.g. company_name: Acme Trading'])
  return data as Record<string, unknown>
}

/** What `onboard` was given: the answers file, then each `--answer` (which wins). */
export async function givenAnswers(file: string | undefined, pairs: string[]): Promise<Record<string, unknown>> {
  return {...(file ? await readAnswersFile(file) : {}), ...parseAnswerFlags(pairs)}
}

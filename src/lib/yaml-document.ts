import {existsSync, readFileSync, statSync} from 'node:fs'
import {resolve} from 'node:path'
import type {ErrorObject, ValidateFunction} from 'ajv'
import {LineCounter, parseDocument, type Document} from 'yaml'
import {usageError, type OdoopsError} from './errors.js'
import {locate} from './templates/locate.js'

/**
 * YAML files people write by hand (plans, schedules): parsed with line numbers, checked
 * against a JSON Schema (every error, not the first) and then against rules across fields,
 * each problem placed at its line and column.
 */

/** A problem in a file: its JSON path and, when it can be placed, line and column. */
export interface DocumentIssue {
  kind: 'syntax' | 'schema' | 'rule'
  path: string
  message: string
  line?: number
  column?: number
}

/** One ajv error said for people; `key`: place it on the property name, not its value. */
export interface SchemaIssue {
  path: string
  message: string
  key: boolean
}

export interface CheckOptions<T> {
  validate: ValidateFunction
  /** Says an ajv error for people, or drops it (undefined) when another error says it better. */
  describe: (error: ErrorObject) => SchemaIssue | undefined
  /** Rules across fields: path and message of each problem. */
  rules: (data: T) => {path: string; message: string}[]
  /** Run the rules on an object even when the schema failed (they must then tolerate bad shapes). */
  rulesDespiteSchemaErrors?: boolean
}

/** A YAML syntax problem, or data yaml cannot build: an issue of every file kind. */
export interface SyntaxIssue {
  kind: 'syntax'
  path: string
  message: string
  line?: number
  column?: number
}

/** Line and column of a JSON path in the file (`key`: of its property name); {} when it cannot be placed. */
export type Placer = (path: string, key?: boolean) => {line?: number; column?: number}

/**
 * A file people write by hand, parsed with line numbers: its data and a way to place a JSON
 * path in it, or its syntax issues (yaml's errors; with `warnings`, yaml's warnings too).
 */
export function parseYamlWithLines(text: string, options: {warnings?: boolean} = {}): {syntax: SyntaxIssue[]} | {data: unknown; place: Placer} {
  const counter = new LineCounter()
  const doc = parseDocument(text, {lineCounter: counter, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    return {
      syntax: [...doc.errors, ...(options.warnings ? doc.warnings : [])].map((e) => {
        const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0])
        return {kind: 'syntax', path: '', line: pos.line, column: pos.col, message: e.message.split('\n')[0]}
      }),
    }
  }
  const built = documentData(doc)
  if ('problem' in built) return {syntax: [{kind: 'syntax', path: '', message: built.problem}]}
  return {data: built.data, place: (path, key = false) => locate(doc, counter, path, {key}) ?? {}}
}

export function checkYamlDocument<T>(text: string, options: CheckOptions<T>): {value?: T; issues: DocumentIssue[]} {
  const parsed = parseYamlWithLines(text)
  if ('syntax' in parsed) return {issues: parsed.syntax}
  const {data, place} = parsed
  const issues: DocumentIssue[] = []
  const valid = options.validate(data)
  if (!valid) {
    const seen = new Set<string>()
    for (const error of options.validate.errors ?? []) {
      const found = options.describe(error)
      if (!found || seen.has(`${found.path}\0${found.message}`)) continue
      seen.add(`${found.path}\0${found.message}`)
      issues.push({kind: 'schema', path: found.path, message: found.message, ...place(found.path, found.key)})
    }
  }
  const isObject = typeof data === 'object' && data !== null && !Array.isArray(data)
  if (valid || (options.rulesDespiteSchemaErrors && isObject)) {
    for (const issue of options.rules(data as T)) issues.push({kind: 'rule', ...issue, ...place(issue.path)})
  }
  return issues.length > 0 ? {issues} : {value: data as T, issues}
}

/**
 * The data of a parsed document (`doc.toJS()`), or why it cannot be built. yaml throws there,
 * not while parsing, for an alias naming no anchor and for a "billion laughs" document: anchors
 * whose aliases would expand the data exponentially are refused past `maxAliasCount` (yaml's
 * default, 100) as a resource exhaustion attack. Every reader of a file people give (plans,
 * schedules, templates, answers, credentials) turns the problem into its own *_INVALID error,
 * naming the file, instead of an unexpected crash.
 */
export function documentData(doc: Pick<Document, 'toJS'>): {data: unknown} | {problem: string} {
  try {
    return {data: doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})}
  } catch (error) {
    const message = (error as Error).message
    if (/alias count/i.test(message)) {
      return {problem: `its aliases (*name) would expand the data exponentially, past the limit of ${MAX_ALIAS_COUNT} (a "billion laughs" document); write the values out or use fewer aliases`}
    }
    return {problem: message.split('\n')[0]}
  }
}

/** yaml's own default, said here so the message can quote it. */
export const MAX_ALIAS_COUNT = 100

/** The wording shared by every file kind for ajv's structural keywords; undefined for the others. */
export function commonSchemaIssue(error: ErrorObject): SchemaIssue | undefined {
  const params = error.params as Record<string, unknown>
  const path = error.instancePath
  switch (error.keyword) {
    case 'additionalProperties':
      return {path: `${path}/${String(params.additionalProperty)}`, message: `unknown property "${String(params.additionalProperty)}"`, key: true}
    case 'required':
      return {path, message: `missing property "${String(params.missingProperty)}"`, key: false}
    case 'enum':
      return {path, message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`, key: false}
    case 'const':
      return {path, message: `must be ${JSON.stringify(params.allowedValue)}`, key: false}
    default:
      return undefined
  }
}

/** Reads a file the user named; `notFound` is the error when it is not a readable file. */
export function readUserFile(path: string, notFound: () => OdoopsError): {file: string; text: string} {
  const file = resolve(path)
  if (!existsSync(file) || !statSync(file).isFile()) throw notFound()
  return {file, text: readFileSync(file, 'utf8')}
}

/** `file:line:column path: message`, the form editors and CI annotate. */
export function formatDocumentIssue(source: string, issue: DocumentIssue): string {
  const where = issue.line ? `${source}:${issue.line}:${issue.column}` : source
  return `${where} ${issue.path || '/'}: ${issue.message}`
}

/** The error for a file with issues: exit 2, every issue in the message and in data. */
export function invalidDocument(code: string, what: string, file: string, issues: DocumentIssue[], fix: string): OdoopsError {
  return usageError(
    code,
    `${file} is not a valid ${what} (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => '  ' + formatDocumentIssue(file, i)).join('\n')}`,
    // The fix names the command to run again: with this file in it, quoted for a shell when needed.
    [fix.replaceAll('<file>', /^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replaceAll("'", `'\\''`)}'`)],
    {issues},
  )
}

import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import {usageError} from '../errors.js'
import {checkYamlDocument, commonSchemaIssue, formatDocumentIssue, invalidDocument, readUserFile, type DocumentIssue, type SchemaIssue} from '../yaml-document.js'
import {cronProblem, timeZoneProblem} from './cron.js'
import {SCHEDULE_SCHEMA} from './schema.js'
import type {ScheduleFile} from './types.js'

/** A problem in a schedule file: its JSON path and, when it can be placed, line and column. */
export type ScheduleIssue = DocumentIssue

export interface ParsedSchedule {
  schedule?: ScheduleFile
  issues: ScheduleIssue[]
}

let validator: ValidateFunction | undefined
function schemaValidator(): ValidateFunction {
  validator ??= new Ajv({allErrors: true, strict: false, discriminator: true}).compile(SCHEDULE_SCHEMA)
  return validator
}

function schemaIssue(error: ErrorObject): SchemaIssue | undefined {
  const params = error.params as Record<string, unknown>
  const path = error.instancePath
  // if/then and anyOf report a summary besides the real error; the branches of `select` are summarized once.
  // `discriminator` repeats the enum on `type`; propertyNames repeats its inner pattern error.
  if (error.keyword === 'if' || error.keyword === 'oneOf' || error.keyword === 'discriminator') return undefined
  if (error.schemaPath.includes('/select/anyOf/') || error.schemaPath.includes('/propertyNames/')) return undefined
  const common = commonSchemaIssue(error)
  if (common) return common
  switch (error.keyword) {
    case 'anyOf':
      return {path, message: 'must be "all" or an object with plan, host, tag and/or tenants', key: false}
    case 'propertyNames':
      return {path: `${path}/${String(params.propertyName)}`, message: 'a channel name is lower case letters, digits and dashes, starting with a letter', key: true}
    case 'pattern':
      if (/\/(id|host|target)$/.test(path) || /\/(failures|summaries|tenants)\/\d+$/.test(path)) return {path, message: 'must be lower case letters, digits and dashes, starting with a letter', key: false}
      if (/Env$/.test(path)) return {path, message: 'must be an environment variable name', key: false}
      if (/\/period$/.test(path)) return {path, message: 'must be previous, current or YYYY-MM', key: false}
      if (/\/options\/release$/.test(path)) return {path, message: 'must be a release id, rel-YYYYMMDDTHHMMSS-xxxx (odoops release list)', key: false}
      if (/\/url$/.test(path)) return {path, message: 'must be an http:// or https:// URL', key: false}
      if (/\/to\/\d+$/.test(path)) return {path, message: 'must be an e-mail address', key: false}
      return {path, message: error.message ?? 'does not match its pattern', key: false}
    default:
      return {path, message: error.message ?? error.keyword, key: false}
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Checks across fields that a schema cannot express (run on malformed data too: every error at once). */
export function scheduleRuleIssues(schedule: ScheduleFile): {path: string; message: string}[] {
  const issues: {path: string; message: string}[] = []
  if (typeof schedule.timezone === 'string') {
    const problem = timeZoneProblem(schedule.timezone)
    if (problem) issues.push({path: '/timezone', message: problem})
  }
  const channels = isObject(schedule.channels) ? schedule.channels : {}
  for (const [name, channel] of Object.entries(channels)) {
    const base = `/channels/${name}`
    if (!isObject(channel)) continue
    if (channel.type === 'webhook') {
      const given = [channel.url, channel.urlEnv, channel.urlSecret].filter((v) => v !== undefined).length
      if (given !== 1) issues.push({path: base, message: 'a webhook needs exactly one of url, urlEnv, urlSecret'})
      if (channel.tokenEnv && channel.tokenSecret) issues.push({path: base, message: 'give tokenEnv or tokenSecret, not both'})
    } else if (channel.type === 'email') {
      if (channel.passwordEnv && channel.passwordSecret) issues.push({path: base, message: 'give passwordEnv or passwordSecret, not both'})
      if ((channel.passwordEnv || channel.passwordSecret) && !channel.user) issues.push({path: `${base}/user`, message: 'a password goes with a user'})
    }
  }
  const routes = (routing: ScheduleFile['notify'], at: string) => {
    for (const list of ['failures', 'summaries'] as const) {
      const names = isObject(routing) && Array.isArray(routing[list]) ? routing[list] : []
      for (const [i, name] of names.entries()) {
        if (!(name in channels)) issues.push({path: `${at}/${list}/${i}`, message: `no channel "${name}" under channels`})
      }
    }
  }
  routes(schedule.notify, '/notify')
  const seen = new Map<string, number>()
  for (const [i, job] of (Array.isArray(schedule.jobs) ? schedule.jobs : []).entries()) {
    const at = `/jobs/${i}`
    if (!isObject(job)) continue
    if (typeof job.id !== 'string') {
      // reported by the schema
    } else if (seen.has(job.id)) issues.push({path: `${at}/id`, message: `job id "${job.id}" is used by /jobs/${seen.get(job.id)} already`})
    else seen.set(job.id, i)
    const cron = typeof job.cron === 'string' ? cronProblem(job.cron) : undefined
    if (cron) issues.push({path: `${at}/cron`, message: `${JSON.stringify(job.cron)}: ${cron}`})
    if (typeof job.timezone === 'string') {
      const problem = timeZoneProblem(job.timezone)
      if (problem) issues.push({path: `${at}/timezone`, message: problem})
    }
    if (job.kind === 'invoice-generate' && job.select !== undefined && job.select !== 'all') {
      issues.push({path: `${at}/select`, message: 'invoice-generate drafts one invoice per customer for the whole fleet: leave select out (or "all")'})
    }
    if (job.kind === 'release' && job.select !== undefined && job.select !== 'all') {
      issues.push({path: `${at}/select`, message: 'a release job updates the hosts its release planned (odoops release show <id>): leave select out (or "all")'})
    }
    routes(job.notify, `${at}/notify`)
  }
  return issues
}

/** Parse and check a schedule: YAML syntax, the JSON Schema (every error), then the rules across fields. */
export function parseSchedule(text: string): ParsedSchedule {
  const {value, issues} = checkYamlDocument<ScheduleFile>(text, {validate: schemaValidator(), describe: schemaIssue, rules: scheduleRuleIssues, rulesDespiteSchemaErrors: true})
  return value ? {schedule: value, issues} : {issues}
}

export interface ScheduleFileRead extends ParsedSchedule {
  file: string
  text: string
}

export function readScheduleFile(path: string): ScheduleFileRead {
  const {file, text} = readUserFile(path, () => usageError('SCHEDULE_FILE_NOT_FOUND', `No schedule file ${path}.`, ['Give the path of a schedule YAML file; docs/unattended.md has an example.']))
  return {file, text, ...parseSchedule(text)}
}

export const formatScheduleIssue = formatDocumentIssue

export function invalidSchedule(file: string, issues: ScheduleIssue[]) {
  return invalidDocument('SCHEDULE_INVALID', 'schedule', file, issues, 'Fix each issue above, then run odoops schedule validate <file> again. The format is in docs/unattended.md.')
}

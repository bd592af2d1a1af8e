import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, join, resolve} from 'node:path'
import {OdoopsError, usageError} from '../errors.js'
import {templateSources, withExtraQuestions} from './contributions.js'
import {CORE_TEMPLATE_DIR, formatIssue, parseTemplate} from './load.js'
import type {Template, TemplateIssue} from './types.js'

/** A template found on disk: valid (template set) or not (issues). */
export interface TemplateEntry {
  name: string
  file: string
  /** 'core', 'file', an extra directory or a pack's source. */
  source: string
  template?: Template
  issues: TemplateIssue[]
}

const TEMPLATE_FILE = /^([a-z][a-z0-9-]{1,40})\.ya?ml$/

/** Template directories: the package's own, then extra ones, then plugin packs' (named `<namespace>/<name>`). */
export function templateDirs(extra: string[] = []): {dir: string; source: string; namespace?: string}[] {
  return [{dir: CORE_TEMPLATE_DIR, source: 'core'}, ...extra.map((dir) => ({dir, source: dir})), ...templateSources()]
}

export function readTemplateFile(file: string, source = 'file'): TemplateEntry {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw usageError('TEMPLATE_UNREADABLE', `Cannot read ${file}: ${(error as Error).message}`, ['Check the path.'])
  }
  const parsed = parseTemplate(text)
  const name = parsed.template?.name ?? basename(file).replace(/\.ya?ml$/, '')
  return {name, file, source, ...parsed}
}

/** Every template in the directories (later directories cannot shadow core names). */
export function listTemplates(extraDirs: string[] = []): TemplateEntry[] {
  const found = new Map<string, TemplateEntry>()
  for (const {dir, source, namespace} of templateDirs(extraDirs)) {
    if (!existsSync(dir)) continue
    for (const file of readdirSync(dir).sort()) {
      if (!TEMPLATE_FILE.test(file)) continue
      const entry = readTemplateFile(join(dir, file), source)
      if (namespace) {
        // A pack's template is `<namespace>/<name>` everywhere, the onboarding record included.
        entry.name = `${namespace}/${entry.name}`
        if (entry.template) entry.template = {...entry.template, name: entry.name}
      }
      if (entry.template) entry.template = withExtraQuestions(entry.template)
      if (!found.has(entry.name)) found.set(entry.name, entry)
    }
  }
  return [...found.values()]
}

/** A path (contains a slash or ends in .yaml/.yml and exists) or a template name. */
export function findTemplate(nameOrFile: string, extraDirs: string[] = []): TemplateEntry {
  // `wholesale/wholesale` is a pack's template name unless such a file exists.
  const packName = /^[a-z][a-z0-9-]*\/[a-z][a-z0-9-]{1,40}$/.test(nameOrFile) && !existsSync(nameOrFile)
  const looksLikeFile = !packName && (/[/\\]/.test(nameOrFile) || /\.ya?ml$/.test(nameOrFile))
  if (looksLikeFile) {
    const file = resolve(nameOrFile)
    if (!existsSync(file) || !statSync(file).isFile()) throw usageError('TEMPLATE_NOT_FOUND', `No template file ${nameOrFile}.`, ['Check the path, or name a template: odoops template list'])
    return readTemplateFile(file)
  }
  const all = listTemplates(extraDirs)
  const entry = all.find((t) => t.name === nameOrFile)
  if (!entry) {
    throw usageError('TEMPLATE_NOT_FOUND', `No template named "${nameOrFile}".`, [`Templates: ${all.map((t) => t.name).join(', ') || 'none'} (odoops template list).`, 'Or give the path of a template file.'])
  }
  return entry
}

/** A valid template, or exit 2 listing every issue with its line. */
export function loadTemplate(nameOrFile: string, extraDirs: string[] = []): {template: Template; file: string} {
  const entry = findTemplate(nameOrFile, extraDirs)
  if (!entry.template) throw invalidTemplate(entry)
  return {template: entry.template, file: entry.file}
}

export function invalidTemplate(entry: TemplateEntry): OdoopsError {
  const lines = entry.issues.map((i) => `  ${formatIssue(entry.file, i)}`)
  return usageError('TEMPLATE_INVALID', `Template ${entry.name} has ${entry.issues.length} error${entry.issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, [
    'Fix each error at the line shown; the schema is templates/template.schema.json (docs/templates.md).',
    `Check again with: odoops template validate ${entry.file}`,
  ], {issues: entry.issues})
}

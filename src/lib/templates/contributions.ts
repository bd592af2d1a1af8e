import type {Template, TemplateQuestion} from './types.js'

/**
 * Templates and questions contributed by plugin packs (src/lib/plugins registers them when a
 * command needs them). The catalog reads these: pack templates are listed as
 * `<namespace>/<name>`, and extra questions are appended to the templates they name.
 */
export interface TemplateSource {
  dir: string
  /** The pack's namespace: its templates are named `<namespace>/<name>`. */
  namespace: string
  /** Shown as the entry's source (the pack's package name). */
  source: string
}

export interface QuestionExtension {
  /** The pack's package name. */
  owner: string
  /** Template names (namespaced for pack templates) or `*`. */
  templates: readonly string[]
  questions: TemplateQuestion[]
}

const sources: TemplateSource[] = []
const extensions: QuestionExtension[] = []

export function registerTemplateSource(source: TemplateSource): void {
  if (!sources.some((s) => s.dir === source.dir && s.namespace === source.namespace)) sources.push(source)
}

export function registerQuestionExtension(extension: QuestionExtension): void {
  extensions.push(extension)
}

export function templateSources(): readonly TemplateSource[] {
  return sources
}

/** The template with the extra questions that apply to it (a question id already there is kept as it is). */
export function withExtraQuestions(template: Template): Template {
  const extra = extensions.filter((e) => e.templates.includes('*') || e.templates.includes(template.name)).flatMap((e) => e.questions)
  const ids = new Set(template.questions.map((q) => q.id))
  const added = extra.filter((q) => !ids.has(q.id) && ids.add(q.id))
  return added.length ? {...template, questions: [...template.questions, ...added]} : template
}

/** Forget every contribution (tests). */
export function clearTemplateContributions(): void {
  sources.length = 0
  extensions.length = 0
}

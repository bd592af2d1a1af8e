/**
 * An onboarding template (templates/*.yaml, schema in templates/template.schema.json):
 * a kind of customer — what to ask, what to install and set, which users and roles to
 * create, and declared post-steps. See docs/templates.md.
 */
export type QuestionType = 'input' | 'select' | 'confirm' | 'password' | 'users'
export type QuestionFormat = 'text' | 'email' | 'domain' | 'slug' | 'country' | 'currency' | 'lang' | 'phone' | 'url'

export interface TemplateChoice {
  value: string
  name?: string
}

export interface TemplateQuestion {
  id: string
  type: QuestionType
  message: string
  help?: string
  /** Default true for every type but confirm. */
  required?: boolean
  default?: string | boolean | unknown[]
  format?: QuestionFormat
  pattern?: string
  minLength?: number
  maxLength?: number
  choices?: (string | TemplateChoice)[]
  /** users questions: the roles users may take (default: every role of the template). */
  roles?: string[]
  minItems?: number
}

export interface TemplateRole {
  title: string
  description?: string
  /** Odoo groups by XML id, `module.name`, e.g. sales_team.group_sale_manager. */
  groups: string[]
}

export interface TemplateSetting {
  key: string
  value: string | number | boolean
  description?: string
}

export interface TemplatePostStep {
  name: string
  title?: string
  model: string
  method: string
  args?: unknown[]
  kwargs?: Record<string, unknown>
  /** Skip when search_count(model, domain) > 0. */
  unless?: {model: string; domain: unknown[]}
  /** An answer reference; the step runs only when it resolves to true. */
  when?: string
}

/** A release's smoke check on a tenant: a model readable, a report rendered, a model's row count kept. */
export type TemplateCheck = {read: string} | {report: string} | {count: string}

export interface TemplateCompany {
  name?: string
  country?: string
  currency?: string
  email?: string
  phone?: string
  website?: string
  vat?: string
  street?: string
  city?: string
  zip?: string
  languages?: string[]
}

/** The partner's brand (a template's `branding:`, the `branding.*` settings, `tenant brand`'s flags; src/lib/branding/brand.ts). */
export interface TemplateBranding {
  name?: string
  url?: string
  supportUrl?: string
  documentationUrl?: string
  /** `#rrggbb` (or `#rgb`): the link colour of e-mail footers, the company's report colour. */
  primaryColor?: string
  /** Image files (PNG, JPEG, SVG, GIF, ICO); a relative path is resolved from where it was written. */
  logo?: string
  favicon?: string
}

export interface Template {
  name: string
  title: string
  description?: string
  version: number
  series: string[]
  hosting?: {mode?: 'shared' | 'dedicated'; size?: 'small' | 'medium' | 'large'}
  plan?: string
  customer?: {name?: string; slug?: string; domain?: string}
  /** Addon repositories (addons repo add) the tenant runs, in addons_path order; `modules` may name their modules. */
  addons?: string[]
  modules: string[]
  company?: TemplateCompany
  /** The partner's brand on tenants made from it (docs/white-label.md); files relative to the template file. */
  branding?: TemplateBranding
  settings?: TemplateSetting[]
  roles?: Record<string, TemplateRole>
  /** Reference to the users answer, e.g. "{{ answers.users }}". */
  users?: string
  questions: TemplateQuestion[]
  post_steps?: TemplatePostStep[]
  /** Smoke checks a release runs after a tenant's update (src/lib/release/smoke.ts). */
  checks?: TemplateCheck[]
}

/** One problem in a template: where (JSON path and line:column in the file) and what. */
export interface TemplateIssue {
  /** JSON path from the root, `/questions/2/default` (JSON Pointer, as ajv's instancePath). */
  path: string
  line?: number
  column?: number
  message: string
  /** `schema` (JSON Schema) or `semantic` (checks beyond it) or `syntax` (YAML). */
  kind: 'syntax' | 'schema' | 'semantic'
}

/** A user as answered: login (usually the e-mail), name, role. */
export interface AnsweredUser {
  name: string
  login: string
  email?: string
  role: string
}

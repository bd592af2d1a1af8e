/**
 * The extension API a pack (an oclif plugin with an `odoops` section in its package.json)
 * programs against. Everything here is exported from the package root (`import type {…}
 * from 'odoops'`) and versioned with PACK_API_VERSION (docs/plugins.md, "Stability").
 *
 * Contributions are plain data and functions in modules the pack names in its package.json:
 * odoops imports them only when a command needs them, validates them, and namespaces them
 * with the pack's namespace, so a broken pack is reported by name and never takes the rest
 * of the CLI down.
 */
import type {XmlRpcValue} from '../odoo/xmlrpc.js'
import type {Aggregation, MeterDay, MetricContext} from '../meter/types.js'
import type {TemplateQuestion} from '../templates/types.js'

/**
 * The version of this API. A pack declares the range it was written for
 * (`"odoops": {"apiVersion": "^1.0.0"}`); a pack whose range excludes it is not loaded and
 * `odoops plugins doctor` says why. Minor versions only add; a major version may remove.
 */
export const PACK_API_VERSION = '1.0.0'

/** The `odoops` section of a pack's package.json (paths are relative to the package root). */
export interface PackManifest {
  /** Semver range of PACK_API_VERSION the pack supports, e.g. `^1.0.0`. */
  apiVersion: string
  /** Short lowercase name its contributions live under (default: the package name without scope and `odoops-pack-`). */
  namespace?: string
  /** A directory of template YAML files (validated with templates/template.schema.json). */
  templates?: string
  /** A module exporting `metrics: PackMetric[]`. */
  metrics?: string
  /** A module exporting `steps: PackStep[]` and optionally `questions: PackQuestions[]`. */
  steps?: string
  /** A module exporting `checks: PackCheck[]` (fleet-status checks). */
  checks?: string
  /** Folders of Odoo modules it ships, as addon repositories: `{"<namespace>": "addons"}`, or one folder named after the namespace (docs/addons.md, "Packs"). */
  addons?: string | Record<string, string>
  /** One line per contribution, shown by the install confirmation (plugins:preinstall). */
  summary?: string
}

/**
 * A metric measured by `meter collect` in each tenant's database, read-only, as the
 * tenant's own role through the host's SSH tunnel. Its name is `<namespace>.<name>`;
 * plans price it by that name (docs/billing.md).
 */
export interface PackMetric {
  name: string
  /** What one unit is: `pickings`, `pricelists`, `orders`… */
  unit: string
  /** How a plan turns a period's daily values into one quantity by default. */
  aggregation: Aggregation
  /** Bump when the query changes what it counts (every snapshot records it). */
  queryVersion: number
  description: string
  /** Tables the collector reads: checked in one round trip; a missing table (module not installed) is reported by tableExists. */
  tables?: readonly string[]
  /** Returns a count >= 0. Throwing fails this metric for this tenant only. */
  collect(ctx: PackMetricContext): Promise<number>
}

/** What a pack metric's collector gets: a pg client on the tenant's database (read-only), the tenant, the day. */
export type PackMetricContext = MetricContext
export type {Aggregation, MeterDay}

/** The core onboarding steps a pack step can be placed before or after (docs/onboarding.md, "The plan"). */
export const CORE_ONBOARD_STEPS = ['place', 'create-tenant', 'company', 'settings', 'users', 'plan', 'backup', 'health'] as const
export type CoreOnboardStep = (typeof CORE_ONBOARD_STEPS)[number]

/** An XML-RPC session on the tenant's Odoo as its administrator. */
export interface PackOdoo {
  readonly db: string
  readonly uid: number
  /** `execute_kw(model, method, args, kwargs)`; Odoo faults reject with an error naming the fault. */
  call<T = XmlRpcValue>(model: string, method: string, args?: readonly unknown[], kwargs?: Record<string, unknown>): Promise<T>
}

export interface PackStepContext {
  /** The tenant's Odoo as admin, reached through the host's SSH connection. */
  odoo: PackOdoo
  /** Every answer of the onboarding (the template's questions and the pack's extra ones). */
  answers: Readonly<Record<string, unknown>>
  /** The template being applied (namespaced name, e.g. `wholesale/wholesale`). */
  template: {name: string; version: number; modules: readonly string[]}
  tenant: {slug: string; domain: string; url: string; database: string}
  signal: AbortSignal
}

/** What a step reports: whether it changed anything, and a short detail line. */
export type PackStepResult = {change: 'changed' | 'unchanged'; detail?: string}

/**
 * An onboarding step, run as a recorded step `<namespace>/<name>` of the onboarding plan.
 * It may run again after a kill (`onboard --resume`): search before you create.
 */
export interface PackStep {
  name: string
  title: string
  /** Place it before this core step… */
  before?: CoreOnboardStep
  /** …or after it (default: after `users`). */
  after?: CoreOnboardStep
  /**
   * Templates it runs for: names such as `wholesale/wholesale` or a core `distribution`;
   * `*` for every template. Default: the pack's own templates.
   */
  templates?: readonly string[]
  run(ctx: PackStepContext): Promise<PackStepResult>
}

/** Extra questions added to existing templates; ids must start with `<namespace>_`. */
export interface PackQuestions {
  /** Template names (core or namespaced), or `*`. */
  templates: readonly string[]
  questions: TemplateQuestion[]
}

/** What a fleet check gets: the tenant's Odoo as admin, the tenant, the template it was onboarded with, a signal. */
export interface PackCheckContext {
  /** The tenant's Odoo as admin, reached through the host's SSH connection (the same session a step gets). Read; do not change anything. */
  odoo: PackOdoo
  tenant: {slug: string; domain: string; database: string; series: string}
  /** The template its onboarding applied (namespaced name, version); null for a tenant created without one (`tenant create`). */
  template: {name: string; version: number} | null
  /** Aborted when the check's time is up (`timeoutMs`): its result is no longer awaited, stop calling Odoo. */
  signal: AbortSignal
}

/** What a check reports: `ok`, and one line saying what it saw (shown in `fleet status` and its notifications). */
export type PackCheckOutcome = {ok: boolean; detail: string}

/**
 * A fleet-status check of one tenant, run with its Odoo as admin by `fleet status` and by the
 * `status` jobs of the schedule, as `<namespace>/<name>` (docs/plugins.md, "Fleet checks").
 * It runs on active tenants whose service answers, a few at a time per host, read-only.
 * `ok: false` lowers the tenant's score with the check's name and detail as the reason; a check
 * that throws, times out or returns no outcome is reported as a failure of the pack, never of
 * the command.
 */
export interface PackCheck {
  /** Lowercase letters, digits and dashes; shown as `<namespace>/<name>`. */
  name: string
  description: string
  /**
   * Templates whose tenants it checks: names such as `wholesale/wholesale` or a core
   * `distribution`, `<namespace>/*`, or `*` for every tenant (those created without a template
   * too). Default: the pack's own templates, as for steps.
   */
  templates?: readonly string[]
  /** What `ok: false` costs: `warning` (default: 5 points) or `breach` (10 points, `fleet status` exits 1). */
  severity?: 'warning' | 'breach'
  /** How long it may take, in ms (default 20000, at most 120000); past it the check counts as a failure of the pack. */
  timeoutMs?: number
  check(ctx: PackCheckContext): Promise<PackCheckOutcome>
}

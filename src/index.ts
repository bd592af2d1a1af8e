/**
 * odoops' public API, for plugin packs and scripts: `import {OdoopsCommand} from 'odoops'`.
 * Versioned with semver; the pack API's own version is PACK_API_VERSION and its stability
 * promise is in docs/plugins.md. Commands extend OdoopsCommand (--json, errors and exit codes
 * behave as odoops' own); contributions are typed with the Pack* interfaces and declared in
 * the pack's package.json `odoops` section. Keep this module cheap to import: heavy parts
 * load when used.
 */
export {OdoopsCommand} from './cli/base-command.js'
/** oclif's flag and argument builders, so a pack's commands need no @oclif/core of their own. */
export {Args, Flags} from '@oclif/core'
export type {JsonError} from './cli/base-command.js'
export {OdoopsError, ExitCode, usageError} from './lib/errors.js'
export {Ui, confirmName} from './lib/output/ui.js'
export type {Progress} from './lib/output/progress.js'
export {redact, registerSecret} from './lib/secrets/redact.js'
export type * from './lib/state/records.js'
export type * from './lib/state/store.js'

// Plugin packs (docs/plugins.md).
export {PACK_API_VERSION, CORE_ONBOARD_STEPS} from './lib/plugins/api.js'
export type {
  Aggregation,
  CoreOnboardStep,
  MeterDay,
  PackCheck,
  PackCheckContext,
  PackCheckOutcome,
  PackManifest,
  PackMetric,
  PackMetricContext,
  PackOdoo,
  PackQuestions,
  PackStep,
  PackStepContext,
  PackStepResult,
} from './lib/plugins/api.js'
export {withTenantOdoo} from './lib/plugins/tenant-odoo.js'
export type {Settings} from './lib/config/settings.js'

/**
 * SSH as the user configured it (timeouts, sessions; passphrase prompts on a terminal).
 * @deprecated Declare `static override usesSsh = true` on the command instead: odoops calls this before run().
 */
export async function configureSsh(settings: import('./lib/config/settings.js').Settings, ui: import('./lib/output/ui.js').Ui): Promise<void> {
  const {configureSshForCommand} = await import('./cli/ssh-setup.js')
  configureSshForCommand(settings, ui)
}
export type {SecretBox} from './lib/secrets/secret-box.js'
export type {Template, TemplateQuestion, TemplateIssue} from './lib/templates/types.js'

/** Checks a template file with the core schema and semantic rules (what odoops does when it loads a pack). */
export async function checkTemplateFile(file: string): Promise<{name: string; valid: boolean; problems: string[]}> {
  const {readTemplateFile} = await import('./lib/templates/catalog.js')
  const {formatIssue} = await import('./lib/templates/load.js')
  const entry = readTemplateFile(file)
  return {name: entry.name, valid: Boolean(entry.template), problems: entry.issues.map((i) => formatIssue(file, i))}
}

/** Checks a folder of Odoo modules (a pack's `odoops.addons`) as odoops checks a release before deploying it (docs/addons.md, "Checks"). */
export async function checkAddonsFolder(dir: string, options: {series?: string} = {}): Promise<{modules: import('./lib/state/records.js').AddonModuleInfo[]; sha256: string; problems: import('./lib/addons/checks.js').AddonProblem[]}> {
  const {checkAddonsFolder: check} = await import('./lib/addons/packs.js')
  return check(dir, options)
}

/** Why a pack's metric would be refused (undefined when it is fine): the meter registry's own rules. */
export async function checkMetric(metric: import('./lib/plugins/api.js').PackMetric, namespace: string): Promise<string | undefined> {
  const {validateMetric} = await import('./lib/meter/registry.js')
  return validateMetric({...metric, scope: 'database'}, namespace)
}

/**
 * odoops' public API for plugin packs and scripts (semver: see docs/plugins.md once packs
 * land). Commands extend OdoopsCommand; domain helpers are plain functions and classes.
 */
export {OdoopsCommand} from './cli/base-command.js'
export type {JsonError} from './cli/base-command.js'
export {OdoopsError, ExitCode, usageError} from './lib/errors.js'
export {Ui, confirmName} from './lib/output/ui.js'
export type {Progress} from './lib/output/progress.js'
export {redact, registerSecret} from './lib/secrets/redact.js'
export type * from './lib/state/records.js'
export type * from './lib/state/store.js'

import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {isAbsolute, join, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import {usageError, type OdoopsError} from '../errors.js'
import {directoryProblem, ensureDirSync} from '../fs/ensure-dir.js'
import type {StateStore} from './store.js'

/**
 * `--state` / ODOOPS_STATE / config `state`: where the state store lives.
 * - absent: the embedded store in `<dataDir>/state`
 * - a path or `file://` URL: an embedded store in that directory
 * - `postgres://` or `postgresql://`: the PostgreSQL store (pg connection string)
 */
export type StateLocation = {backend: 'local'; dir: string} | {backend: 'postgres'; url: string}

export function parseStateLocation(value: string | undefined, dataDir: string): StateLocation {
  if (value === undefined) return {backend: 'local', dir: join(dataDir, 'state')}
  // An empty value is a mistake (an unset shell variable: --state "$STORE"), not a wish for the default store.
  if (value.trim() === '') throw invalid(value, 'it is empty')
  if (value.includes('\0')) throw invalid(value, 'it contains a NUL character')
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      const url = new URL(value)
      if (!url.hostname && !url.searchParams.get('host')) throw new Error('no host')
    } catch {
      throw invalid(value)
    }
    return {backend: 'postgres', url: value}
  }
  if (/^file:\/\//i.test(value)) {
    let dir: string
    try {
      dir = fileURLToPath(value)
    } catch (error) {
      // file://host/x (a host other than localhost), an encoded slash: what fileURLToPath refuses
      throw invalid(value, (error as Error).message.replace(/\.$/, ''))
    }
    return {backend: 'local', dir: checkedStoreDir(dir)}
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw invalid(value)
  // A bare word that names no existing directory is far more likely a misplaced value
  // (`--state failed` meant as a filter) than a wish for a new store in the working directory.
  if (!value.includes('/') && !value.includes(sep) && !existsSync(value)) {
    throw usageError('STATE_URL_INVALID', `"${value}" is not a state store location (no such directory, and not a path or URL).`, [
      `For a new embedded store in this directory write a path: --state ./${/^[\w.@+-]{1,100}$/.test(value) ? value : 'odoops-state'}`,
      'Or use postgres://user@host:5432/dbname for a shared PostgreSQL store.',
    ])
  }
  return {backend: 'local', dir: checkedStoreDir(isAbsolute(value) ? value : resolve(value))}
}

/** Why `value` cannot be the `state` setting (a clause after "it"; the check of `config set state`), or undefined. */
export function stateLocationProblem(value: string): string | undefined {
  try {
    parseStateLocation(value, homedir())
    return undefined
  } catch (error) {
    return `is not a usable state store location (${(error as Error).message.replace(/\.$/, '')})`
  }
}

/** The directory of an embedded store given by --state: one that exists or can be created (nothing is created here). */
function checkedStoreDir(dir: string): string {
  const problem = directoryProblem(dir)
  if (problem) throw storeDirInvalid(dir, problem)
  return dir
}

/** STATE_URL_INVALID for a --state directory that cannot hold a store (see ensure-dir.ts). */
export function storeDirInvalid(dir: string, problem: string): OdoopsError {
  const example = join(homedir(), 'odoops-state')
  return usageError('STATE_URL_INVALID', `Cannot keep the state store in ${dir.length > 200 ? dir.slice(0, 200) + '…' : dir}: ${problem}.`, [
    `Give --state a directory you can write to, e.g. --state ${example}`,
    'Or leave --state out to use the default store: odoops state info',
  ])
}

/**
 * DATA_DIR_INVALID: the default store lives in odoops' data directory (ODOOPS_DATA_DIR, else
 * $XDG_DATA_HOME/odoops, else ~/.local/share/odoops), and that cannot hold it.
 */
export function dataDirInvalid(dataDir: string, problem: string): OdoopsError {
  const from = process.env.ODOOPS_DATA_DIR ? 'ODOOPS_DATA_DIR' : process.env.XDG_DATA_HOME ? 'XDG_DATA_HOME' : undefined
  const fallback = join(homedir(), '.local', 'share', 'odoops')
  return usageError('DATA_DIR_INVALID', `Cannot keep odoops' data in ${dataDir}${from ? ` (from ${from})` : ''}: ${problem}.`, [
    from ? `Point ${from} at a directory you can write to, or unset it: unset ${from}` : `Make ${fallback} a directory you can write to.`,
    `Or keep the state store elsewhere: odoops state info --state ${join(homedir(), 'odoops-state')}`,
  ], {dataDir})
}

function invalid(value: string, why?: string) {
  const shown = value.length > 200 ? value.slice(0, 200) + '…' : value
  return usageError('STATE_URL_INVALID', `"${redactUrl(shown)}" is not a state store location${why ? `: ${why}` : ''}.`, [
    'Use a directory path or file:///path for the embedded store, or postgres://user@host:5432/dbname for a shared PostgreSQL store.',
  ])
}

/** A location for display: the password of a URL replaced. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value)
    if (url.password) url.password = '********'
    return url.toString()
  } catch {
    return value.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1********@')
  }
}

export interface OpenStoreOptions {
  /** Check that the schema is current (commands) or allow an outdated one (`state migrate`, `state info`). */
  requireCurrentSchema?: boolean
  /** The error for an embedded store's directory that cannot be created or used (default: STATE_URL_INVALID). */
  invalidDir?: (dir: string, problem: string) => OdoopsError
}

export async function openStore(location: StateLocation, options: OpenStoreOptions = {}): Promise<StateStore> {
  if (location.backend === 'local') {
    // Checked before anything is created: see ensure-dir.ts (a path under /proc would loop for ever).
    ensureDirSync(location.dir, {invalid: (problem) => (options.invalidDir ?? storeDirInvalid)(location.dir, problem)})
    const {LocalStore} = await import('./local-store.js')
    return LocalStore.open(location.dir)
  }
  const {PostgresStore} = await import('./postgres-store.js')
  return PostgresStore.open(location.url, {requireCurrentSchema: options.requireCurrentSchema ?? true})
}

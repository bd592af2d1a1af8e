import {existsSync} from 'node:fs'
import {isAbsolute, join, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import {usageError} from '../errors.js'
import type {StateStore} from './store.js'

/**
 * `--state` / ODOOPS_STATE / config `state`: where the state store lives.
 * - absent: the embedded store in `<dataDir>/state`
 * - a path or `file://` URL: an embedded store in that directory
 * - `postgres://` or `postgresql://`: the PostgreSQL store (pg connection string)
 */
export type StateLocation = {backend: 'local'; dir: string} | {backend: 'postgres'; url: string}

export function parseStateLocation(value: string | undefined, dataDir: string): StateLocation {
  if (value === undefined || value === '') return {backend: 'local', dir: join(dataDir, 'state')}
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      const url = new URL(value)
      if (!url.hostname && !url.searchParams.get('host')) throw new Error('no host')
    } catch {
      throw invalid(value)
    }
    return {backend: 'postgres', url: value}
  }
  if (value.startsWith('file://')) return {backend: 'local', dir: fileURLToPath(value)}
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw invalid(value)
  // A bare word that names no existing directory is far more likely a misplaced value
  // (`--state failed` meant as a filter) than a wish for a new store in the working directory.
  if (!value.includes('/') && !value.includes(sep) && !existsSync(value)) {
    throw usageError('STATE_URL_INVALID', `"${value}" is not a state store location (no such directory, and not a path or URL).`, [
      `For a new embedded store in this directory write a path: --state ./${value}`,
      'Or use postgres://user@host:5432/dbname for a shared PostgreSQL store.',
    ])
  }
  return {backend: 'local', dir: isAbsolute(value) ? value : resolve(value)}
}

function invalid(value: string) {
  return usageError('STATE_URL_INVALID', `"${redactUrl(value)}" is not a state store location.`, [
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
}

export async function openStore(location: StateLocation, options: OpenStoreOptions = {}): Promise<StateStore> {
  if (location.backend === 'local') {
    const {LocalStore} = await import('./local-store.js')
    return LocalStore.open(location.dir)
  }
  const {PostgresStore} = await import('./postgres-store.js')
  return PostgresStore.open(location.url, {requireCurrentSchema: options.requireCurrentSchema ?? true})
}

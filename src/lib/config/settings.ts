import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {usageError} from '../errors.js'
import {ensureDirSync} from '../fs/ensure-dir.js'
import {CONFIG_KEYS, envNameOf, type ConfigKey} from './keys.js'
import {registerSecret, registerUrlPassword} from '../secrets/redact.js'

/**
 * odoops settings, stored by `conf` as `<configDir>/config.json` (a flat JSON object of
 * key → value). Reads parse that file directly: loading conf (and its JSON-schema
 * validator) costs over 100 ms, which every command would pay at start-up. Writes go
 * through conf, which writes atomically.
 */
export type ConfigValue = string | number | boolean | string[]

export interface ConfigEntry {
  key: string
  value: ConfigValue | null
  source: 'env' | 'file' | 'default' | 'unset'
  env: string
  description: string
}

export function knownKey(key: string): ConfigKey {
  // Own keys only: `__proto__`, `toString`, `constructor` are on every object, and no settings.
  const spec = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key] : undefined
  if (!spec) {
    throw usageError('CONFIG_UNKNOWN_KEY', `"${key}" is not an odoops setting.`, [
      `Known keys: ${Object.keys(CONFIG_KEYS).join(', ')}`,
      'odoops config list shows each with its description.',
    ])
  }
  return spec
}

/** Parse a value given as text (command line or environment) into the key's type. */
export function parseValue(key: string, text: string): ConfigValue {
  const spec = knownKey(key)
  let value: ConfigValue
  switch (spec.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(text.trim())) throw badValue(key, text, 'must be a whole number')
      value = Number(text.trim())
      break
    }
    case 'boolean': {
      const t = text.trim().toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(t)) value = true
      else if (['false', '0', 'no', 'off'].includes(t)) value = false
      else throw badValue(key, text, 'must be true or false')
      break
    }
    case 'list':
      value = text.split(',').map((s) => s.trim()).filter(Boolean)
      break
    default:
      // An empty setting reads as unset in some places and as a value in others: unset it instead.
      if (text.trim() === '') throw badValue(key, text, 'is empty', [`odoops config unset ${key}`])
      value = text
  }
  const problem = spec.check?.(value)
  if (problem) throw badValue(key, text, problem, spec.example === undefined ? undefined : [`odoops config set ${key} ${spec.example}`, `Or remove it: odoops config unset ${key}`])
  return value
}

/** CONFIG_DIR_INVALID: odoops' config directory (ODOOPS_CONFIG_DIR, else $XDG_CONFIG_HOME/odoops) cannot be created or used. */
export function configDirInvalid(configDir: string, problem: string) {
  const from = process.env.ODOOPS_CONFIG_DIR ? 'ODOOPS_CONFIG_DIR' : process.env.XDG_CONFIG_HOME ? 'XDG_CONFIG_HOME' : undefined
  return usageError('CONFIG_DIR_INVALID', `Cannot keep odoops' settings in ${configDir}${from ? ` (from ${from})` : ''}: ${problem}.`, [
    from ? `Point ${from} at a directory you can write to, or unset it: unset ${from}` : `Make ${join(homedir(), '.config', 'odoops')} a directory you can write to.`,
  ], {configDir})
}

function badValue(key: string, text: string, problem: string, suggestions = [`odoops config set ${key} <value>`]) {
  const shown = text.length > 200 ? text.slice(0, 200) + '…' : text
  return usageError('CONFIG_INVALID_VALUE', `"${shown}" is not a valid value for ${key}: it ${problem}.`, suggestions)
}

export class Settings {
  private fileValues: Record<string, ConfigValue> | undefined

  constructor(readonly configDir: string) {}

  get path(): string {
    return join(this.configDir, 'config.json')
  }

  private file(): Record<string, ConfigValue> {
    if (!this.fileValues) {
      try {
        this.fileValues = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, ConfigValue>
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw usageError('CONFIG_CORRUPT', `Cannot read ${this.path}: ${(error as Error).message}`, [`Fix or remove ${this.path}.`])
        }
        this.fileValues = {}
      }
    }
    return this.fileValues
  }

  entry(key: string): ConfigEntry {
    const found = this.lookup(key)
    // A value is printed by config get/list: register what is secret in it (a URL password, a secret key).
    if (typeof found.value === 'string') {
      registerUrlPassword(found.value)
      if (CONFIG_KEYS[key].secret) registerSecret(found.value)
    }
    return found
  }

  private lookup(key: string): ConfigEntry {
    const spec = knownKey(key)
    const env = envNameOf(key)
    const base = {key, env, description: spec.description}
    const fromEnv = process.env[env]
    if (fromEnv !== undefined && fromEnv !== '') {
      try {
        return {...base, value: parseValue(key, fromEnv), source: 'env'}
      } catch (error) {
        // The variable is the culprit, not a stored value: say so, and how to drop it.
        throw usageError('CONFIG_INVALID_VALUE', `${env} is set to an invalid value: ${(error as Error).message}`, [`unset ${env}`])
      }
    }
    const stored = this.file()[key]
    if (stored !== undefined) return {...base, value: stored, source: 'file'}
    if (spec.default !== undefined) return {...base, value: spec.default, source: 'default'}
    return {...base, value: null, source: 'unset'}
  }

  get<T extends ConfigValue>(key: string): T | undefined {
    const value = this.entry(key).value
    return value === null ? undefined : (value as T)
  }

  list(): ConfigEntry[] {
    return Object.keys(CONFIG_KEYS).map((key) => this.entry(key))
  }

  async set(key: string, text: string): Promise<ConfigEntry> {
    const value = parseValue(key, text)
    // Not in the key's `check`: that also judges ODOOPS_STATE, where a password is welcome.
    if (key === 'state' && typeof value === 'string') refuseStoredPassword(value)
    const store = await this.conf()
    store.set(key, value)
    this.fileValues = undefined
    return this.entry(key)
  }

  async unset(key: string): Promise<ConfigEntry> {
    knownKey(key)
    const store = await this.conf()
    store.delete(key)
    this.fileValues = undefined
    return this.entry(key)
  }

  private async conf() {
    // conf creates the directory itself (recursive mkdir, which never ends under /proc): checked first.
    ensureDirSync(this.configDir, {mode: 0o700, invalid: (problem) => configDirInvalid(this.configDir, problem)})
    const {default: Conf} = await import('conf')
    // accessPropertiesByDotNotation off: our keys contain dots but are flat.
    return new Conf<Record<string, ConfigValue>>({cwd: this.configDir, configName: 'config', projectName: 'odoops', accessPropertiesByDotNotation: false, configFileMode: 0o600})
  }
}

/** config.json is plain text: a state URL is stored without its password (docs/state.md, "What is encrypted where"). Never quotes the URL. */
function refuseStoredPassword(value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return // not a URL: a directory
  }
  if (url.password === '') return
  url.password = ''
  throw usageError('CONFIG_STATE_PASSWORD', 'The state URL holds a password: odoops does not write passwords to its config file, which is not encrypted. Nothing was changed.', [
    `Store the URL without it: odoops config set state ${url.toString()}`,
    'Give the password to PostgreSQL instead: PGPASSWORD=…, or a ~/.pgpass line host:port:database:user:password (mode 0600).',
    'Or pass the whole URL per run, never written down: ODOOPS_STATE=postgres://user:password@host/db (or --state).',
  ])
}

import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * Where odoops keeps its files. oclif computes the same XDG locations for commands
 * (config.configDir etc.); domain code and plugins that run outside a command use these.
 * ODOOPS_CONFIG_DIR / ODOOPS_DATA_DIR / ODOOPS_CACHE_DIR override, as oclif's <BIN>_*_DIR do.
 */
export interface OdoopsDirs {
  configDir: string
  dataDir: string
  cacheDir: string
}

function xdg(envName: string, fallback: string): string {
  const value = process.env[envName]
  return value && value.length > 0 ? value : join(homedir(), fallback)
}

export function defaultDirs(): OdoopsDirs {
  return {
    configDir: process.env.ODOOPS_CONFIG_DIR || join(xdg('XDG_CONFIG_HOME', '.config'), 'odoops'),
    dataDir: process.env.ODOOPS_DATA_DIR || join(xdg('XDG_DATA_HOME', '.local/share'), 'odoops'),
    cacheDir: process.env.ODOOPS_CACHE_DIR || join(xdg('XDG_CACHE_HOME', '.cache'), 'odoops'),
  }
}

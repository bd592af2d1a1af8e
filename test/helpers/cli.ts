import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (undefined when it is not JSON). */
  json: any
}

/** Fresh, isolated odoops directories (config, data, cache) for one test. */
export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base = mkdtempSync(join(tmpdir(), 'odoops-test-'))
  return {
    ODOOPS_CONFIG_DIR: join(base, 'config'),
    ODOOPS_DATA_DIR: join(base, 'data'),
    ODOOPS_CACHE_DIR: join(base, 'cache'),
    ODOOPS_SECRET_KEY: process.env.ODOOPS_SECRET_KEY ?? 'odoops-test-secret-key-material',
    ...extra,
  }
}

/** Run the built CLI (bin/run.js, compiled dist/) as a user would: no TTY, real exit code. */
export async function runCli(args: string[], options: {env?: Record<string, string>; input?: string; timeoutMs?: number} = {}): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    env: {...options.env, NO_COLOR: '1'},
    extendEnv: true,
    input: options.input,
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
  })
  let json: any
  try {
    json = JSON.parse(result.stdout)
  } catch {
    json = undefined
  }
  return {code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, json}
}

import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {rememberDataDir, rememberOutput} from './secrets.js'

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
export async function runCli(
  args: string[],
  options: {env?: Record<string, string>; input?: string; timeoutMs?: number; /** Leave NO_COLOR unset (to test the non-TTY rule alone). */ colorEnv?: boolean} = {},
): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    env: {...options.env, NO_COLOR: options.colorEnv ? undefined : '1'},
    extendEnv: true,
    input: options.input,
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
  })
  // Every output goes to the end-of-run secrets scan (test/secrets-scan.test.ts).
  const label = `odoops ${args.join(' ')}`
  rememberOutput(`stdout of ${label}`, result.stdout)
  rememberOutput(`stderr of ${label}`, result.stderr)
  rememberDataDir(options.env?.ODOOPS_DATA_DIR)
  let json: any
  try {
    json = JSON.parse(result.stdout)
  } catch {
    json = undefined
  }
  return {code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, json}
}

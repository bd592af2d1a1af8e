/**
 * A sandbox prepared by `odoops host prepare`, shared by every test of a mocha run.
 *
 *   const {env, host, sandbox} = await preparedHost()      // 'pa', Odoo 17.0 (fixture)
 *   await runCli(['tenant', 'create', 'acme-x1', '--host', host, …], {env})
 *
 * The first call boots `sharedSandbox(name, {image: 'postgres-nginx', fixtureOdoo: series})`
 * (PostgreSQL and nginx preinstalled; the fixture Odoo — a TEST DOUBLE, test/fixtures/odoo —
 * served from a local apt repository), registers it with `odoops host add` in an
 * isolatedEnv() and runs `odoops host prepare <name> --odoo <series> --apt-source
 * <FIXTURE_APT_SOURCE>` through the built CLI (run `npm run build` first). Later calls return
 * the same promise: every test using it shares one state store (the env), so use unique
 * tenant slugs and domains. Give the first `before` a long timeout (PREPARED_HOST_TIMEOUT_MS).
 */
import {FIXTURE_APT_SOURCE} from '../../src/lib/sandbox/index.js'
import type {FixtureSeries} from '../../src/lib/fixture-odoo/build.js'
import {isolatedEnv, runCli, type CliResult} from './cli.js'
import {requireSandboxes, SANDBOX_BOOT_TIMEOUT_MS, sharedSandbox, type SandboxInfo} from './sandbox.js'

/** Boot + host add + prepare on a warm image cache take about a minute; a cold image build adds a few. */
export const PREPARED_HOST_TIMEOUT_MS = SANDBOX_BOOT_TIMEOUT_MS + 300_000

export interface PreparedHost {
  sandbox: SandboxInfo
  /** Environment for runCli: the shared state store and secret key of this host's tests. */
  env: Record<string, string>
  /** The registered host name (= the sandbox name). */
  host: string
  series: string
  /** `host prepare --json` output (PrepareResult: steps, service with ports and paths). */
  prepare: {series: string; odooVersion: string; service: {unit: string; config: string; dataDir: string; httpPort: number; geventPort: number; role: string; pgPort: number}; [key: string]: unknown}
}

const prepared = new Map<string, {series: string; promise: Promise<PreparedHost>}>()
/** State stores by name: hosts prepared with the same `store` option share one (a move needs two hosts in one fleet). */
const stores = new Map<string, Record<string, string>>()

function storeEnv(key: string): Record<string, string> {
  let env = stores.get(key)
  if (!env) stores.set(key, (env = isolatedEnv()))
  return env
}

function failed(what: string, result: CliResult): Error {
  return new Error(`${what} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
}

async function prepare(name: string, series: string, env: Record<string, string>, realRepo?: string, prepareArgs: string[] = []): Promise<PreparedHost> {
  // Real Odoo boots from the image with Odoo's Debian dependencies preinstalled (a real install
  // otherwise fetches ~60 python3 packages through the proxy); the fixture needs only PostgreSQL and nginx.
  const sandbox = realRepo
    ? await sharedSandbox(name, {image: 'odoo-deps', aptRepo: realRepo})
    : await sharedSandbox(name, {image: 'postgres-nginx', fixtureOdoo: series as FixtureSeries})
  const add = await runCli(['host', 'add', name, '--address', sandbox.address, '--port', String(sandbox.port), '--user', sandbox.user, '--identity', sandbox.identityFile, '--host-key', sandbox.hostKey, '--json'], {env})
  if (add.code !== 0) throw failed(`odoops host add ${name}`, add)
  const result = await runCli(['host', 'prepare', name, '--odoo', series, '--apt-source', FIXTURE_APT_SOURCE, ...prepareArgs, '--json'], {env, timeoutMs: 900_000})
  if (result.code !== 0) throw failed(`odoops host prepare ${name}`, result)
  return {sandbox, env, host: name, series, prepare: result.json}
}

/** The prepared host `name` (default 'pa', series 17.0), prepared once per mocha run. */
export function preparedHost(name = 'pa', options: {series?: FixtureSeries; store?: string; /** Real Odoo: the series' apt repository (test/helpers/real-odoo.ts). */ real?: {series: string; dir: string}; /** More flags for host prepare (e.g. --with-wkhtmltopdf). */ prepareArgs?: string[]} = {}): Promise<PreparedHost> {
  const series = options.real?.series ?? options.series ?? '17.0'
  const existing = prepared.get(name)
  if (existing) {
    if (existing.series !== series) throw new Error(`prepared host "${name}" runs Odoo ${existing.series}, not ${series}: use another name for ${series}`)
    return existing.promise
  }
  const promise = prepare(name, series, storeEnv(options.store ?? name), options.real?.dir, options.prepareArgs)
  // A failure is not cached: the next suite tries again and reports its own failure.
  promise.catch(() => prepared.delete(name))
  prepared.set(name, {series, promise})
  return promise
}

/**
 * The start of a suite's `before` on the prepared host `name`: a timeout for preparing it
 * (PREPARED_HOST_TIMEOUT_MS) plus `moreMs` for the suite's own setup, the suite skipped where
 * sandboxes cannot run (requireSandboxes), then the host.
 */
export function preparedHostFor(context: Mocha.Context, moreMs = 0, name = 'pa'): Promise<PreparedHost> {
  context.timeout(PREPARED_HOST_TIMEOUT_MS + moreMs)
  requireSandboxes(context)
  return preparedHost(name)
}

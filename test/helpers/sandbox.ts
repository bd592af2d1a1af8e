/**
 * Real Debian 12 hosts for tests, from `odoops sandbox` (src/lib/sandbox).
 *
 * - `sharedSandbox('a')` boots sandbox "a" on first use, ONCE per mocha run, and returns
 *   its info (address, key, pinned host key). Tests that only use a host share it; do not
 *   break a shared sandbox (no host-key changes, no stopping sshd).
 * - `dedicatedSandbox()` boots one for a single test that will break it; call `.down()`.
 * - `{fixtureOdoo: true | '16.0' | …}` (both) mounts the fixture Odoo's apt repository (a TEST
 *   DOUBLE, test/fixtures/odoo), built once per run; install it with `host prepare --apt-source
 *   FIXTURE_APT_SOURCE`, or use test/helpers/prepared-host.ts, which does that.
 * - `requireSandboxes(this)` in a `before`: skips when sandboxes cannot run here, but
 *   THROWS under CI=true, so CI fails instead of silently testing nothing.
 * - Every sandbox this process started is downed after the run (a root `after` hook
 *   registered when this module loads, and a last-resort SIGTERM on process exit).
 *
 * Images come from one machine-wide cache (ODOOPS_SANDBOX_IMAGE_DIR, default
 * /var/cache/odoops/images) so every run and CI reuse them; the first build takes a
 * minute or two, so give the first `before` that boots a sandbox a long timeout
 * (`this.timeout(SANDBOX_BOOT_TIMEOUT_MS)`). Sandbox records and keys live in a data
 * directory of their own under /tmp, removed at the end.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {regenerateHostKey, sandboxDown, sandboxSupport, sandboxUp, type SandboxInfo} from '../../src/lib/sandbox/index.js'
import {isOurNspawn} from '../../src/lib/sandbox/nspawn.js'
import {buildFixtureRepo} from '../../src/lib/sandbox/fixture.js'
import type {FixtureSeries} from '../../src/lib/fixture-odoo/build.js'
import {isProxyRunning, readProxyState} from '../../src/lib/sandbox/proxy.js'

export type {SandboxInfo}

export const SANDBOX_IMAGE_DIR = process.env.ODOOPS_SANDBOX_IMAGE_DIR || '/var/cache/odoops/images'
// The domain code and CLI processes spawned by tests (runCli inherits the environment) share the cache.
process.env.ODOOPS_SANDBOX_IMAGE_DIR = SANDBOX_IMAGE_DIR

/** Enough for a cold image build plus a boot; warm boots take about 10 s. */
export const SANDBOX_BOOT_TIMEOUT_MS = 600_000

let base: string | undefined
function dirs(): {dataDir: string; cacheDir: string} {
  base ??= mkdtempSync(join(tmpdir(), 'odoops-sandboxes-'))
  return {dataDir: join(base, 'data'), cacheDir: join(base, 'cache')}
}

/** The data directory holding the helper's sandbox records (for `regenerateHostKey` etc.). */
export function sandboxDataDir(): string {
  return dirs().dataDir
}

const shared = new Map<string, {image: string; info: Promise<SandboxInfo>}>()
const started = new Map<string, SandboxInfo>()

export function sandboxesAvailable(): {ok: boolean; reason: string} {
  const support = sandboxSupport()
  return {ok: support.ok, reason: support.problems.join('; ')}
}

/** Skip the calling suite/test when sandboxes cannot run here; fail instead under CI. */
export function requireSandboxes(context: Mocha.Context): void {
  const {ok, reason} = sandboxesAvailable()
  if (ok) return
  if (process.env.CI) throw new Error(`Host tests need sandboxes, which cannot run on this CI machine: ${reason}. Install the packages named in docs/sandbox.md and run as root.`)
  context.skip()
}

async function boot(name: string, image: string, fixtureOdoo?: FixtureSeries, aptRepo?: string): Promise<SandboxInfo> {
  const {dataDir, cacheDir} = dirs()
  const repo = aptRepo ?? (fixtureOdoo ? await fixtureRepo(fixtureOdoo) : undefined)
  const result = await sandboxUp({dataDir, cacheDir, name, image, register: false, fixtureOdoo: repo})
  const info = result.sandboxes[0]
  started.set(name, info)
  return info
}

const fixtureRepos = new Map<FixtureSeries, Promise<string>>()

/**
 * The fixture Odoo's apt repository of a series (a TEST DOUBLE of Odoo, test/fixtures/odoo/),
 * built once per mocha run into the helper's cache directory.
 */
export function fixtureRepo(series: FixtureSeries = '17.0'): Promise<string> {
  let repo = fixtureRepos.get(series)
  if (!repo) {
    repo = buildFixtureRepo(dirs().cacheDir, series)
    repo.catch(() => fixtureRepos.delete(series))
    fixtureRepos.set(series, repo)
  }
  return repo
}

export interface SandboxOptions {
  /** Image alias (`base`, `postgres-nginx`); default `base`. */
  image?: string
  /** Mount the fixture Odoo's apt repository (true = series 17.0); install it with --apt-source FIXTURE_APT_SOURCE. */
  fixtureOdoo?: boolean | FixtureSeries
  /** A flat apt repository directory to mount instead (real Odoo packages, test/helpers/real-odoo.ts); same apt source. */
  aptRepo?: string
}

function fixtureSeriesOf(option: SandboxOptions['fixtureOdoo']): FixtureSeries | undefined {
  return option === true ? '17.0' : option || undefined
}

/** Sandbox `name`, booted on first use and shared by every test of this mocha run. */
export function sharedSandbox(name = 'a', options: SandboxOptions = {}): Promise<SandboxInfo> {
  const image = options.image ?? 'base'
  const fixture = fixtureSeriesOf(options.fixtureOdoo)
  const key = `${image}${options.aptRepo ? ` with the apt repository ${options.aptRepo}` : fixture ? ` with the ${fixture} fixture Odoo` : ''}`
  const existing = shared.get(name)
  if (existing) {
    if (existing.image !== key) throw new Error(`shared sandbox "${name}" was booted from image ${existing.image}, not ${key}: use another name`)
    return existing.info
  }
  const info = boot(name, image, fixture, options.aptRepo)
  // A failed boot is not cached: the next test may try again (and report its own failure).
  info.catch(() => shared.delete(name))
  shared.set(name, {image: key, info})
  return info
}

/** Down shared sandboxes a suite no longer needs (the @real tier frees each series' hosts before the next). */
export async function downSharedSandboxes(names: string[]): Promise<void> {
  const booted = names.filter((name) => started.has(name))
  if (booted.length) await sandboxDown({dataDir: dirs().dataDir, names: booted})
  for (const name of names) {
    started.delete(name)
    shared.delete(name)
  }
}

let dedicatedCount = 0

export interface DedicatedSandbox extends SandboxInfo {
  /** Give it a new host key (simulates a reinstalled or impostor host); returns the new fingerprint. */
  regenerateHostKey(): Promise<string>
  down(): Promise<void>
}

/** A sandbox for one test that will break it. Down it when done (the run's end downs it otherwise). */
export async function dedicatedSandbox(options: SandboxOptions & {name?: string} = {}): Promise<DedicatedSandbox> {
  const name = options.name ?? `own-${process.pid}-${++dedicatedCount}`
  const info = await boot(name, options.image ?? 'base', fixtureSeriesOf(options.fixtureOdoo), options.aptRepo)
  return {
    ...info,
    regenerateHostKey: async () => (await regenerateHostKey(dirs().dataDir, name)).hostKey,
    down: async () => {
      await sandboxDown({dataDir: dirs().dataDir, names: [name]})
      started.delete(name)
    },
  }
}

/** A known_hosts file pinning the sandbox's host key (for `ssh -o UserKnownHostsFile=…`). */
export function knownHostsFor(info: SandboxInfo): string {
  const dir = join(dirs().dataDir, '..', 'known_hosts')
  mkdirSync(dir, {recursive: true})
  const file = join(dir, `${info.address}-${info.name}`)
  writeFileSync(file, `${info.address} ${info.hostPublicKey}\n`)
  return file
}

/** OpenSSH client arguments for the sandbox, with its host key pinned (strict checking). */
export function sshArgs(info: SandboxInfo): string[] {
  return [
    '-i', info.identityFile,
    '-o', `UserKnownHostsFile=${knownHostsFor(info)}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
    '-o', 'ConnectTimeout=10',
    `${info.user}@${info.address}`,
  ]
}

/** Run a shell command in the sandbox with the system `ssh` client (for test assertions). */
export async function sshRun(info: SandboxInfo, command: string, options: {timeoutMs?: number; input?: string} = {}) {
  return execa('ssh', [...sshArgs(info), command], {reject: false, ...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input}), timeout: options.timeoutMs ?? 120_000})
}

/** Down every sandbox this process started and remove the helper's directories. */
export async function downAllSandboxes(): Promise<void> {
  if (!base) return
  await sandboxDown({dataDir: dirs().dataDir, all: true})
  started.clear()
  shared.clear()
  fixtureRepos.clear()
  rmSync(base, {recursive: true, force: true})
  base = undefined
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000)
    await downAllSandboxes()
  },
}

// Loaded by spec files while mocha collects them: a top-level `after` is a root hook.
if (typeof after === 'function') {
  after('down the sandboxes of this run', async function () {
    this.timeout(120_000)
    await downAllSandboxes()
  })
}

// Last resort (mocha killed mid-run, --bail): no async work is possible in 'exit', so only
// signal our own nspawn processes; they shut their containers down by themselves.
process.once('exit', () => {
  for (const info of started.values()) {
    if (isOurNspawn(info.pid, info.machine)) process.kill(info.pid, 'SIGTERM')
  }
  const proxy = base ? readProxyState(join(dirs().dataDir, 'sandboxes')) : undefined
  if (isProxyRunning(proxy)) process.kill(proxy.pid, 'SIGTERM')
})

import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {ExitCode, OdoopsError, messageOf, usageError} from '../errors.js'
import type {HostRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {GUEST_PATHS} from './image-recipe.js'
import {ensureImage, imagesDirFor, resolveImage, type ImageInfo} from './image.js'
import {generateKeyPair} from './keys.js'
import {claimSubnet, configureHostSide, ensureGuestNetwork, recordClaimPid, releaseSubnet, removeVeth, subnetAddresses} from './network.js'
import {removeSandboxCgroups} from './cgroups.js'
import {cleanContainerTrace, isOurNspawn, startNspawn, stopNspawn, traceContainer, type Bind, type StopOutcome} from './nspawn.js'
import {isProcessAlive} from '../process-alive.js'
import {tailOf} from './processes.js'
import {ensureProxy, stopProxy} from './proxy.js'
import {SANDBOX_NAME, SandboxRegistry, type SandboxRecord} from './registry.js'
import {waitForLogin, waitForSsh, type WaitOptions} from './ssh-ready.js'
import {assertSandboxSupport} from './support.js'

/**
 * `odoops sandbox`: disposable Debian 12 hosts on this machine, each a systemd-nspawn
 * container booted from a cached image on its own veth network, reachable over SSH with a
 * generated key and a host key known before first contact. See docs/sandbox.md.
 */
export const FIXTURE_APT_SOURCE = `deb [trusted=yes] file:${GUEST_PATHS.fixtureApt} ./`

export interface SandboxInfo {
  name: string
  machine: string
  /** The sandbox's address (SSH on port 22). */
  address: string
  /** This machine's address on the sandbox's network (the package proxy listens there). */
  hostAddress: string
  port: number
  user: string
  identityFile: string
  hostKey: string
  /** The host's public key line (`ssh-ed25519 AAAA…`), for a known_hosts file. */
  hostPublicKey: string
  pid: number
  bootSeconds: number
  image: string
  logFile: string
  registered: boolean
  /** apt source line for the fixture Odoo repository, when one was mounted. */
  fixtureAptSource?: string
}

export interface SandboxUpOptions {
  dataDir: string
  cacheDir: string
  name?: string
  count?: number
  /** Image alias (`base`, `postgres-nginx`) or cached image name; default `base`. */
  image?: string
  /** A directory holding a local apt repository, mounted read-only at /srv/odoops-fixture-apt. */
  fixtureOdoo?: string
  /** Record each sandbox as a host in `store` (default true). */
  register?: boolean
  store?: StateStore
  bootTimeoutMs?: number
  signal?: AbortSignal
  onProgress?: (message: string) => void
}

export interface SandboxUpResult {
  sandboxes: SandboxInfo[]
  image: {name: string; dir: string; built: boolean; buildSeconds: number}
  proxy: {port: number; pid: number}
  seconds: number
}

const DEFAULT_PREFIX = 'sbx'

function validateName(name: string): void {
  if (!SANDBOX_NAME.test(name)) {
    throw usageError('SANDBOX_NAME_INVALID', `"${name}" is not a valid sandbox name.`, [
      'Use lower-case letters, digits and dashes, starting with a letter or digit (at most 63 characters), e.g. --name demo.',
    ])
  }
}

/** The names `up` will use: `--name` as given, `<name>-1..k` with --count, or the next free `sbx-<i>`. */
export function plannedNames(registry: SandboxRegistry, name: string | undefined, count: number): string[] {
  if (name && count === 1) return [name]
  if (name) return Array.from({length: count}, (_, i) => `${name}-${i + 1}`)
  const taken = new Set(registry.list().map((record) => record.name))
  const names: string[] = []
  for (let i = 1; names.length < count; i++) if (!taken.has(`${DEFAULT_PREFIX}-${i}`)) names.push(`${DEFAULT_PREFIX}-${i}`)
  return names
}

export async function sandboxUp(options: SandboxUpOptions): Promise<SandboxUpResult> {
  const started = Date.now()
  assertSandboxSupport()
  const count = options.count ?? 1
  if (!Number.isInteger(count) || count < 1 || count > 20) throw usageError('SANDBOX_COUNT_INVALID', `--count must be between 1 and 20 (got ${count}).`)
  const register = options.register ?? true
  if (register && !options.store) throw new OdoopsError('SANDBOX_NO_STORE', 'Registering a sandbox as a host needs the state store.')
  const registry = new SandboxRegistry(options.dataDir)
  const names = plannedNames(registry, options.name, count)
  names.forEach(validateName)
  const fixtureOdoo = options.fixtureOdoo ? resolve(options.fixtureOdoo) : undefined
  if (register) for (const name of names) await refuseForeignHost(options.store!, name)

  const imagesDir = imagesDirFor(options.cacheDir)
  const image = await ensureImage(resolveImage(options.image ?? 'base', imagesDir), {imagesDir, onProgress: options.onProgress})
  const proxy = await registry.withLock(() => ensureProxy(registry.dir))

  const settled = await Promise.allSettled(names.map((name) => bootOne(registry, name, image, proxy.port, {...options, register, fixtureOdoo})))
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
  const booted = settled.filter((outcome): outcome is PromiseFulfilledResult<SandboxInfo> => outcome.status === 'fulfilled').map((outcome) => outcome.value)
  if (failed) {
    // All or nothing: a partial fleet is more confusing than none.
    await sandboxDown({dataDir: options.dataDir, names: booted.map((info) => info.name), store: options.store})
    if (booted.length === 0) await stopProxyIfIdle(registry)
    throw failed.reason
  }
  return {
    sandboxes: booted,
    image: {name: image.name, dir: image.dir, built: image.built, buildSeconds: image.buildSeconds},
    proxy: {port: proxy.port, pid: proxy.pid},
    seconds: secondsSince(started),
  }
}

async function refuseForeignHost(store: StateStore, name: string): Promise<void> {
  const existing = await store.hosts.get(name)
  if (existing && !existing.sandbox) {
    throw new OdoopsError('SANDBOX_HOST_EXISTS', `A host named "${name}" is already registered and is not a sandbox.`, {
      suggestions: ['Choose another name: odoops sandbox up --name <other>', 'Or boot without registering it: --no-register'],
    })
  }
}

/**
 * `--ephemeral` on a file system without reflinks (ext4) copies the whole image before the
 * container boots: 270–570 MB, several at once under `--count`, on a 2-core machine busy with
 * other sandboxes. Seen over 90 s in CI; a dead container is still noticed at once (`stillRunning`).
 */
export const DEFAULT_BOOT_TIMEOUT_MS = 300_000
/** How long sshd may stay unreachable before (and between) checks of the guest's network from the host. */
const GUEST_NETWORK_CHECK_MS = 8_000

interface BootOptions extends SandboxUpOptions {
  register: boolean
  fixtureOdoo?: string
}

async function bootOne(registry: SandboxRegistry, name: string, image: ImageInfo, proxyPort: number, options: BootOptions): Promise<SandboxInfo> {
  const dir = registry.sandboxDir(name)
  const record = newRecord(dir, name, image, proxyPort, options)
  await claimName(registry, record, options.store)
  const bootStarted = Date.now()
  try {
    const {clientPublicKey, index} = await createKeysAndSubnet(registry, record)
    const binds = writeGuestFiles(dir, record, clientPublicKey, proxyPort, options)
    const {pid, alive} = await startContainer(registry, record, image, binds, index, options)
    const waitOptions = {timeoutMs: options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS, stillRunning: alive, signal: options.signal}
    await waitForGuestSsh(record, pid, index, waitOptions, options)
    await waitForGuestLogin(record, waitOptions)
    return await markRunning(registry, record, {pid, image, bootStarted}, options)
  } catch (error) {
    await removeSandbox(registry, record, options.store).catch(() => {})
    throw error
  }
}

/** The registry record of a sandbox about to boot: its files' places known, its network not yet. */
function newRecord(dir: string, name: string, image: ImageInfo, proxyPort: number, options: BootOptions): SandboxRecord {
  return {
    name,
    machine: '',
    index: 0,
    address: '',
    hostAddress: '',
    port: 22,
    user: 'root',
    identityFile: join(dir, 'id_ed25519'),
    hostKey: '',
    hostKeyDir: join(dir, 'hostkey'),
    image: image.name,
    imageDir: image.dir,
    logFile: join(dir, 'nspawn.log'),
    state: 'starting',
    ownerPid: process.pid,
    proxyPort,
    registered: false,
    ...(options.fixtureOdoo ? {fixtureAptDir: options.fixtureOdoo} : {}),
    createdAt: new Date().toISOString(),
  }
}

/** Takes the name in the registry; a stale sandbox holding it (one that will never run again) is removed first. */
async function claimName(registry: SandboxRegistry, record: SandboxRecord, store: StateStore | undefined): Promise<void> {
  if (registry.claim(record)) return
  const existing = registry.read(record.name)
  if (!existing || !isStale(existing)) throw exists(record.name)
  await removeSandbox(registry, existing, store)
  if (!registry.claim(record)) throw exists(record.name)
}

/** The client key, the host key (known before first contact) and a subnet, recorded in the registry. */
async function createKeysAndSubnet(registry: SandboxRegistry, record: SandboxRecord): Promise<{clientPublicKey: string; index: number}> {
  const {name} = record
  mkdirSync(record.hostKeyDir, {recursive: true, mode: 0o700})
  const [client, host] = await Promise.all([generateKeyPair(record.identityFile, `odoops-sandbox-${name}`), generateKeyPair(join(record.hostKeyDir, 'ssh_host_ed25519_key'), `root@${name}`)])
  record.hostKey = host.fingerprint
  const claim = await claimSubnet(registry.recordFile(name))
  Object.assign(record, {index: claim.index, machine: claim.machine, ...subnetAddresses(claim.index)})
  registry.write(record)
  return {clientPublicKey: client.publicKey, index: claim.index}
}

/** Writes the files the guest reads at boot and returns their bind mounts. */
function writeGuestFiles(dir: string, record: SandboxRecord, clientPublicKey: string, proxyPort: number, options: BootOptions): Bind[] {
  const authorizedKeys = join(dir, 'authorized_keys')
  writeFileSync(authorizedKeys, clientPublicKey + '\n', {mode: 0o600})
  const network = join(dir, 'network.env')
  writeFileSync(network, `ADDRESS=${record.address}\nGATEWAY=${record.hostAddress}\n`)
  const aptProxy = join(dir, 'apt-proxy.conf')
  writeFileSync(aptProxy, `Acquire::http::Proxy "http://${record.hostAddress}:${proxyPort}";\n`)
  chmodSync(dir, 0o700)
  return [
    {source: network, target: GUEST_PATHS.network},
    {source: aptProxy, target: GUEST_PATHS.aptProxy},
    {source: authorizedKeys, target: GUEST_PATHS.authorizedKeys},
    {source: record.hostKeyDir, target: GUEST_PATHS.hostKeyDir},
    ...(options.fixtureOdoo ? [{source: options.fixtureOdoo, target: GUEST_PATHS.fixtureApt}] : []),
  ]
}

/** Starts systemd-nspawn and sets up the host side of its veth; `alive` tells whether that container still runs. */
async function startContainer(registry: SandboxRegistry, record: SandboxRecord, image: ImageInfo, binds: Bind[], index: number, options: BootOptions): Promise<{pid: number; alive: () => boolean}> {
  options.onProgress?.(`booting ${record.name} (${record.address})`)
  const pid = await startNspawn({imageDir: image.dir, machine: record.machine, hostname: record.name, binds, logFile: record.logFile})
  record.pid = pid
  registry.write(record)
  await recordClaimPid(index, registry.recordFile(record.name), pid)
  const alive = () => isOurNspawn(record.pid, record.machine)
  try {
    await configureHostSide(index, {timeoutMs: 30_000, stillStarting: alive})
  } catch (error) {
    throw bootFailed(record, messageOf(error))
  }
  return {pid, alive}
}

/** Waits for sshd, repairing the guest's network from the host when it stays unreachable. */
async function waitForGuestSsh(record: SandboxRecord, pid: number, index: number, waitOptions: WaitOptions, options: BootOptions): Promise<void> {
  const {name} = record
  const alive = waitOptions.stillRunning
  // sshd unreachable after a while: check the guest's network unit between waits (see ensureGuestNetwork).
  const deadline = Date.now() + waitOptions.timeoutMs
  let ready = await waitForSsh(record.address, 22, {...waitOptions, timeoutMs: Math.min(GUEST_NETWORK_CHECK_MS, waitOptions.timeoutMs)})
  while ('failure' in ready && ready.failure === 'timeout' && alive() && Date.now() < deadline) {
    const repaired = await ensureGuestNetwork(pid, index)
    if (repaired) options.onProgress?.(`${name}: guest network repaired from the host (${repaired})`)
    ready = await waitForSsh(record.address, 22, {...waitOptions, timeoutMs: Math.max(0, Math.min(GUEST_NETWORK_CHECK_MS, deadline - Date.now()))})
  }
  if (!('failure' in ready)) {
    // sshd answers, but the unit may have failed after the address (no default route, a "degraded" guest).
    const repaired = await ensureGuestNetwork(pid, index, {settleMs: 5000})
    if (repaired) options.onProgress?.(`${name}: guest network repaired from the host (${repaired})`)
  }
  if ('failure' in ready) {
    const why = {timeout: `sshd did not answer on ${record.address}:22 in time`, exited: 'systemd-nspawn exited during boot', aborted: 'interrupted'}[ready.failure]
    throw bootFailed(record, why)
  }
}

/** A banner is not enough: waits until a real login with the sandbox's key works. */
async function waitForGuestLogin(record: SandboxRecord, waitOptions: WaitOptions): Promise<void> {
  const login = await waitForLogin({address: record.address, port: 22, user: 'root', identityFile: record.identityFile, hostKey: record.hostKey}, waitOptions)
  if ('failure' in login) {
    const why = {timeout: `sshd on ${record.address}:22 answered but refused logins`, exited: 'systemd-nspawn exited during boot', aborted: 'interrupted'}[login.failure]
    throw bootFailed(record, why)
  }
}

/** Records the sandbox as running (and as a host, when registering); its info for the caller. */
async function markRunning(registry: SandboxRegistry, record: SandboxRecord, boot: {pid: number; image: ImageInfo; bootStarted: number}, options: BootOptions): Promise<SandboxInfo> {
  record.bootSeconds = secondsSince(boot.bootStarted)
  record.state = 'running'
  Object.assign(record, traceContainer(boot.pid, boot.image.dir))
  if (options.register && options.store) {
    await options.store.hosts.put(hostRecordOf(record))
    record.registered = true
  }
  registry.write(record)
  return infoOf(record)
}

function exists(name: string): OdoopsError {
  return new OdoopsError('SANDBOX_EXISTS', `A sandbox named "${name}" already exists.`, {
    suggestions: [`Use it, or remove it first: odoops sandbox down --name ${name}`, 'Or choose another name: --name <other>'],
  })
}

function bootFailed(record: SandboxRecord, why: string): OdoopsError {
  const tail = tailOf(record.logFile, 15)
  return new OdoopsError('SANDBOX_BOOT_FAILED', `Sandbox ${record.name} did not come up: ${why}.${tail ? `\nLast lines of ${record.logFile}:\n${tail}` : ''}`, {
    suggestions: ['Run with --verbose and see the nspawn log above.', 'Check that systemd-nspawn works here: systemd-nspawn --version'],
    data: {name: record.name, machine: record.machine, address: record.address},
  })
}

/** The host record a sandbox is registered as (what `host add` would store, key pinned). */
export function hostRecordOf(record: Pick<SandboxRecord, 'name' | 'address' | 'port' | 'user' | 'identityFile' | 'hostKey'>): HostRecord {
  return {id: record.name, address: record.address, port: record.port, user: record.user, identityFile: record.identityFile, hostKey: record.hostKey, sandbox: true, tags: ['sandbox']}
}

function infoOf(record: SandboxRecord): SandboxInfo {
  return {
    name: record.name,
    machine: record.machine,
    address: record.address,
    hostAddress: record.hostAddress,
    port: record.port,
    user: record.user,
    identityFile: record.identityFile,
    hostKey: record.hostKey,
    hostPublicKey: readPublicKey(record),
    pid: record.pid ?? 0,
    bootSeconds: record.bootSeconds ?? 0,
    image: record.image,
    logFile: record.logFile,
    registered: record.registered,
    ...(record.fixtureAptDir ? {fixtureAptSource: FIXTURE_APT_SOURCE} : {}),
  }
}

function readPublicKey(record: SandboxRecord): string {
  try {
    return readFileSync(join(record.hostKeyDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim()
  } catch {
    return ''
  }
}

/** Running: its nspawn is alive. Stale: it will never run again (nspawn gone, or the `up` that started it died). */
function isRunning(record: SandboxRecord): boolean {
  return isOurNspawn(record.pid, record.machine)
}

function isStale(record: SandboxRecord): boolean {
  if (isRunning(record)) return false
  if (record.state === 'running' || record.pid) return true
  return !isProcessAlive(record.ownerPid ?? 0)
}

export interface RemovedSandbox {
  name: string
  machine: string
  stop: StopOutcome
  vethRemoved: boolean
  unregistered: boolean
}

/** Stop a sandbox and remove everything it created: process, veth, subnet claim, host record, files. */
async function removeSandbox(registry: SandboxRegistry, record: SandboxRecord, store?: StateStore): Promise<RemovedSandbox> {
  const stop = record.machine ? await stopNspawn(record.pid, record.machine) : 'not-running'
  if (stop !== 'stopped') await cleanContainerTrace({initPid: record.initPid, ephemeralDir: record.ephemeralDir})
  if (record.machine) removeSandboxCgroups(record.machine)
  const vethRemoved = record.index ? await removeVeth(record.index) : false
  if (record.index) await releaseSubnet(record.index, registry.recordFile(record.name))
  let unregistered = false
  if (store) {
    const host = await store.hosts.get(record.name)
    // Only our own record: never a real host that happens to share the name.
    if (host?.sandbox && host.address === record.address) unregistered = await store.hosts.delete(record.name)
  }
  registry.remove(record.name)
  return {name: record.name, machine: record.machine, stop, vethRemoved, unregistered}
}

async function stopProxyIfIdle(registry: SandboxRegistry): Promise<boolean> {
  return registry.withLock(async () => (registry.list().length === 0 ? stopProxy(registry.dir) : false))
}

export interface SandboxDownOptions {
  dataDir: string
  names?: string[]
  all?: boolean
  store?: StateStore
}

export interface SandboxDownResult {
  removed: RemovedSandbox[]
  proxyStopped: boolean
}

export async function sandboxDown(options: SandboxDownOptions): Promise<SandboxDownResult> {
  const registry = new SandboxRegistry(options.dataDir)
  let records: SandboxRecord[]
  if (options.all) {
    records = registry.list()
  } else {
    records = (options.names ?? []).map((name) => {
      const record = registry.read(name)
      if (!record) {
        throw new OdoopsError('SANDBOX_NOT_FOUND', `No sandbox named "${name}".`, {exit: ExitCode.USAGE, suggestions: ['List them: odoops sandbox list']})
      }
      return record
    })
  }
  if (records.length > 0) assertSandboxSupport()
  const removed = await Promise.all(records.map((record) => removeSandbox(registry, record, options.store)))
  const proxyStopped = await stopProxyIfIdle(registry)
  return {removed, proxyStopped}
}

export interface SandboxListEntry extends SandboxInfo {
  running: boolean
  state: SandboxRecord['state']
  createdAt: string
}

export interface SandboxListResult {
  sandboxes: SandboxListEntry[]
  /** Stale entries (their process gone) removed by this listing. */
  cleaned: string[]
}

export async function sandboxList(options: {dataDir: string; store?: StateStore; clean?: boolean}): Promise<SandboxListResult> {
  const registry = new SandboxRegistry(options.dataDir)
  const sandboxes: SandboxListEntry[] = []
  const cleaned: string[] = []
  for (const record of registry.list()) {
    if ((options.clean ?? true) && isStale(record)) {
      await removeSandbox(registry, record, options.store)
      cleaned.push(record.name)
      continue
    }
    sandboxes.push({...infoOf(record), running: isRunning(record), state: record.state, createdAt: record.createdAt})
  }
  if (cleaned.length > 0) await stopProxyIfIdle(registry)
  return {sandboxes, cleaned}
}

/**
 * Give a sandbox a new host key, as if the machine had been reinstalled: sshd inside serves
 * it from the next connection on (the key directory is bind-mounted, so the new files are
 * seen). The registry records the new fingerprint; a registered host record keeps the old
 * pin on purpose, which is what tests of host-key checking need.
 */
export async function regenerateHostKey(dataDir: string, name: string): Promise<{hostKey: string; previous: string}> {
  const registry = new SandboxRegistry(dataDir)
  const record = registry.read(name)
  if (!record) throw new OdoopsError('SANDBOX_NOT_FOUND', `No sandbox named "${name}".`, {exit: ExitCode.USAGE})
  const previous = record.hostKey
  const key = await generateKeyPair(join(record.hostKeyDir, 'ssh_host_ed25519_key'), `root@${name}`)
  registry.write({...record, hostKey: key.fingerprint})
  return {hostKey: key.fingerprint, previous}
}

function secondsSince(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10
}

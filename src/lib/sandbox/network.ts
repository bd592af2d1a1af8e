import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {OdoopsError} from '../errors.js'
import {acquireLockFile, removeLockIfOwned} from '../state/file-lock.js'
import {isProcessAlive} from '../process-alive.js'
import {pollUntil} from '../retry.js'
import {isOurProcess} from './processes.js'

/**
 * Sandbox networking. Each sandbox gets subnet 10.77.N.0/24 on its own veth pair: the host
 * side `ve-odoops-N` is 10.77.N.1, the sandbox's `host0` is 10.77.N.2. Subnets are claimed
 * machine-wide (one file per N under /run, created under a lock) because sandboxes of
 * different odoops data directories (parallel test runs, CI) share the machine's interfaces.
 * /run is a tmpfs, so claims vanish with a reboot, as do the sandboxes themselves.
 *
 * IPv4 forwarding is switched on while any sandbox runs, so sandbox A can reach sandbox B
 * (jump hosts), and restored by the last `down`.
 */
export const SUBNET_MAX = 254

export function sandboxRunDir(): string {
  return process.env.ODOOPS_SANDBOX_RUN_DIR || '/run/odoops/sandbox'
}

/** The nspawn machine name: short so the host-side veth `ve-<machine>` fits Linux's 15 characters untruncated. */
export function machineName(index: number): string {
  return `odoops-${index}`
}

export function vethName(index: number): string {
  return `ve-${machineName(index)}`
}

export function subnetAddresses(index: number): {address: string; hostAddress: string} {
  return {address: `10.77.${index}.2`, hostAddress: `10.77.${index}.1`}
}

export interface SubnetClaim {
  index: number
  machine: string
  /** Who holds it: the registry file of the sandbox. */
  owner: string
  claimerPid: number
  nspawnPid?: number
  claimedAt: string
}

function claimsDir(): string {
  return join(sandboxRunDir(), 'subnets')
}

function claimFile(index: number): string {
  return join(claimsDir(), `${index}.json`)
}

function readClaim(index: number): SubnetClaim | undefined {
  try {
    return JSON.parse(readFileSync(claimFile(index), 'utf8')) as SubnetClaim
  } catch {
    return undefined
  }
}

/** A claim is live while its nspawn runs, or (before nspawn started) while the claiming process lives. */
function isClaimLive(claim: SubnetClaim): boolean {
  if (claim.nspawnPid) return isOurProcess(claim.nspawnPid, 'systemd-nspawn', [`--machine=${claim.machine}`])
  return isProcessAlive(claim.claimerPid)
}

function liveClaims(): SubnetClaim[] {
  let names: string[]
  try {
    names = readdirSync(claimsDir())
  } catch {
    return []
  }
  return names
    .map((name) => /^(\d+)\.json$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => readClaim(Number(match[1])))
    .filter((claim): claim is SubnetClaim => claim !== undefined && isClaimLive(claim))
}

/** Subnet indexes already used on this machine's interfaces (ours or anyone's) and veth names that exist. */
export async function subnetsInUse(): Promise<Set<number>> {
  const used = new Set<number>()
  const {stdout: addresses} = await execa('ip', ['-o', '-4', 'addr', 'show'])
  for (const match of addresses.matchAll(/inet 10\.77\.(\d+)\.\d+\//g)) used.add(Number(match[1]))
  const {stdout: links} = await execa('ip', ['-o', 'link', 'show'])
  for (const match of links.matchAll(/: ve-odoops-(\d+)[@:]/g)) used.add(Number(match[1]))
  return used
}

async function withNetworkLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(claimsDir(), {recursive: true, mode: 0o700})
  const lockFile = join(sandboxRunDir(), 'network.lock')
  const owner = `sandbox-network-${process.pid}`
  const got = await acquireLockFile(lockFile, owner, {ttlMs: 60_000, timeoutMs: 60_000})
  if (!got.ok) {
    throw new OdoopsError('SANDBOX_BUSY', `Another odoops process (PID ${got.holder?.pid ?? '?'}) holds the sandbox network lock.`, {
      exit: 4,
      suggestions: ['Wait for the other sandbox command to finish, then run this one again.'],
    })
  }
  try {
    return await fn()
  } finally {
    removeLockIfOwned(lockFile, owner)
  }
}

/** Claim the lowest free subnet index for `owner` and make sure forwarding is on. */
export async function claimSubnet(owner: string): Promise<SubnetClaim> {
  return withNetworkLock(async () => {
    const inUse = await subnetsInUse()
    for (const claim of liveClaims()) inUse.add(claim.index)
    for (let index = 1; index <= SUBNET_MAX; index++) {
      if (inUse.has(index)) continue
      const claim: SubnetClaim = {index, machine: machineName(index), owner, claimerPid: process.pid, claimedAt: new Date().toISOString()}
      writeFileSync(claimFile(index), JSON.stringify(claim, null, 2) + '\n', {mode: 0o600})
      enableForwarding()
      return claim
    }
    throw new OdoopsError('SANDBOX_NO_SUBNET', 'All 254 sandbox subnets (10.77.1.0/24 … 10.77.254.0/24) are in use on this machine.', {
      suggestions: ['List and remove sandboxes you no longer need: odoops sandbox list; odoops sandbox down --name <name>'],
    })
  })
}

/** Record the nspawn PID in the claim: from now on the claim lives exactly as long as that process. */
export async function recordClaimPid(index: number, owner: string, nspawnPid: number): Promise<void> {
  await withNetworkLock(async () => {
    const claim = readClaim(index)
    if (!claim || claim.owner !== owner) return
    writeFileSync(claimFile(index), JSON.stringify({...claim, nspawnPid}, null, 2) + '\n', {mode: 0o600})
  })
}

/** Give the subnet back (only when `owner` holds it) and restore forwarding when no sandbox remains. */
export async function releaseSubnet(index: number, owner: string): Promise<void> {
  await withNetworkLock(async () => {
    const claim = readClaim(index)
    if (claim && (claim.owner === owner || !isClaimLive(claim))) rmSync(claimFile(index), {force: true})
    if (liveClaims().length === 0) restoreForwarding()
  })
}

const FORWARD = '/proc/sys/net/ipv4/ip_forward'

function forwardingRestoreFile(): string {
  return join(sandboxRunDir(), 'ip_forward.restore')
}

function enableForwarding(): void {
  const current = readFileSync(FORWARD, 'utf8').trim()
  if (current === '1') return
  writeFileSync(forwardingRestoreFile(), current + '\n')
  writeFileSync(FORWARD, '1\n')
}

function restoreForwarding(): void {
  const file = forwardingRestoreFile()
  if (!existsSync(file)) return
  writeFileSync(FORWARD, readFileSync(file, 'utf8'))
  rmSync(file, {force: true})
}

async function linkExists(name: string): Promise<boolean> {
  const result = await execa('ip', ['-o', 'link', 'show', 'dev', name], {reject: false})
  return result.exitCode === 0
}

/**
 * Configure the host side of a sandbox's veth once nspawn has created it. No networkd runs
 * on our machines, so nothing else does it (TESTING.md).
 */
export async function configureHostSide(index: number, options: {timeoutMs: number; stillStarting: () => boolean}): Promise<void> {
  const name = vethName(index)
  const appeared = async () => {
    if (await linkExists(name)) return true
    if (!options.stillStarting()) throw new Error(`systemd-nspawn exited before creating ${name}`)
    return false
  }
  if (!(await pollUntil(appeared, (yes) => yes, {timeoutMs: options.timeoutMs, intervalMs: 100}))) throw new Error(`${name} did not appear within ${Math.round(options.timeoutMs / 1000)} s`)
  const {hostAddress} = subnetAddresses(index)
  await execa('ip', ['addr', 'replace', `${hostAddress}/24`, 'dev', name])
  await execa('ip', ['link', 'set', name, 'up'])
}

/** Remove the host side of a veth pair if it outlived its sandbox (normally it goes with nspawn). */
export async function removeVeth(index: number): Promise<boolean> {
  const name = vethName(index)
  if (!(await linkExists(name))) return false
  await execa('ip', ['link', 'delete', name], {reject: false})
  return true
}

/** The container's init: the first child of its systemd-nspawn process. */
function containerLeader(nspawnPid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').trim().split(/\s+/)[0]
    return first ? Number(first) : undefined
  } catch {
    return undefined
  }
}

/**
 * Repairs the guest's network from the host when sshd is not reachable yet. systemd inside a
 * container sometimes fails to spawn odoops-net.service ("Failed at step CGROUP spawning
 * /usr/sbin/ip: No such file or directory", seen in about one in ten parallel boots): the unit
 * is then started again inside the container. A unit that ran but left host0 without its
 * address gets the address and default route set in the container's network namespace.
 * Nothing is done while the unit has not run yet (a slow boot). Returns what was done.
 */
export async function ensureGuestNetwork(nspawnPid: number, index: number, options: {settleMs?: number} = {}): Promise<'restarted-unit' | 'set-address' | undefined> {
  const leader = containerLeader(nspawnPid)
  if (!leader) return undefined
  const inGuest = (args: string[]) => execa('nsenter', ['-t', String(leader), '-a', ...args], {reject: false})
  const readState = async () => (await inGuest(['systemctl', 'show', '-p', 'ActiveState', '--value', 'odoops-net.service'])).stdout.trim()
  // `settleMs`: sshd already answers, so the unit is about to finish: wait for its outcome.
  const state = await pollUntil(readState, (s) => ['active', 'failed'].includes(s), {timeoutMs: options.settleMs ?? 0, intervalMs: 250})
  if (state === 'failed') {
    const restarted = await inGuest(['systemctl', 'restart', 'odoops-net.service'])
    if (restarted.exitCode === 0) return 'restarted-unit'
    // It failed part-way (the address set, not the route): its `ip addr add` now fails; finish it here.
  } else if (state !== 'active') {
    return undefined
  }
  const {address, hostAddress} = subnetAddresses(index)
  const inNetns = (args: string[]) => execa('nsenter', ['-t', String(leader), '-n', 'ip', ...args], {reject: false})
  const shown = await inNetns(['-o', '-4', 'addr', 'show', 'dev', 'host0'])
  const route = await inNetns(['-4', 'route', 'show', 'default'])
  if (state === 'active' && (shown.exitCode !== 0 || (shown.stdout.includes(`inet ${address}/`) && route.stdout.includes(`via ${hostAddress}`)))) return undefined
  await inNetns(['link', 'set', 'host0', 'up'])
  await inNetns(['addr', 'replace', `${address}/24`, 'dev', 'host0'])
  await inNetns(['route', 'replace', 'default', 'via', hostAddress])
  // The guest's view of itself must agree: a failed unit left behind would make it "degraded".
  await inGuest(['systemctl', 'reset-failed', 'odoops-net.service'])
  return 'set-address'
}

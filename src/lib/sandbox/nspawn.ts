import {existsSync, readFileSync, rmSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {inCgroups, prepareSandboxCgroups} from './cgroups.js'
import {childrenOf, commandLineOf, isOurProcess, isRunning, spawnDetached, waitForExit} from './processes.js'
import {pollUntil} from '../retry.js'

/**
 * Booting and stopping a sandbox with systemd-nspawn. The flags, and why (TESTING.md):
 * - `--boot`: systemd runs as PID 1 inside, so sshd, PostgreSQL and nginx are real services.
 * - `--register=no --keep-unit`: our machines have no systemd as PID 1 to register with
 *   (without them nspawn fails with "Failed to open system bus").
 * - `--ephemeral`: every boot runs on a throwaway copy of the cached image; nothing persists.
 * - `--network-veth`: a private network namespace, so each sandbox's PostgreSQL and nginx
 *   listen on their own address instead of colliding on the machine's ports.
 * - `--machine=` as one argument: `down` recognises its process by it in /proc/<pid>/cmdline.
 * User namespaces stay off (nspawn's default without -U): files in the image and the
 * bind-mounted keys keep root ownership, which sshd's permission checks require.
 */
export interface Bind {
  source: string
  target: string
}

export interface NspawnOptions {
  imageDir: string
  machine: string
  hostname: string
  binds: Bind[]
  logFile: string
}

/** nspawn separates source and target with ':'; a ':' inside a path is escaped as '\:'. */
function bindArgument({source, target}: Bind): string {
  const escape = (path: string) => path.replaceAll('\\', '\\\\').replaceAll(':', '\\:')
  return `--bind-ro=${escape(source)}:${escape(target)}`
}

export function nspawnArgs(options: NspawnOptions): string[] {
  return [
    '--quiet',
    '--ephemeral',
    '--boot',
    '--register=no',
    '--keep-unit',
    '--network-veth',
    // Boot messages and the login prompt go to our log file, not a terminal.
    '--console=read-only',
    `--machine=${options.machine}`,
    `--hostname=${options.hostname}`,
    '-D',
    options.imageDir,
    ...options.binds.map(bindArgument),
  ]
}

/**
 * Boot detached: the sandbox outlives the CLI process that started it. Returns nspawn's PID
 * once that PID runs nspawn (it starts as a shell that joins the sandbox's own cgroups, see
 * cgroups.ts, and then execs nspawn).
 */
export async function startNspawn(options: NspawnOptions): Promise<number> {
  const {command, args} = inCgroups(prepareSandboxCgroups(options.machine), 'systemd-nspawn', nspawnArgs(options))
  const pid = spawnDetached(command, args, options.logFile)
  await pollUntil(() => !isRunning(pid) || isOurNspawn(pid, options.machine), (done) => done, {timeoutMs: 5000, intervalMs: 10})
  return pid
}

export function isOurNspawn(pid: number | undefined, machine: string): boolean {
  return isOurProcess(pid, 'systemd-nspawn', [`--machine=${machine}`])
}

export type StopOutcome = 'stopped' | 'killed' | 'not-running'

/**
 * SIGTERM makes nspawn shut the container down in order (systemd inside gets its halt
 * signal); after `timeoutMs` the container's init and then nspawn are killed. The container
 * init is nspawn's child: killing it ends the container's whole PID namespace.
 */
export async function stopNspawn(pid: number | undefined, machine: string, timeoutMs = 20_000): Promise<StopOutcome> {
  if (!pid || !isOurNspawn(pid, machine)) return 'not-running'
  process.kill(pid, 'SIGTERM')
  if (await waitForExit(pid, timeoutMs)) return 'stopped'
  if (!isOurNspawn(pid, machine)) return 'stopped'
  for (const child of childrenOf(pid)) {
    try {
      process.kill(child, 'SIGKILL')
    } catch {
      // gone already
    }
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone already
  }
  await waitForExit(pid, 5000)
  return 'killed'
}

/**
 * What to clean if nspawn ever dies without shutting down (SIGKILL): the container's init
 * (nspawn's child, which would run on orphaned) and the `--ephemeral` copy, which nspawn
 * removes only on a normal exit. Read once the sandbox is up.
 */
export interface ContainerTrace {
  initPid?: number
  ephemeralDir?: string
}

export function traceContainer(pid: number, imageDir: string): ContainerTrace {
  const initPid = childrenOf(pid)[0]
  if (!initPid) return {}
  let ephemeralDir: string | undefined
  try {
    // mountinfo field 4 is the mount's root inside its filesystem, field 5 its mount point:
    // the container's "/" is the ephemeral copy `.#machine.<image>…` next to the image.
    for (const line of readFileSync(`/proc/${initPid}/mountinfo`, 'utf8').split('\n')) {
      const fields = line.split(' ')
      if (fields[4] !== '/') continue
      const candidate = join(dirname(imageDir), basename(fields[3] ?? ''))
      if (basename(candidate).startsWith('.#machine.') && existsSync(candidate)) ephemeralDir = candidate
    }
  } catch {
    // gone already
  }
  return {initPid, ...(ephemeralDir ? {ephemeralDir} : {})}
}

/** After an unclean end: kill an orphaned container init and remove the ephemeral copy. */
export async function cleanContainerTrace(trace: ContainerTrace): Promise<boolean> {
  let cleaned = false
  const init = trace.initPid
  // Orphaned: still running systemd but no longer under a systemd-nspawn (checked: PIDs get
  // reused, and another sandbox's init is the child of its own live nspawn).
  const parent = init ? parentOf(init) : undefined
  if (init && isRunning(init) && /(^|\/)(systemd|init)$/.test(commandLineOf(init)?.[0] ?? '') && !(parent && isOurProcess(parent, 'systemd-nspawn', []))) {
    process.kill(init, 'SIGKILL')
    await waitForExit(init, 5000)
    cleaned = true
  }
  if (trace.ephemeralDir && existsSync(trace.ephemeralDir) && !(init && isRunning(init))) {
    rmSync(trace.ephemeralDir, {recursive: true, force: true})
    const lock = join(dirname(trace.ephemeralDir), `.#${basename(trace.ephemeralDir)}.lck`)
    rmSync(lock, {force: true})
    cleaned = true
  }
  return cleaned
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

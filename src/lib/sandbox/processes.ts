import {spawn} from 'node:child_process'
import {closeSync, openSync, readdirSync, readFileSync} from 'node:fs'
import {isProcessAlive} from '../process-alive.js'
import {pollUntil} from '../retry.js'

/**
 * Long-lived processes a sandbox owns (systemd-nspawn, tinyproxy): started detached so they
 * outlive the CLI, recorded by PID, and only ever signalled after checking that the PID
 * still runs the very command we started (PIDs get reused).
 */

/** The argument vector of a running process, or undefined when it is gone. */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return raw.replace(/\0$/, '').split('\0')
  } catch {
    return undefined
  }
}

/** True when `pid` runs `program` with every one of `mustContain` among its arguments. */
export function isOurProcess(pid: number | undefined, program: string, mustContain: string[]): boolean {
  if (!pid || pid <= 1) return false
  const argv = commandLineOf(pid)
  if (!argv || argv.length === 0) return false
  if (!(argv[0] === program || argv[0].endsWith(`/${program}`))) return false
  return mustContain.every((needle) => argv.includes(needle))
}

/** PIDs whose parent is `pid` (for nspawn: the container's init). */
export function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Field 4 (ppid) comes after the command name in parentheses, which may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) children.push(Number(entry))
    } catch {
      // exited meanwhile
    }
  }
  return children
}

/** Start `command` in its own session with output appended to `logFile`; the caller's exit does not stop it. */
export function spawnDetached(command: string, args: string[], logFile: string): number {
  const log = openSync(logFile, 'a')
  try {
    const child = spawn(command, args, {detached: true, stdio: ['ignore', log, log]})
    // A spawn failure (ENOENT) is reported on the child's error event; pid is then undefined.
    child.on('error', () => {})
    if (!child.pid) throw new Error(`could not start ${command}`)
    child.unref()
    return child.pid
  } finally {
    closeSync(log)
  }
}

/** Wait until `pid` is gone (reaped or not ours to reap), up to `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  return pollUntil(() => !isRunning(pid), (gone) => gone, {timeoutMs, intervalMs: 100})
}

/** Alive and not a zombie (a detached child of this process stays a zombie until reaped). */
export function isRunning(pid: number): boolean {
  if (!isProcessAlive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

export function tailOf(file: string, lines = 20): string {
  try {
    // eslint-disable-next-line no-control-regex
    const text = readFileSync(file, 'utf8').replace(/\u001B\[[0-9;]*[A-Za-z]/g, '')
    return text.trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, connect} from 'node:net'
import {join} from 'node:path'
import {OdoopsError} from '../errors.js'
import {pollUntil} from '../retry.js'
import {isOurProcess, spawnDetached, tailOf, waitForExit} from './processes.js'

/**
 * The package proxy sandboxes reach Debian's archive through, as hosts on a private network
 * would: Debian's tinyproxy on the host, listening on every address (each sandbox talks to
 * the host side of its own veth) and allowing only 10.77.0.0/16. apt-cacher-ng answered
 * "503 Host not found" on our machines; tinyproxy works (TESTING.md).
 *
 * One proxy per odoops data directory, started by the first `sandbox up` and stopped by
 * the last `sandbox down`; its PID and port are recorded in `<dir>/proxy.json`.
 */
export interface ProxyState {
  pid: number
  port: number
  configFile: string
  startedAt: string
}

export function proxyDir(registryDir: string): string {
  return join(registryDir, 'proxy')
}

function stateFile(registryDir: string): string {
  return join(proxyDir(registryDir), 'proxy.json')
}

export function readProxyState(registryDir: string): ProxyState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(registryDir), 'utf8')) as ProxyState
  } catch {
    return undefined
  }
}

export function isProxyRunning(state: ProxyState | undefined): state is ProxyState {
  return Boolean(state && isOurProcess(state.pid, 'tinyproxy', [state.configFile]))
}

/** A TCP port nothing listens on right now (the kernel picks it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '0.0.0.0', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    socket.setTimeout(500)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

export function tinyproxyConfig(port: number): string {
  return [
    `Port ${port}`,
    'Listen 0.0.0.0',
    // tinyproxy drops root for this user after binding; logs go to stdout (our log file).
    'User nobody',
    'Group nogroup',
    'Timeout 600',
    'MaxClients 100',
    'Allow 127.0.0.1',
    'Allow 10.77.0.0/16',
    'DisableViaHeader Yes',
    'LogLevel Notice',
    '',
  ].join('\n')
}

/** The running proxy of this data directory, started if needed. Call under the registry lock. */
export async function ensureProxy(registryDir: string): Promise<ProxyState> {
  const current = readProxyState(registryDir)
  if (isProxyRunning(current)) return current
  const dir = proxyDir(registryDir)
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const configFile = join(dir, 'tinyproxy.conf')
  const logFile = join(dir, 'tinyproxy.log')
  let lastError = ''
  // The free port may be taken between our probe and tinyproxy's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    writeFileSync(configFile, tinyproxyConfig(port))
    const pid = spawnDetached('tinyproxy', ['-d', '-c', configFile], logFile)
    const started = async () => (!isOurProcess(pid, 'tinyproxy', [configFile]) ? 'exited' : (await answers(port)) ? 'answers' : 'starting')
    if ((await pollUntil(started, (s) => s !== 'starting', {timeoutMs: 5000, intervalMs: 100})) === 'answers') {
      const state: ProxyState = {pid, port, configFile, startedAt: new Date().toISOString()}
      writeFileSync(stateFile(registryDir), JSON.stringify(state, null, 2) + '\n')
      return state
    }
    await stopProcess(pid, configFile)
    lastError = tailOf(logFile, 5)
  }
  throw new OdoopsError('SANDBOX_PROXY_FAILED', `The package proxy for sandboxes (tinyproxy) did not start.${lastError ? `\n${lastError}` : ''}`, {
    suggestions: ['Check that tinyproxy is installed (apt-get install tinyproxy) and see ' + logFile],
  })
}

async function stopProcess(pid: number, configFile: string): Promise<void> {
  if (!isOurProcess(pid, 'tinyproxy', [configFile])) return
  process.kill(pid, 'SIGTERM')
  if (!(await waitForExit(pid, 5000)) && isOurProcess(pid, 'tinyproxy', [configFile])) process.kill(pid, 'SIGKILL')
}

/** Stop this data directory's proxy (call when no sandbox remains) and remove its files. */
export async function stopProxy(registryDir: string): Promise<boolean> {
  const state = readProxyState(registryDir)
  let stopped = false
  if (state && isProxyRunning(state)) {
    await stopProcess(state.pid, state.configFile)
    stopped = true
  }
  rmSync(proxyDir(registryDir), {recursive: true, force: true})
  return stopped
}

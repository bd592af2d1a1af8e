/**
 * A real OpenSSH server on 127.0.0.1 for fast SSH-layer tests (no sandbox needed).
 *
 *   const sshd = await sharedLocalSshd()       // one per test process, started lazily
 *   const target = sshd.target()               // SshTarget for root with the pinned key
 *   await sshd.addUser('odoops-t-a', {sudo: true})
 *
 * It runs `/usr/sbin/sshd -D` (Debian `openssh-server`) as root with its own config,
 * host key, authorized keys directory and log file (LogLevel DEBUG1, so channel and exec
 * requests are logged) in a temp directory, on a free port. Stopped at process exit;
 * users and sudoers files it created are removed then too.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fingerprintOfPublicKeyLine} from '../../src/lib/ssh/fingerprint.js'
import type {SshTarget} from '../../src/lib/ssh/target.js'

export const SSHD = '/usr/sbin/sshd'

export interface LocalSshd {
  readonly name: string
  readonly address: '127.0.0.1'
  readonly port: number
  readonly user: 'root'
  readonly identityFile: string
  /** Current host key fingerprint (SHA256:…). */
  hostKey: string
  readonly dir: string
  readonly logFile: string
  /** SshTarget for root (or `overrides`). */
  target(overrides?: Partial<SshTarget>): SshTarget
  /** Current length of the log, to read only what follows with `logSince`. */
  logSize(): number
  logSince(offset: number): string
  /** A local unix user who may log in with the same key; `sudo` grants NOPASSWD sudo. */
  addUser(name: string, options: {sudo: boolean}): SshTarget
  /** New host key (sshd restarted on the same port); returns its fingerprint. */
  regenerateHostKey(): Promise<string>
  /** Put back the original host key (sshd restarted). */
  restoreHostKey(): Promise<void>
  stop(): void
}

let shared: Promise<LocalSshd> | undefined

export function sharedLocalSshd(): Promise<LocalSshd> {
  shared ??= startLocalSshd().catch((error: unknown) => {
    shared = undefined
    throw error
  })
  return shared
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Resolves once something on port answers with an SSH banner. */
async function waitForBanner(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.setTimeout(1000)
      socket.once('data', (data) => {
        socket.destroy()
        resolve(data.toString().startsWith('SSH-'))
      })
      socket.once('error', () => resolve(false))
      socket.once('timeout', () => {
        socket.destroy()
        resolve(false)
      })
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`local sshd did not answer on 127.0.0.1:${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {stdio: 'ignore'})
}

export async function startLocalSshd(): Promise<LocalSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install -y openssh-server`)
  if (process.getuid?.() !== 0) throw new Error('the local sshd test helper needs root (it runs sshd and creates users)')
  const dir = mkdtempSync(join(tmpdir(), 'odoops-sshd-'))
  chmodSync(dir, 0o755) // other users' sessions read authorized_keys below
  mkdirSync('/run/sshd', {recursive: true}) // sshd's privilege separation directory
  const hostKeyFile = join(dir, 'ssh_host_ed25519_key')
  keygen(hostKeyFile, 'odoops-test-host')
  const original = {priv: readFileSync(hostKeyFile), pub: readFileSync(hostKeyFile + '.pub')}
  const identityFile = join(dir, 'id_ed25519')
  keygen(identityFile, 'odoops-test-client')
  const publicKey = readFileSync(identityFile + '.pub', 'utf8')
  const authDir = join(dir, 'authorized_keys')
  mkdirSync(authDir, {mode: 0o755})
  writeFileSync(join(authDir, 'root'), publicKey, {mode: 0o644})
  const port = await freePort()
  const logFile = join(dir, 'sshd.log')
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authDir}/%u`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'LogLevel DEBUG1',
      'MaxSessions 10',
      'MaxStartups 100:30:200',
      'AllowTcpForwarding yes',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  )
  const users: string[] = []
  const sudoersNames = new Set<string>()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(SSHD, ['-D', '-f', config, '-E', logFile], {stdio: 'ignore'})
    child.unref()
    await waitForBanner(port)
  }
  const stopDaemon = async () => {
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  const fingerprint = () => fingerprintOfPublicKeyLine(readFileSync(hostKeyFile + '.pub', 'utf8'))
  await start()

  const sshd: LocalSshd = {
    name: 'local-sshd',
    address: '127.0.0.1',
    port,
    user: 'root',
    identityFile,
    hostKey: fingerprint(),
    dir,
    logFile,
    target: (overrides = {}) => ({name: 'local-sshd', address: '127.0.0.1', port, user: 'root', identityFile, hostKey: sshd.hostKey, ...overrides}),
    logSize: () => (existsSync(logFile) ? readFileSync(logFile).length : 0),
    logSince: (offset) => (existsSync(logFile) ? readFileSync(logFile).subarray(offset).toString('utf8') : ''),
    addUser(name, {sudo}) {
      const exists = (() => {
        try {
          execFileSync('id', [name], {stdio: 'ignore'})
          return true
        } catch {
          return false
        }
      })()
      if (!exists) {
        execFileSync('useradd', ['-m', '-s', '/bin/bash', name], {stdio: 'ignore'})
        users.push(name)
      }
      execFileSync('usermod', ['-p', '*', name], {stdio: 'ignore'}) // not locked: UsePAM no refuses locked accounts
      writeFileSync(join(authDir, name), publicKey, {mode: 0o644})
      const sudoers = `/etc/sudoers.d/odoops-test-${name}`
      sudoersNames.add(name)
      if (sudo) writeFileSync(sudoers, `${name} ALL=(ALL) NOPASSWD:ALL\n`, {mode: 0o440})
      else rmSync(sudoers, {force: true})
      return sshd.target({name: `local-${name}`, user: name})
    },
    async regenerateHostKey() {
      rmSync(hostKeyFile, {force: true})
      rmSync(hostKeyFile + '.pub', {force: true})
      keygen(hostKeyFile, 'odoops-test-host-new')
      await stopDaemon()
      await start()
      sshd.hostKey = fingerprint()
      return sshd.hostKey
    },
    async restoreHostKey() {
      writeFileSync(hostKeyFile, original.priv, {mode: 0o600})
      writeFileSync(hostKeyFile + '.pub', original.pub)
      await stopDaemon()
      await start()
      sshd.hostKey = fingerprint()
    },
    stop() {
      if (child && child.exitCode === null) child.kill('SIGTERM')
      for (const name of sudoersNames) rmSync(`/etc/sudoers.d/odoops-test-${name}`, {force: true})
      for (const user of users.splice(0)) {
        try {
          execFileSync('userdel', ['-r', user], {stdio: 'ignore'})
        } catch {
          // already gone
        }
      }
      rmSync(dir, {recursive: true, force: true})
    },
  }
  process.once('exit', () => sshd.stop())
  appendFileSync(join(dir, 'README'), 'odoops test sshd; removed when the test process exits\n')
  return sshd
}

/**
 * The host the SSH and host tests run against:
 * - a real Debian 12 sandbox from test/helpers/sandbox.ts (`sharedSandbox('ssh')`), when
 *   sandboxes can run here (root, systemd-nspawn, cached image) — the default;
 * - otherwise, outside CI, the local OpenSSH server of test/helpers/local-sshd.ts
 *   (ODOOPS_TEST_SSH=local forces it: fast iterations on the SSH layer).
 * Under CI=true a missing sandbox fails the suite (requireSandboxes), never a silent skip.
 */
import type {SshConnection} from '../../src/lib/ssh/connection.js'
import {SshPool} from '../../src/lib/ssh/pool.js'
import type {SshTarget} from '../../src/lib/ssh/target.js'
import {sharedLocalSshd} from '../helpers/local-sshd.js'
import {requireSandboxes, sandboxesAvailable, sharedSandbox, SANDBOX_BOOT_TIMEOUT_MS} from '../helpers/sandbox.js'

export interface TestHost {
  kind: 'sandbox' | 'local'
  name: string
  address: string
  port: number
  identityFile: string
  hostKey: string
  /** SshTarget for root on this host. */
  target(overrides?: Partial<SshTarget>): SshTarget
}

export const TEST_HOST_TIMEOUT_MS = SANDBOX_BOOT_TIMEOUT_MS

export function useLocalSshd(): boolean {
  if (process.env.ODOOPS_TEST_SSH === 'local') return true
  return !process.env.CI && !sandboxesAvailable().ok
}

/** Call in a `before` (with `this.timeout(TEST_HOST_TIMEOUT_MS)`). */
export async function testHost(context: Mocha.Context, name = 'ssh'): Promise<TestHost> {
  if (useLocalSshd()) {
    const sshd = await sharedLocalSshd()
    return {kind: 'local', name: 'local-sshd', address: sshd.address, port: sshd.port, identityFile: sshd.identityFile, hostKey: sshd.hostKey, target: (o) => sshd.target(o)}
  }
  requireSandboxes(context)
  const info = await sharedSandbox(name)
  return {
    kind: 'sandbox',
    name: info.name,
    address: info.address,
    port: info.port,
    identityFile: info.identityFile,
    hostKey: info.hostKey,
    target: (o = {}) => ({name: info.name, address: info.address, port: info.port, user: 'root', identityFile: info.identityFile, hostKey: info.hostKey, ...o}),
  }
}

/**
 * A suite's `before` on the test host: its timeout, the host, a pool that ignores any SSH
 * agent and a connection as root through it. Close the pool in `after`.
 */
export async function connectTestHost(context: Mocha.Context): Promise<{host: TestHost; pool: SshPool; conn: SshConnection}> {
  context.timeout(TEST_HOST_TIMEOUT_MS)
  const host = await testHost(context)
  const pool = new SshPool({agentSocket: null})
  try {
    return {host, pool, conn: await pool.connect(host.target())}
  } catch (error) {
    await pool.closeAll()
    throw error
  }
}

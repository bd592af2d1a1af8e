import {expect} from 'chai'
import {isOdoopsError} from '../../src/lib/errors.js'
import {SshPool} from '../../src/lib/ssh/pool.js'
import {shell} from '../../src/lib/ssh/quote.js'
import type {SshTarget} from '../../src/lib/ssh/target.js'
import {sharedLocalSshd} from '../helpers/local-sshd.js'
import {dedicatedSandbox, requireSandboxes} from '../helpers/sandbox.js'
import {TEST_HOST_TIMEOUT_MS, useLocalSshd} from './test-host.js'

/**
 * A host whose key was regenerated (reinstall, or an impostor) is refused before any
 * command is sent: the command would create a marker file, and the server's log shows
 * no authentication and no session for the refused connection.
 */
describe('host key pinning @host', function () {
  it('refuses a regenerated host key with zero commands executed (checked in sshd log)', async function () {
    this.timeout(TEST_HOST_TIMEOUT_MS)
    const marker = `/tmp/odoops-must-not-exist-${process.pid}`
    const pool = new SshPool({agentSocket: null, connectTimeoutMs: 10_000})
    let pinned: SshTarget
    let regenerate: () => Promise<string>
    let serverLog: (target: SshTarget) => Promise<string>
    let cleanup: () => Promise<void>
    if (useLocalSshd()) {
      const sshd = await sharedLocalSshd()
      pinned = sshd.target()
      let offset = 0
      regenerate = async () => {
        const key = await sshd.regenerateHostKey()
        offset = sshd.logSize()
        return key
      }
      serverLog = async () => sshd.logSince(offset)
      cleanup = () => sshd.restoreHostKey()
    } else {
      requireSandboxes(this)
      const sandbox = await dedicatedSandbox()
      pinned = {name: sandbox.name, address: sandbox.address, port: sandbox.port, user: 'root', identityFile: sandbox.identityFile, hostKey: sandbox.hostKey}
      let since = ''
      regenerate = async () => {
        const c = await pool.connect(pinned)
        // journalctl --since has one-second resolution: start after this login's own log lines.
        since = (await c.run(shell`sleep 1.1; date '+%Y-%m-%d %H:%M:%S'`)).trim()
        await pool.closeAll()
        return sandbox.regenerateHostKey()
      }
      serverLog = async (fresh) => {
        const c = await pool.connect(fresh)
        return c.run(shell`journalctl -u ssh --no-pager -o cat --since ${since}`)
      }
      cleanup = () => sandbox.down()
    }
    try {
      const newKey = await regenerate()
      expect(newKey).to.not.equal(pinned.hostKey)
      let error: unknown
      try {
        const c = await pool.connect(pinned)
        await c.run(shell`touch ${marker}`)
      } catch (e) {
        error = e
      }
      expect(isOdoopsError(error) && error.code).to.equal('SSH_HOST_KEY_MISMATCH')
      expect(String((error as Error).message)).to.include(pinned.hostKey!).and.include(newKey)

      const fresh = {...pinned, hostKey: newKey}
      const log = await serverLog(fresh)
      const check = await pool.connect(fresh)
      expect((await check.exec(shell`test -e ${marker}`)).code, 'the marker command never ran').to.equal(1)
      if (useLocalSshd()) {
        // LogLevel DEBUG1: the refused connection ends in pre-auth, with no session or exec request.
        expect(log).to.match(/Connection from 127\.0\.0\.1/)
        expect(log).to.not.match(/Accepted publickey/)
        expect(log).to.not.match(/request exec|Starting session/)
      } else {
        // Since the key change: only our verification login authenticated (the refused one never did).
        expect(log.match(/Accepted publickey/g) ?? [], log).to.have.length(1)
      }
    } finally {
      await pool.closeAll()
      await cleanup()
    }
  })
})

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable, Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {SshPool} from '../../src/lib/ssh/pool.js'
import {shell, script, command} from '../../src/lib/ssh/quote.js'
import type {SshConnection} from '../../src/lib/ssh/connection.js'
import {asFileName, hostileStrings} from './hostile-strings.js'
import {connectTestHost, type TestHost} from './test-host.js'
import {failure} from '../helpers/failure.js'

/** Client-side TCP connections from this machine to address:port. */
function tcpConnectionsTo(address: string, port: number): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`, 'dst', address], {encoding: 'utf8'})
  return out.split('\n').filter((l) => l.trim()).length
}

describe('ssh layer @host', function () {
  let host: TestHost
  let pool: SshPool
  let conn: SshConnection

  before(async function () {
    ;({host, pool, conn} = await connectTestHost(this))
  })

  after(async () => {
    await pool?.closeAll()
  })

  it('pins the host key it was given and reports it', () => {
    expect(conn.hostKey).to.equal(host.hostKey)
  })

  it('gives 200 hostile strings back byte for byte as arguments of a remote printf', async () => {
    const strings = hostileStrings()
    const results = await Promise.all(strings.map((s) => conn.exec(shell`printf '%s' ${s}`)))
    results.forEach((r, i) => {
      expect(r.code, JSON.stringify(strings[i])).to.equal(0)
      expect(r.stdout.equals(Buffer.from(strings[i], 'utf8')), JSON.stringify(strings[i])).to.equal(true)
    })
    // All at once in one argv, NUL-separated on the way back.
    const all = await conn.run(shell`printf '%s\\0' ${strings}`)
    expect(all.split('\0').slice(0, -1)).to.deep.equal(strings)
  })

  it('creates 200 files with hostile names and lists them back exactly', async () => {
    const names = hostileStrings().map(asFileName)
    const dir = (await conn.run(shell`mktemp -d`)).trim()
    try {
      await conn.run(shell`cd ${dir} && touch -- ${names}`)
      const listed = (await conn.run(shell`find ${dir} -mindepth 1 -maxdepth 1 -printf '%f\\0'`)).split('\0').slice(0, -1)
      expect(listed.sort()).to.deep.equal([...new Set(names)].sort())
      // And each one by name, as an argument to another command.
      const sizes = await Promise.all(names.map((n) => conn.exec(command(['test', '-e', `${dir}/${n}`]))))
      expect(sizes.map((r) => r.code)).to.deep.equal(names.map(() => 0))
    } finally {
      await conn.run(shell`rm -rf -- ${dir}`)
    }
  })

  it('propagates exit codes and signals', async () => {
    expect((await conn.exec(shell`exit 0`)).code).to.equal(0)
    expect((await conn.exec(shell`exit 3`)).code).to.equal(3)
    expect((await conn.exec(shell`exit 255`)).code).to.equal(255)
    const killed = await conn.exec(shell`kill -TERM $$`)
    expect(killed).to.include({code: null, signal: 'SIGTERM'})
    const stderr = await conn.exec(shell`echo out; echo err >&2; exit 7`)
    expect(stderr.stdout.toString()).to.equal('out\n')
    expect(stderr.stderr.toString()).to.equal('err\n')
    expect(stderr.code).to.equal(7)
  })

  it('reports a failure anywhere in a pipeline (script: pipefail)', async () => {
    expect((await conn.exec(shell`false | cat`)).code, 'plain sh: the last command wins').to.equal(0)
    expect((await conn.exec(script(shell`false | cat`))).code).to.equal(1)
    expect((await conn.exec(script([shell`head -c 100 /dev/zero | (exit 4) | cat`, shell`echo not reached`]))).code).to.equal(4)
  })

  it('feeds stdin and closes it when none is given', async () => {
    expect((await conn.run(shell`cat`, {stdin: "line1\nit's\n"}))).to.equal("line1\nit's\n")
    expect(await conn.run(shell`cat`)).to.equal('') // would hang without EOF
    expect(await conn.run(shell`wc -c`, {stdin: Readable.from([Buffer.alloc(100_000, 1)])})).to.match(/^100000\s*$/)
  })

  it('stops a command at its timeout with SSH_TIMEOUT', async () => {
    const started = Date.now()
    const error = await failure(conn.exec(shell`sleep 30`, {timeoutMs: 500}))
    expect(error.code).to.equal('SSH_TIMEOUT')
    expect(Date.now() - started).to.be.below(5000)
    expect((await conn.exec(shell`true`)).code, 'the connection still works').to.equal(0)
  })

  it('streams 100 MB through execStream with flat memory', async function () {
    this.timeout(120_000)
    const size = 100 * 1024 * 1024
    global.gc?.()
    const baseline = process.memoryUsage().rss
    let peak = baseline
    let received = 0
    const stream = await conn.execStream(shell`head -c ${size} /dev/urandom`)
    await pipeline(
      stream.stdout,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          received += chunk.length
          peak = Math.max(peak, process.memoryUsage().rss)
          // A slow consumer: backpressure must hold the remote side, not our memory.
          if (received % (8 * 1024 * 1024) < chunk.length) setTimeout(callback, 20)
          else callback()
        },
      }),
    )
    const done = await stream.done
    expect(done.code).to.equal(0)
    expect(received).to.equal(size)
    expect(peak - baseline, `RSS grew by ${Math.round((peak - baseline) / 1048576)} MB`).to.be.below(50 * 1024 * 1024)
  })

  it('runs 50 concurrent commands over one TCP connection, at most maxSessions channels at a time', async function () {
    this.timeout(120_000)
    // A pool and connection of its own, so the counts below are this test's alone.
    const own = new SshPool({agentSocket: null})
    const tcpBefore = tcpConnectionsTo(host.address, host.port)
    try {
      const c = await own.connect(host.target())
      const results = await Promise.all(Array.from({length: 50}, (_, i) => c.exec(shell`sleep 0.2; echo ${i}`)))
      expect(results.map((r) => r.stdout.toString().trim())).to.deep.equal(Array.from({length: 50}, (_, i) => String(i)))
      expect(results.every((r) => r.code === 0)).to.equal(true)
      expect(await own.connect(host.target()), 'the pool reuses the connection').to.equal(c)
      expect(own.stats.connectionsOpened).to.equal(1)
      expect(tcpConnectionsTo(host.address, host.port) - tcpBefore, 'new TCP connections from here to the host').to.equal(1)
      expect(c.stats.channelsOpened).to.equal(50)
      expect(c.stats.peakActive).to.be.at.most(8).and.at.least(2)
    } finally {
      await own.closeAll()
    }
  })

  it('uploads and downloads over SFTP, streaming', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odoops-sftp-'))
    const local = join(dir, 'in.bin')
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7)
    writeFileSync(local, data)
    const remote = `/tmp/odoops-sftp-${process.pid} it's.bin`
    await conn.upload(local, remote)
    expect((await conn.run(shell`stat -c %s ${remote}`)).trim()).to.equal(String(data.length))
    await conn.download(remote, join(dir, 'out.bin'))
    expect(readFileSync(join(dir, 'out.bin')).equals(data)).to.equal(true)
    await conn.run(shell`rm -f -- ${remote}`)
  })

  it('refuses output beyond the buffer cap instead of holding it', async () => {
    const small = new SshPool({agentSocket: null, maxBuffer: 1024})
    try {
      const c = await small.connect(host.target())
      const error = await failure(c.exec(shell`head -c 100000 /dev/zero`))
      expect(error.code).to.equal('SSH_OUTPUT_TOO_LARGE')
    } finally {
      await small.closeAll()
    }
  })

  describe('connection errors, each with its own code and nothing retried', () => {
    const fresh = () => new SshPool({agentSocket: null, connectTimeoutMs: 3000})

    it('SSH_REFUSED when nothing listens on the port', async () => {
      const error = await failure(fresh().connect(host.target({port: 1})))
      expect(error.code).to.equal('SSH_REFUSED')
      expect(error.suggestions.join(' ')).to.match(/sshd|port/)
    })

    it('SSH_UNREACHABLE for a name that does not resolve', async () => {
      const error = await failure(fresh().connect(host.target({address: 'no-such-host.invalid'})))
      expect(error.code).to.equal('SSH_UNREACHABLE')
    })

    it('SSH_AUTH_FAILED with a key the host does not know', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'odoops-key-'))
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')])
      const error = await failure(fresh().connect(host.target({identityFile: join(dir, 'id')})))
      expect(error.code).to.equal('SSH_AUTH_FAILED')
      expect(error.message).to.include(join(dir, 'id'))
    })

    it('SSH_AUTH_FAILED explains an encrypted key when no passphrase can be asked', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'odoops-key-'))
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-pass', '-f', join(dir, 'id')])
      const error = await failure(fresh().connect(host.target({identityFile: join(dir, 'id')})))
      expect(error.code).to.equal('SSH_AUTH_FAILED')
      expect(error.message).to.match(/encrypted/)
      // With a passphrase callback (a TTY in real use) the same key decrypts.
      const asked: string[] = []
      const withPrompt = new SshPool({agentSocket: null, passphrase: async (file) => (asked.push(file), 'secret-pass')})
      const wrongKey = await failure(withPrompt.connect(host.target({identityFile: join(dir, 'id')})))
      expect(asked).to.deep.equal([join(dir, 'id')])
      expect(wrongKey.code, 'decrypted, but not authorised on the host').to.equal('SSH_AUTH_FAILED')
      expect(wrongKey.message).to.not.match(/encrypted/)
    })

    it('SSH_HOST_KEY_MISMATCH shows both fingerprints and host trust', async () => {
      const wrong = 'SHA256:' + 'A'.repeat(43)
      const error = await failure(fresh().connect(host.target({hostKey: wrong})))
      expect(error.code).to.equal('SSH_HOST_KEY_MISMATCH')
      expect(error.message).to.include(wrong).and.include(host.hostKey)
      expect(error.suggestions.join('\n')).to.include(`odoops host trust ${host.name}`)
    })

    it('SSH_HOST_KEY_UNKNOWN when no key is pinned or accepted', async () => {
      const error = await failure(fresh().connect(host.target({hostKey: undefined})))
      expect(error.code).to.equal('SSH_HOST_KEY_UNKNOWN')
      expect(error.data?.seen).to.equal(host.hostKey)
      expect(error.suggestions.join('\n')).to.include('--host-key').and.include('--trust-new-host-key')
    })
  })
})

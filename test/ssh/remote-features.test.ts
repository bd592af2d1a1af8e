import {expect} from 'chai'
import pg from 'pg'
import {SshPool} from '../../src/lib/ssh/pool.js'
import {script, shell} from '../../src/lib/ssh/quote.js'
import type {SshConnection} from '../../src/lib/ssh/connection.js'
import type {SshTarget} from '../../src/lib/ssh/target.js'
import {sharedLocalSshd} from '../helpers/local-sshd.js'
import {pgCluster} from '../helpers/pg-cluster.js'
import {hostileStrings} from './hostile-strings.js'
import {connectTestHost, testHost, TEST_HOST_TIMEOUT_MS, type TestHost} from './test-host.js'
import {failure} from '../helpers/failure.js'

describe('ssh: users, sudo, tunnels, jump hosts @host', function () {
  let host: TestHost
  let pool: SshPool
  let root: SshConnection

  before(async function () {
    ;({host, pool, conn: root} = await connectTestHost(this))
  })

  after(async () => {
    await pool?.closeAll()
  })

  /** A login user on the test host with the same key; `sudo` grants NOPASSWD sudo. */
  async function loginUser(name: string, sudo: boolean): Promise<SshTarget> {
    if (host.kind === 'local') return (await sharedLocalSshd()).addUser(name, {sudo})
    const home = `/home/${name}`
    await root.run(
      script([
        // sudo resolves the host name; without it in /etc/hosts (and no DNS) each sudo stalls on
        // lookups. Keep localhost resolvable too (PostgreSQL listens on "localhost").
        shell`grep -qw localhost /etc/hosts 2>/dev/null || printf '127.0.0.1 localhost\n::1 localhost\n' >> /etc/hosts`,
        shell`grep -qw "$(hostname)" /etc/hosts || echo "127.0.1.1 $(hostname)" >> /etc/hosts`,
        shell`id ${name} >/dev/null 2>&1 || useradd -m -s /bin/bash ${name}`,
        shell`install -d -m 700 -o ${name} -g ${name} ${home}/.ssh`,
        shell`install -m 600 -o ${name} -g ${name} /root/.ssh/authorized_keys ${home}/.ssh/authorized_keys`,
        sudo ? shell`echo ${`${name} ALL=(ALL) NOPASSWD:ALL`} > /etc/sudoers.d/${name} && chmod 440 /etc/sudoers.d/${name}` : shell`rm -f /etc/sudoers.d/${name}`,
      ]),
    )
    return host.target({name: `${host.name}-${name}`, user: name})
  }

  describe('non-root users', () => {
    it('runs root commands through sudo -n when the user may', async () => {
      const conn = await pool.connect(await loginUser('odoops-t-sudo', true))
      expect((await conn.run(shell`id -un`)).trim()).to.equal('odoops-t-sudo')
      expect((await conn.run(shell`id -u`, {root: true})).trim()).to.equal('0')
      // Quoting survives the extra sudo/sh -c level.
      const strings = hostileStrings().slice(0, 60)
      const back = await Promise.all(strings.map((s) => conn.exec(shell`printf '%s' ${s}`, {root: true})))
      back.forEach((r, i) => expect(r.stdout.toString('utf8'), JSON.stringify(strings[i])).to.equal(strings[i]))
    })

    it('fails fast with SSH_SUDO_DENIED (never a hang) when the user may not', async () => {
      const conn = await pool.connect(await loginUser('odoops-t-nosudo', false))
      expect((await conn.run(shell`id -un`)).trim()).to.equal('odoops-t-nosudo')
      const started = Date.now()
      const error = await failure(conn.exec(shell`id -u`, {root: true}))
      expect(error.code).to.equal('SSH_SUDO_DENIED')
      expect(error.suggestions.join('\n')).to.include('NOPASSWD').and.include('--user root')
      expect(Date.now() - started).to.be.below(10_000)
      // Commands that do not need root still work on the same connection.
      expect((await conn.exec(shell`true`)).code).to.equal(0)
    })
  })

  describe('local port forwarding', () => {
    it('lets pg query the host PostgreSQL on its loopback through the SSH connection', async function () {
      this.timeout(600_000)
      let remotePort: number
      let auth: {user: string; password?: string}
      if (host.kind === 'local') {
        const cluster = await pgCluster()
        remotePort = cluster.port
        auth = {user: 'postgres'}
      } else {
        // Install PostgreSQL in the sandbox (through its apt proxy) and give postgres a password.
        const password = `odoops-test-${process.pid}`
        const setup = await root.exec(
          script([
            shell`export DEBIAN_FRONTEND=noninteractive`,
            shell`command -v pg_lsclusters >/dev/null || { apt-get update -q && apt-get install -y -q postgresql; }`,
            // The cluster unit comes from a systemd generator: reload, then start the newest cluster.
            shell`cd /`,
            shell`version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)`,
            shell`systemctl daemon-reload`,
            // apt's postinst may be starting it at the same moment: tolerate that, then wait for it.
            shell`systemctl start "postgresql@$version-main" || pg_ctlcluster "$version" main start || true`,
            shell`for i in $(seq 1 60); do runuser -u postgres -- pg_isready -q -h 127.0.0.1 && break; sleep 1; done`,
            shell`runuser -u postgres -- pg_isready -h 127.0.0.1`,
            shell`runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -c ${`ALTER USER postgres PASSWORD '${password}'`}`,
          ]),
          {timeoutMs: 600_000},
        )
        expect(setup.code, `${setup.stdout.toString().slice(-2000)}\n${setup.stderr.toString().slice(-2000)}`).to.equal(0)
        remotePort = 5432
        auth = {user: 'postgres', password}
      }
      const forward = await root.forwardLocal('127.0.0.1', remotePort)
      const client = new pg.Client({host: forward.host, port: forward.port, database: 'postgres', ...auth})
      await client.connect()
      try {
        const result = await client.query('SELECT $1::text AS echo, current_setting($2) AS port', ["it's via ssh", 'port'])
        expect(result.rows[0]).to.deep.equal({echo: "it's via ssh", port: String(remotePort)})
      } finally {
        await client.end()
      }
      await forward.close()
    })
  })

  describe('jump hosts (ProxyJump)', () => {
    /**
     * Two topologies: A's own sshd on A's loopback (127.0.0.1:22), which only A can see,
     * and (with sandboxes) a second host B on its own veth subnet reached through A (this
     * machine routes between sandbox subnets while sandboxes run), where B must see the
     * login coming from A's address rather than from this machine.
     */
    it('reaches a host only the jump host can see, over the jump connection', async () => {
      const before = pool.stats.connectionsOpened
      const jumpTarget = host.target()
      const inner: SshTarget = host.target({name: `${host.name}-inner`, address: '127.0.0.1', jump: jumpTarget})
      const conn = await pool.connect(inner)
      expect(pool.stats.connectionsOpened - before, 'only the inner connection is new: the jump connection is reused').to.equal(1)
      const sshConnection = (await conn.run(shell`echo "$SSH_CONNECTION"`)).trim().split(' ')
      expect(sshConnection[0], 'the inner login comes from the jump host itself').to.equal('127.0.0.1')
      expect(sshConnection[3]).to.equal(String(host.port))
      expect((await conn.run(shell`printf '%s' ${"it's jumped"}`))).to.equal("it's jumped")
      await conn.close()
    })

    it('reaches another host B through A: B sees the login coming from A', async function () {
      if (host.kind !== 'sandbox') this.skip()
      this.timeout(TEST_HOST_TIMEOUT_MS)
      const b = await testHost(this, 'a')
      const viaA = b.target({name: `${b.name}-via-${host.name}`, jump: host.target()})
      const conn = await pool.connect(viaA)
      const sshConnection = (await conn.run(shell`echo "$SSH_CONNECTION"`)).trim().split(' ')
      expect(sshConnection[2], 'the login lands on B').to.equal(b.address)
      expect(sshConnection[0], 'and comes from A, the jump host').to.equal(host.address)
      const direct = await pool.connect(b.target())
      const directFrom = (await direct.run(shell`echo "$SSH_CONNECTION"`)).trim().split(' ')[0]
      expect(directFrom, 'a direct login comes from elsewhere (this machine)').to.not.equal(host.address)
      await conn.close()
    })

    it('reports a refused target behind the jump host as SSH_REFUSED, naming the jump host', async () => {
      const inner: SshTarget = host.target({name: 'behind-jump', address: '127.0.0.1', port: 1, jump: host.target()})
      const error = await failure(pool.connect(inner))
      expect(error.code).to.equal('SSH_REFUSED')
      expect(error.message).to.include(`jump host "${host.name}"`)
    })
  })
})

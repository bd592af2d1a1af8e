import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isOdoopsError, type OdoopsError} from '../../src/lib/errors.js'
import {addHost, checkHost, evaluateFacts, execOnHost, parseFacts, removeHost, trustHost, validateHostName} from '../../src/lib/hosts/index.js'
import {SshPool} from '../../src/lib/ssh/pool.js'
import {LocalStore} from '../../src/lib/state/local-store.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {testHost, TEST_HOST_TIMEOUT_MS, type TestHost} from '../ssh/test-host.js'
import {failure} from '../helpers/failure.js'

function freshStore(): StateStore {
  return LocalStore.open(mkdtempSync(join(tmpdir(), 'odoops-hosts-')))
}

const FACTS = `os_id=debian
os_version=12
os_name=Debian GNU/Linux 12 (bookworm)
arch=x86_64
cpus=4
mem_kb=8000000
disk_free_kb:/=50000000
disk_free_kb:/var/lib=50000000
pid1=systemd
user=root
root=yes
pg_versions=15 
pg_running=yes
nginx_installed=yes
nginx_version=1.22.1
nginx_running=no
odoo_package=17.0.20240101
odoo_version=Odoo Server 17.0
`

describe('hosts', () => {
  describe('names', () => {
    it('accepts valid names and refuses others with exit 2', () => {
      for (const ok of ['web1', 'a', '0-db', 'x'.repeat(63)]) expect(validateHostName(ok)).to.equal(ok)
      for (const bad of ['', 'Web1', '-web', 'web_1', 'web 1', 'x'.repeat(64), "a'b", 'a;b', 'wéb', 'a.b']) {
        let error: unknown
        try {
          validateHostName(bad)
        } catch (e) {
          error = e
        }
        expect(isOdoopsError(error) && error.code, JSON.stringify(bad)).to.equal('HOST_NAME_INVALID')
        expect((error as OdoopsError).exit).to.equal(2)
      }
    })
  })

  describe('facts', () => {
    it('parses the facts script output', () => {
      const facts = parseFacts(FACTS)
      expect(facts.os).to.deep.equal({id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', arch: 'x86_64'})
      expect(facts).to.include({cpus: 4, memoryMb: 7812, systemd: true, root: true})
      expect(facts.diskFreeMb).to.deep.equal({'/': 48828, '/var/lib': 48828})
      expect(facts.postgresql).to.deep.equal({installed: true, versions: ['15'], running: true})
      expect(facts.nginx).to.deep.equal({installed: true, version: '1.22.1', running: false})
      expect(facts.odoo).to.deep.equal({package: '17.0.20240101', version: '17.0'})
      expect(evaluateFacts(facts)).to.deep.equal([])
    })

    it('fails without systemd, on a non-Debian OS, without root; warns on low memory', () => {
      const facts = parseFacts(FACTS.replace('pid1=systemd', 'pid1=init').replace('os_id=debian', 'os_id=alpine').replace('root=yes', 'root=no').replace('mem_kb=8000000', 'mem_kb=1000000'))
      const problems = evaluateFacts(facts)
      expect(problems.filter((p) => p.level === 'error').map((p) => p.code).sort()).to.deep.equal(['NO_ROOT', 'NO_SYSTEMD', 'OS_UNSUPPORTED'])
      expect(problems.filter((p) => p.level === 'warning').map((p) => p.code)).to.deep.equal(['LOW_MEMORY'])
    })
  })

  describe('inventory @host', function () {
    let host: TestHost
    let pool: SshPool

    before(async function () {
      this.timeout(TEST_HOST_TIMEOUT_MS)
      host = await testHost(this)
      pool = new SshPool({agentSocket: null})
    })

    after(async () => {
      await pool?.closeAll()
      delete process.env.ODOOPS_SSH_CONFIG
    })

    const input = (name: string, extra: Record<string, unknown> = {}) => ({name, address: host.address, port: host.port, identity: host.identityFile, ...extra})

    it('adds a host with --host-key and pins it', async () => {
      const store = freshStore()
      const {host: record} = await addHost(store, input('web1', {hostKey: host.hostKey}), {pool})
      expect(record).to.include({id: 'web1', address: host.address, port: host.port, user: 'root', hostKey: host.hostKey})
      expect((await store.hosts.get('web1'))?.hostKey).to.equal(host.hostKey)
    })

    it('records nothing when the given key does not match', async () => {
      const store = freshStore()
      const error = await failure(addHost(store, input('web1', {hostKey: 'SHA256:' + 'B'.repeat(43)}), {pool}))
      expect(error.code).to.equal('SSH_HOST_KEY_MISMATCH')
      expect(await store.hosts.count()).to.equal(0)
    })

    it('without a key and nobody to ask: SSH_HOST_KEY_UNKNOWN with the fingerprint and both flags', async () => {
      const store = freshStore()
      const error = await failure(addHost(store, input('web1'), {pool}))
      expect(error.code).to.equal('SSH_HOST_KEY_UNKNOWN')
      expect(error.message).to.include(host.hostKey)
      expect(error.suggestions.join('\n')).to.include(`--host-key ${host.hostKey}`).and.include('--trust-new-host-key')
      expect(await store.hosts.count()).to.equal(0)
    })

    it('asks on a terminal (confirmKey), and records only a yes', async () => {
      const store = freshStore()
      const asked: string[] = []
      const no = await failure(addHost(store, input('web1'), {pool, confirmKey: async (q) => (asked.push(q.fingerprint), false)}))
      expect(no.code).to.equal('HOST_KEY_REJECTED')
      expect(await store.hosts.count()).to.equal(0)
      const {host: record} = await addHost(store, input('web1'), {pool, confirmKey: async (q) => (asked.push(q.fingerprint), true)})
      expect(asked).to.deep.equal([host.hostKey, host.hostKey])
      expect(record.hostKey).to.equal(host.hostKey)
    })

    it('--trust-new-host-key pins the key offered; a wrong address records nothing', async () => {
      const store = freshStore()
      const {host: record} = await addHost(store, input('web1', {trustNewHostKey: true}), {pool})
      expect(record.hostKey).to.equal(host.hostKey)
      const refused = await failure(addHost(store, input('web2', {port: 1, trustNewHostKey: true}), {pool}))
      expect(refused.code).to.equal('SSH_REFUSED')
      expect(await store.hosts.get('web2')).to.equal(undefined)
      const dup = await failure(addHost(store, input('web1', {trustNewHostKey: true}), {pool}))
      expect(dup.code).to.equal('HOST_EXISTS')
    })

    it('resolves a ~/.ssh/config alias (HostName, Port, User, IdentityFile)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'odoops-sshconfig-'))
      const config = join(dir, 'config')
      writeFileSync(config, `Host prod-erp\n  HostName ${host.address}\n  Port ${host.port}\n  User root\n  IdentityFile ${host.identityFile}\n\nHost *\n  ServerAliveInterval 30\n`)
      process.env.ODOOPS_SSH_CONFIG = config
      const store = freshStore()
      const result = await addHost(store, {name: 'prod-erp', hostKey: host.hostKey}, {pool})
      expect(result.source).to.equal('ssh-config')
      expect(result.host).to.include({address: host.address, port: host.port, user: 'root', identityFile: host.identityFile})
      const unknown = await failure(addHost(store, {name: 'not-in-config'}, {pool}))
      expect(unknown.code).to.equal('HOST_ADDRESS_REQUIRED')
      delete process.env.ODOOPS_SSH_CONFIG
    })

    it('registers a host behind a jump host and runs commands through it', async () => {
      const store = freshStore()
      await addHost(store, input('bastion', {hostKey: host.hostKey}), {pool})
      await addHost(store, {name: 'inner', address: '127.0.0.1', port: host.port, identity: host.identityFile, jump: 'bastion', hostKey: host.hostKey}, {pool})
      const result = await execOnHost(store, 'inner', ['sh', '-c', 'echo "$SSH_CONNECTION"'], {pool})
      expect(result.stdout.split(' ')[0]).to.equal('127.0.0.1')
      const inUse = await failure(removeHost(store, 'bastion'))
      expect(inUse.code).to.equal('HOST_IN_USE')
    })

    it('runs an argv exactly as given (host exec) and returns the remote exit code', async () => {
      const store = freshStore()
      await addHost(store, input('web1', {hostKey: host.hostKey}), {pool})
      const echoed = await execOnHost(store, 'web1', ['printf', '%s|', "it's", '$(id)', 'a b', ''], {pool})
      expect(echoed).to.include({code: 0, stdout: "it's|$(id)|a b||"})
      const failed = await execOnHost(store, 'web1', ['sh', '-c', 'exit 5'], {pool})
      expect(failed.code).to.equal(5)
    })

    it('checks a host in one round trip and stores the facts', async () => {
      const store = freshStore()
      await addHost(store, input('web1', {hostKey: host.hostKey}), {pool})
      const connection = await pool.connect(host.target({name: 'web1'}))
      const channelsBefore = connection.stats.channelsOpened
      const result = await checkHost(store, 'web1', pool)
      expect(connection.stats.channelsOpened - channelsBefore, 'one remote command').to.equal(1)
      expect(result.facts.cpus).to.be.greaterThan(0)
      expect(result.facts.memoryMb).to.be.greaterThan(100)
      expect(result.facts.diskFreeMb['/var/lib']).to.be.greaterThan(0)
      expect(result.facts.user).to.equal('root')
      if (host.kind === 'sandbox') {
        expect(result.facts.os).to.include({id: 'debian', version: '12'})
        expect(result.facts.systemd).to.equal(true)
        expect(result.ok, JSON.stringify(result.problems)).to.equal(true)
      } else {
        // This machine has no systemd as PID 1: it cannot run Odoo, and says so.
        expect(result.facts.systemd).to.equal(false)
        expect(result.ok).to.equal(false)
        expect(result.problems.map((p) => p.code)).to.include('NO_SYSTEMD')
      }
      expect(((await store.hosts.get('web1'))?.facts as {cpus?: number}).cpus).to.equal(result.facts.cpus)
    })

    it('trust re-pins only with the right fingerprint; remove is refused while tenants live on the host', async () => {
      const store = freshStore()
      await store.hosts.put({id: 'web1', address: host.address, port: host.port, user: 'root', identityFile: host.identityFile, hostKey: 'SHA256:' + 'C'.repeat(43)})
      const noKey = await failure(trustHost(store, 'web1', {}, {pool}))
      expect(noKey.code).to.equal('SSH_HOST_KEY_UNKNOWN')
      expect(noKey.message).to.include(host.hostKey).and.include('C'.repeat(43))
      const wrong = await failure(trustHost(store, 'web1', {hostKey: 'SHA256:' + 'D'.repeat(43)}, {pool}))
      expect(wrong.code).to.equal('SSH_HOST_KEY_MISMATCH')
      const trusted = await trustHost(store, 'web1', {hostKey: host.hostKey}, {pool})
      expect(trusted).to.include({changed: true, previous: 'SHA256:' + 'C'.repeat(43)})
      expect((await store.hosts.get('web1'))?.hostKey).to.equal(host.hostKey)

      await store.tenants.put({id: 'acme', host: 'web1', mode: 'shared', domain: 'acme.example', series: '17.0', database: 'acme', state: 'active'})
      const inUse = await failure(removeHost(store, 'web1'))
      expect(inUse.code).to.equal('HOST_IN_USE')
      expect(inUse.data?.tenants).to.deep.equal(['acme'])
      await store.tenants.delete('acme')
      await removeHost(store, 'web1')
      expect(await store.hosts.count()).to.equal(0)
    })
  })
})

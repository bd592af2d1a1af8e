import {expect} from 'chai'
import {execa} from 'execa'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {bookwormSourcesList, debianArchive, parseDeb822Sources, parseOneLineSources} from '../../src/lib/sandbox/apt-sources.js'
import {fingerprintOf, generateKeyPair} from '../../src/lib/sandbox/keys.js'
import {nspawnArgs} from '../../src/lib/sandbox/nspawn.js'
import {machineName, vethName} from '../../src/lib/sandbox/network.js'
import {SandboxRegistry, type SandboxRecord} from '../../src/lib/sandbox/registry.js'
import {plannedNames} from '../../src/lib/sandbox/sandbox.js'
import {tinyproxyConfig} from '../../src/lib/sandbox/proxy.js'
import {requireTool} from '../helpers/tools.js'

describe('sandbox parts', () => {
  describe('apt sources', () => {
    const deb822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`
    it('takes the machine archive and security archive from deb822 sources, skipping deb-src', () => {
      const sources = parseDeb822Sources(deb822)
      expect(sources.map((s) => s.uri)).to.deep.equal(['http://mirror.example/debian', 'http://mirror.example/debian-security'])
      expect(debianArchive(sources)).to.deep.equal({mirror: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security'})
      expect(bookwormSourcesList(debianArchive(sources))).to.equal(
        'deb http://mirror.example/debian bookworm main\ndeb http://mirror.example/debian bookworm-updates main\ndeb http://mirror.example/debian-security bookworm-security main\n',
      )
    })

    it('reads one-line sources with options and comments', () => {
      const sources = parseOneLineSources('# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main contrib\ndeb-src http://m.example/debian bookworm main\n')
      expect(sources).to.deep.equal([{uri: 'http://m.example/debian', suites: ['bookworm'], components: ['main', 'contrib']}])
    })

    it('refuses to guess a mirror when none is configured', () => {
      expect(() => debianArchive([])).to.throw().with.property('code', 'SANDBOX_NO_APT_SOURCE')
    })
  })

  describe('keys', () => {
    it('computes the same SHA256 fingerprint as ssh-keygen -l', async function () {
      requireTool(this, 'ssh-keygen', {debianPackage: 'openssh-client'})
      const dir = mkdtempSync(join(tmpdir(), 'odoops-keys-'))
      const pair = await generateKeyPair(join(dir, 'key'), 'test')
      const {stdout} = await execa('ssh-keygen', ['-l', '-f', pair.publicKeyFile])
      expect(stdout.split(' ')[1]).to.equal(pair.fingerprint)
      expect(pair.fingerprint).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/)
      // Regenerating replaces the pair without prompting, with a different key.
      const again = await generateKeyPair(join(dir, 'key'), 'test')
      expect(again.fingerprint).to.not.equal(pair.fingerprint)
      expect(fingerprintOf(readFileSync(join(dir, 'key.pub'), 'utf8'))).to.equal(again.fingerprint)
    })
  })

  describe('nspawn and network naming', () => {
    it('keeps veth names within the 15 characters Linux allows, for every subnet', () => {
      expect(vethName(254)).to.equal('ve-odoops-254')
      expect(vethName(254).length).to.be.at.most(15)
      expect(machineName(7)).to.equal('odoops-7')
    })

    it('boots ephemeral, unregistered, on a veth, with read-only binds and escaped colons', () => {
      const args = nspawnArgs({imageDir: '/img', machine: 'odoops-3', hostname: 'demo', logFile: '/l', binds: [{source: '/a:b', target: '/etc/x'}]})
      for (const flag of ['--ephemeral', '--boot', '--register=no', '--keep-unit', '--network-veth', '--machine=odoops-3', '--hostname=demo']) expect(args).to.include(flag)
      expect(args).to.include('--bind-ro=/a\\:b:/etc/x')
    })

    it('lets the proxy serve sandbox subnets only', () => {
      const config = tinyproxyConfig(3128)
      expect(config).to.match(/^Port 3128$/m)
      expect(config).to.match(/^Allow 10\.77\.0\.0\/16$/m)
      expect(config).to.not.match(/^Allow 0\.0\.0\.0/m)
    })
  })

  describe('registry', () => {
    const record = (name: string): SandboxRecord => ({
      name, machine: '', index: 0, address: '', hostAddress: '', port: 22, user: 'root', identityFile: '', hostKey: '', hostKeyDir: '',
      image: 'bookworm-base', imageDir: '', logFile: '', state: 'starting', registered: false, createdAt: new Date().toISOString(),
    })

    it('gives a name to one claimant only and plans free default names', () => {
      const registry = new SandboxRegistry(mkdtempSync(join(tmpdir(), 'odoops-sbx-reg-')))
      expect(registry.claim(record('sbx-1'))).to.equal(true)
      expect(registry.claim(record('sbx-1'))).to.equal(false)
      expect(plannedNames(registry, undefined, 2)).to.deep.equal(['sbx-2', 'sbx-3'])
      expect(plannedNames(registry, 'demo', 1)).to.deep.equal(['demo'])
      expect(plannedNames(registry, 'demo', 2)).to.deep.equal(['demo-1', 'demo-2'])
      registry.remove('sbx-1')
      expect(registry.list()).to.deep.equal([])
    })
  })
})

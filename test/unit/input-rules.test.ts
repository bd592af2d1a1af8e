import {expect} from 'chai'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseDocument} from 'yaml'
import {knownKey, parseValue} from '../../src/lib/config/settings.js'
import {directoryProblem, ensureDirSync, outputFileProblem} from '../../src/lib/fs/ensure-dir.js'
import {hostAddressProblem, validateHostAddress, validateHostUser} from '../../src/lib/names/host.js'
import {peppolEasCodes, peppolEndpointProblem} from '../../src/lib/names/peppol.js'
import {parseStateLocation} from '../../src/lib/state/open.js'
import {documentData} from '../../src/lib/yaml-document.js'

/** The rules behind careless and hostile input (issue 20); test/e2e/hostile-input.test.ts runs them through the CLI. */
describe('input rules: paths, host addresses and users, Peppol endpoints, YAML aliases, settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'odoops-rules-'))
  const file = join(dir, 'a-file')
  writeFileSync(file, 'x')

  it('a directory path: refused under kernel file systems, below a file, empty, with NUL or too long; nothing created', () => {
    expect(directoryProblem(join(dir, 'new', 'deeper'))).to.equal(undefined)
    expect(directoryProblem(dir, {writable: true})).to.equal(undefined)
    if (existsSync('/dev/shm')) expect(directoryProblem('/dev/shm/odoops-never-made')).to.equal(undefined)
    for (const path of ['/proc/nope/x', '/proc', '/proc/self/x', '/sys/kernel/x', '/dev/nope']) expect(directoryProblem(path), path).to.match(/virtual file system/)
    expect(directoryProblem(file)).to.match(/exists and is not a directory/)
    expect(directoryProblem(join(file, 'x'))).to.match(/is not a directory, so .* cannot be created/)
    expect(directoryProblem('')).to.match(/empty/)
    expect(directoryProblem('/tmp/a\0b')).to.match(/NUL/)
    expect(directoryProblem('/tmp/' + 'a'.repeat(5000))).to.match(/characters long/)
    expect(() => ensureDirSync('/proc/nope/x', {invalid: (problem) => new Error(problem)})).to.throw(/virtual file system/)
  })

  it('an output file: a new or regular file in an existing directory', () => {
    expect(outputFileProblem(join(dir, 'out.json'))).to.equal(undefined)
    expect(outputFileProblem(file)).to.equal(undefined)
    expect(outputFileProblem(dir)).to.match(/is a directory/)
    expect(outputFileProblem('/dev/null')).to.match(/not a regular file/)
    expect(outputFileProblem(join(dir, 'missing', 'out.json'))).to.match(/does not exist/)
    expect(outputFileProblem('/proc/nope.json')).to.match(/virtual file system/)
  })

  it('host addresses: DNS names (RFC 1123), IPv4, IPv6 with or without brackets; nothing SSH could read as more', () => {
    for (const ok of ['web1', 'web1.example.com', 'a-b.example.co.uk', '203.0.113.10', '::1', '2001:db8::1', '[2001:db8::1]', 'x'.repeat(63) + '.example.com']) expect(hostAddressProblem(ok), ok).to.equal(undefined)
    for (const bad of ['', 'a b;touch x', 'h\nProxyCommand x', '-oProxyCommand=x', 'a'.repeat(100_000), '[web1]', '[::1', '999.1.1.1', 'web_1.example.com', '-web1', 'web1-.example.com', 'x'.repeat(64) + '.example.com', `${'a.'.repeat(127)}ab`]) {
      expect(hostAddressProblem(bad), JSON.stringify(bad.slice(0, 40))).to.be.a('string')
    }
    expect(validateHostAddress('[2001:db8::1]')).to.equal('2001:db8::1')
    expect(() => validateHostAddress('a b', {name: 'db-2'})).to.throw().with.property('code', 'HOST_ADDRESS_INVALID')
  })

  it('host users: POSIX portable names, at most 32 characters', () => {
    for (const ok of ['root', 'deploy', '_svc', 'odoo-admin', 'machine$', 'a'.repeat(32)]) expect(validateHostUser(ok), ok).to.equal(ok)
    for (const bad of ['root;id', 'Root', '-x', '1user', 'a b', '', 'a'.repeat(33), 'us$er']) {
      expect(() => validateHostUser(bad), bad).to.throw().with.property('code', 'HOST_USER_INVALID')
    }
  })

  it('Peppol endpoints: scheme:value with a scheme of the EAS code list shipped with the export rules', () => {
    expect(peppolEasCodes()).to.include.members(['0208', '9925', '0088'])
    expect(peppolEndpointProblem('0208:0123456789')).to.equal(undefined)
    expect(peppolEndpointProblem('nocolon')).to.match(/scheme:value/)
    expect(peppolEndpointProblem('1234:0123456789')).to.match(/EAS code list/)
    expect(peppolEndpointProblem('0208:')).to.match(/identifier/)
    expect(peppolEndpointProblem('0208:01 23')).to.match(/identifier/)
  })

  it('YAML: an alias bomb or an alias to no anchor is a problem, not an exception', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill('*' + 'abcdefghi'[i]).join(',')}]`)].join('\n')
    expect(documentData(parseDocument(bomb))).to.have.property('problem').that.matches(/billion laughs/)
    expect(documentData(parseDocument('a: *nowhere'))).to.have.property('problem').that.matches(/nowhere/)
    expect(documentData(parseDocument('a: &x 1\nb: *x'))).to.deep.equal({data: {a: 1, b: 1}})
  })

  it('--state: empty, a file, a device, a file URL with a host are STATE_URL_INVALID', () => {
    for (const value of ['', ' ', '/etc/passwd', '/dev/null', 'file://host/x', '/proc/nope/x', 'ftp://x']) {
      expect(() => parseStateLocation(value, dir), JSON.stringify(value)).to.throw().with.property('code', 'STATE_URL_INVALID')
    }
    expect(parseStateLocation(undefined, dir)).to.deep.equal({backend: 'local', dir: join(dir, 'state')})
    expect(parseStateLocation(`file://${dir}/store`, dir)).to.deep.equal({backend: 'local', dir: join(dir, 'store')})
  })

  it('settings: only own keys; state checked like --state; no empty strings', () => {
    for (const key of ['__proto__', 'toString', 'hasOwnProperty', 'constructor', 'valueOf']) expect(() => knownKey(key), key).to.throw().with.property('code', 'CONFIG_UNKNOWN_KEY')
    expect(() => parseValue('state', 'ftp://x')).to.throw().with.property('code', 'CONFIG_INVALID_VALUE')
    expect(parseValue('state', join(dir, 'store'))).to.equal(join(dir, 'store'))
    expect(() => parseValue('partner.name', '')).to.throw().with.property('suggestions').that.deep.equals(['odoops config unset partner.name'])
    expect(() => parseValue('partner.endpointId', 'nocolon')).to.throw().with.property('code', 'CONFIG_INVALID_VALUE')
  })
})

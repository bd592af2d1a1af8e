import {expect} from 'chai'
import {addonsPathOf, sameAddonsPath, withAddonsPath} from '../../src/lib/addons/deploy/addons-path.js'
import {addonsPathFor, releaseDir, releaseOfDir} from '../../src/lib/addons/deploy/layout.js'
import {parseOdooConfig, renderOdooConfig, type OdooServerConfig} from '../../src/lib/provision/odoo-config.js'
import {withDbNames} from '../../src/lib/tenants/db-names.js'

const SHA_A = 'a'.repeat(64)
const SHA_B = 'b'.repeat(64)
const CORE = '/usr/lib/python3/dist-packages/odoo/addons'

const service: OdooServerConfig = {
  series: '17.0',
  dbHost: '127.0.0.1',
  dbPort: 5432,
  dbUser: 'odoops_shared_17',
  dbPassword: 'pw',
  dataDir: '/var/lib/odoops/shared-17',
  httpPort: 8100,
  geventPort: 8101,
  adminPasswd: 'master',
  dbFilter: '^%h$',
  dbNames: ['acme.example.com'],
  workers: 2,
  maxCronThreads: 1,
  limitMemorySoft: 1,
  limitMemoryHard: 2,
  limitTimeCpu: 600,
  limitTimeReal: 1200,
}

describe('addons deploy: the addons_path line of a service config', () => {
  const path = [CORE, releaseDir(SHA_A), releaseDir(SHA_B)]

  it('renders addons_path first in [options], in the order given, and Odoo reads it back', () => {
    const text = renderOdooConfig({...service, addonsPath: path})
    const lines = text.split('\n')
    expect(lines[lines.indexOf('[options]') + 1]).to.equal(`addons_path = ${CORE},/var/lib/odoops/addons/${SHA_A},/var/lib/odoops/addons/${SHA_B}`)
    expect(parseOdooConfig(text).addons_path).to.equal(path.join(','))
    expect(renderOdooConfig(service)).to.not.include('addons_path')
    expect(renderOdooConfig({...service, addonsPath: []})).to.equal(renderOdooConfig(service))
  })

  it('edits a rendered config in place into exactly what rendering with the path gives (so host prepare changes nothing after a deploy)', () => {
    const plain = renderOdooConfig(service)
    const edited = withAddonsPath(plain, path)
    expect(edited).to.equal(renderOdooConfig({...service, addonsPath: path}))
    // …and other in-place edits keep it.
    expect(withDbNames(edited, ['acme.example.com', 'beta.example.com'])).to.equal(renderOdooConfig({...service, dbNames: ['acme.example.com', 'beta.example.com'], addonsPath: path}))
  })

  it('replaces an existing line without touching the rest, and is idempotent', () => {
    const first = withAddonsPath(renderOdooConfig(service), [CORE, releaseDir(SHA_A)])
    const second = withAddonsPath(first, [CORE, releaseDir(SHA_B), releaseDir(SHA_A)])
    expect(addonsPathOf(second)).to.deep.equal([CORE, releaseDir(SHA_B), releaseDir(SHA_A)])
    expect(second.replace(/^addons_path.*$/m, '')).to.equal(first.replace(/^addons_path.*$/m, ''))
    expect(withAddonsPath(second, addonsPathOf(second))).to.equal(second)
    expect(second.match(/^addons_path/gm)).to.have.length(1)
  })

  it('removes the line when no directory is left, giving back the plain config', () => {
    const plain = renderOdooConfig(service)
    expect(withAddonsPath(withAddonsPath(plain, path), undefined)).to.equal(plain)
    expect(withAddonsPath(withAddonsPath(plain, path), [])).to.equal(plain)
  })

  it('keeps a hand-written line in its place, and reads entries the way Odoo splits them', () => {
    const text = '[options]\ndb_host = x\naddons_path = /a , /b,\nworkers = 2\n'
    expect(addonsPathOf(text)).to.deep.equal(['/a', '/b'])
    expect(withAddonsPath(text, ['/c'])).to.equal('[options]\ndb_host = x\naddons_path = /c\nworkers = 2\n')
    expect(addonsPathOf('[options]\nworkers = 2\n')).to.equal(undefined)
    expect(addonsPathOf('[options]\naddons_path = \n')).to.equal(undefined)
  })

  it('refuses entries Odoo would split or misread, and configs without [options]', () => {
    expect(() => withAddonsPath('[options]\n', ['/a,b'])).to.throw(/addons_path entry/)
    expect(() => withAddonsPath('[options]\n', ['relative/dir'])).to.throw(/addons_path entry/)
    expect(() => withAddonsPath('[options]\n', ['/a\nadmin_passwd = x'])).to.throw(/addons_path entry/)
    expect(() => withAddonsPath('db_host = x\n', ['/a'])).to.throw(/\[options\]/)
  })

  it('compares paths entry by entry, order included', () => {
    expect(sameAddonsPath(['/a', '/b'], ['/a', '/b'])).to.equal(true)
    expect(sameAddonsPath(['/a', '/b'], ['/b', '/a'])).to.equal(false)
    expect(sameAddonsPath(undefined, [])).to.equal(true)
    expect(sameAddonsPath(['/a'], undefined)).to.equal(false)
  })

  it('lays releases out by SHA-256 after Odoo\'s own directories', () => {
    expect(addonsPathFor([CORE, '/opt/odoo/addons'], [{repo: 'x', sha256: SHA_B}, {repo: 'y', sha256: SHA_A}])).to.deep.equal([CORE, '/opt/odoo/addons', `/var/lib/odoops/addons/${SHA_B}`, `/var/lib/odoops/addons/${SHA_A}`])
    expect(releaseOfDir(`/var/lib/odoops/addons/${SHA_A}`)).to.equal(SHA_A)
    expect(releaseOfDir(CORE)).to.equal(undefined)
    expect(() => releaseDir('../etc')).to.throw(/SHA-256/)
  })
})

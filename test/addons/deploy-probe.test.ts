import {expect} from 'chai'
import {execa} from 'execa'
import {mkdirSync, mkdtempSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {coreModulesOf, HOST_FACTS_SCRIPT, hostFactsCommand, hostFactsInput, parseHostFacts, type HostFactsRequest} from '../../src/lib/addons/deploy/probe.js'
import {OdoopsError} from '../../src/lib/errors.js'

const SHA_A = 'a'.repeat(64)
const SHA_B = 'b'.repeat(64)
const SHA_C = 'c'.repeat(64)

function touch(path: string, text = ''): void {
  mkdirSync(join(path, '..'), {recursive: true})
  writeFileSync(path, text)
}

/** The probe run by this machine's python3 with PYTHONPATH standing in for the host's site-packages. */
async function runProbe(pythonPath: string[], request: HostFactsRequest) {
  const result = await execa('python3', ['-c', HOST_FACTS_SCRIPT], {input: hostFactsInput(request), env: {PYTHONPATH: pythonPath.join(':'), PYTHONNOUSERSITE: '1'}, cwd: '/', reject: false})
  expect(result.exitCode, result.stderr).to.equal(0)
  return parseHostFacts(result.stdout)
}

function thrown(fn: () => unknown): OdoopsError {
  try {
    fn()
  } catch (error) {
    return error as OdoopsError
  }
  return expect.fail('expected an error')
}

describe('addons deploy: the host facts probe', () => {
  it('finds the odoo package of a Debian install and the modules of its addons directory, without importing it', async () => {
    const site = mkdtempSync(join(tmpdir(), 'odoops-probe-'))
    // An __init__ that fails: the probe must find the package without running it.
    touch(join(site, 'odoo', '__init__.py'), 'raise SystemExit("odoo imported")\n')
    for (const module of ['base', 'web', 'sale']) touch(join(site, 'odoo', 'addons', module, '__manifest__.py'), '{}')
    touch(join(site, 'odoo', 'addons', 'README'), '')
    mkdirSync(join(site, 'odoo', 'addons', 'not_a_module'))
    const facts = await runProbe([site], {python: [], configs: [], root: join(site, 'none')})
    expect(facts.odooAddons).to.deep.equal([{path: join(site, 'odoo', 'addons'), modules: ['base', 'sale', 'web']}])
    expect([...coreModulesOf(facts)].sort()).to.deep.equal(['base', 'sale', 'web'])
    expect(facts.entries).to.deep.equal([])
  })

  it('lists a source checkout\'s addons/ after odoo/addons, and every part of a namespace package (19.0)', async () => {
    const checkout = mkdtempSync(join(tmpdir(), 'odoops-probe-'))
    touch(join(checkout, 'odoo', '__init__.py'))
    touch(join(checkout, 'odoo', 'addons', 'base', '__manifest__.py'), '{}')
    touch(join(checkout, 'addons', 'web', '__manifest__.py'), '{}')
    const fromCheckout = await runProbe([checkout], {python: [], configs: [], root: join(checkout, 'none')})
    expect(fromCheckout.odooAddons.map((d) => d.path)).to.deep.equal([join(checkout, 'odoo', 'addons'), join(checkout, 'addons')])

    const first = mkdtempSync(join(tmpdir(), 'odoops-probe-'))
    const second = mkdtempSync(join(tmpdir(), 'odoops-probe-'))
    touch(join(first, 'odoo', 'addons', 'base', '__manifest__.py'), '{}')
    touch(join(second, 'odoo', 'addons', 'partner_firstname', '__manifest__.py'), '{}')
    const namespace = await runProbe([first, second], {python: [], configs: [], root: join(first, 'none')})
    expect(namespace.odooAddons).to.deep.equal([
      {path: join(first, 'odoo', 'addons'), modules: ['base']},
      {path: join(second, 'odoo', 'addons'), modules: ['partner_firstname']},
    ])
  })

  it('says when there is no odoo package at all', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'odoops-probe-'))
    const facts = await runProbe([empty], {python: [], configs: [], root: join(empty, 'none')})
    expect(facts.odooAddons).to.deep.equal([])
  })

  it('names the Python dependencies python3 cannot find, by distribution or module name, with or without a version', async () => {
    const site = mkdtempSync(join(tmpdir(), 'odoops-probe-'))
    touch(join(site, 'present_mod', '__init__.py'))
    const facts = await runProbe([site], {python: ['present_mod', 'json', 'xml.dom', 'no_such_mod_odoops', 'no_such_pkg.sub', 'no_such_dist>=1.0', 'present_mod'], configs: [], root: join(site, 'none')})
    expect(facts.missingPython).to.deep.equal(['no_such_dist>=1.0', 'no_such_mod_odoops', 'no_such_pkg.sub'])
  })

  it('lists the entries of the addons root with their age, and the releases the service configs name', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-probe-root-'))
    mkdirSync(join(root, SHA_A))
    mkdirSync(join(root, '.upload-Xy12ab'))
    writeFileSync(join(root, 'stray-file'), '')
    const old = Date.now() / 1000 - 7200
    utimesSync(join(root, SHA_A), old, old)
    const conf = join(root, '..', `${SHA_C.slice(0, 8)}.conf`)
    writeFileSync(conf, `[options]\naddons_path = /usr/lib/python3/dist-packages/odoo/addons,${root}/${SHA_B},${root}/${SHA_C}\n`)
    const facts = await runProbe([], {python: [], configs: [conf, join(root, 'missing.conf')], root})
    expect(facts.entries.map((e) => e.name)).to.deep.equal(['.upload-Xy12ab', SHA_A])
    const age = facts.entries.find((e) => e.name === SHA_A)!.ageSeconds
    expect(age).to.be.within(7190, 7300)
    expect(facts.entries.find((e) => e.name === '.upload-Xy12ab')!.ageSeconds).to.be.below(60)
    expect(facts.referenced).to.deep.equal([SHA_B, SHA_C])
  })

  it('runs as the odoo user from /, the script as one quoted argument and the request on stdin', () => {
    const text = hostFactsCommand().text
    expect(text.startsWith("cd / && runuser -u odoo -- python3 -c '")).to.equal(true)
    expect(JSON.parse(hostFactsInput({python: ['b', 'a', 'b'], configs: ['/etc/odoops/shared-17.conf']}))).to.deep.equal({python: ['a', 'b'], configs: ['/etc/odoops/shared-17.conf'], root: '/var/lib/odoops/addons'})
  })

  it('reads the last line of the answer and refuses anything that is not the expected shape', () => {
    const good = {odooAddons: [{path: '/usr/lib/python3/dist-packages/odoo/addons', modules: ['base']}], missingPython: ['ldap'], entries: [{name: SHA_A, ageSeconds: 3}], referenced: [SHA_A]}
    expect(parseHostFacts(`some warning\n${JSON.stringify(good)}\n`)).to.deep.equal(good)
    const bad = [
      '',
      'Traceback (most recent call last):',
      '[]',
      JSON.stringify({...good, odooAddons: [{path: 1, modules: []}]}),
      JSON.stringify({...good, missingPython: 'ldap'}),
      JSON.stringify({...good, entries: [{name: SHA_A, ageSeconds: 1.5}]}),
      JSON.stringify({...good, referenced: undefined}),
    ]
    for (const output of bad) expect(thrown(() => parseHostFacts(output)).code, output).to.equal('REMOTE_UNEXPECTED_OUTPUT')
  })

  it('leaves out an Odoo directory that addons_path cannot name (a comma or a space in it)', () => {
    const answer = {odooAddons: [{path: '/opt/odoo,x/addons', modules: ['base']}, {path: '/opt/my odoo/addons', modules: ['web']}, {path: '/opt/odoo/addons', modules: ['mail']}], missingPython: [], entries: [], referenced: []}
    expect(parseHostFacts(JSON.stringify(answer)).odooAddons).to.deep.equal([{path: '/opt/odoo/addons', modules: ['mail']}])
  })
})

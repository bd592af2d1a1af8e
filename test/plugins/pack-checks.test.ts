import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PackCheckRegistry, packCheckRegistry} from '../../src/lib/fleet/check-registry.js'
import {loadPackContributions} from '../../src/lib/plugins/contributions.js'
import {discoverPacks, type PluginDescriptor} from '../../src/lib/plugins/discover.js'
import {diagnosePacks} from '../../src/lib/plugins/doctor.js'
import {loadPack} from '../../src/lib/plugins/load.js'
import {PACKS, wholesaleDescriptor} from './helpers.js'

/**
 * The wholesale pack's fleet checks as odoops loads them: from its package.json (`odoops.checks`),
 * checked, registered as `wholesale/<name>` where fleet status and the schedule find them, and
 * listed by plugins doctor (from its source: wholesaleDescriptor). test/fleet/pack-checks.test.ts
 * runs them.
 */
const WHOLESALE_CHECKS = ['wholesale/modules', 'wholesale/pricelists', 'wholesale/b2b-portal']

describe('pack fleet checks: loading and registration', () => {
  afterEach(() => packCheckRegistry.clear())

  it('the wholesale pack declares its checks module', () => {
    const pjson = JSON.parse(readFileSync(join(PACKS.wholesale, 'package.json'), 'utf8'))
    expect(pjson.odoops.checks).to.equal('dist/checks.js')
  })

  it("loads the wholesale pack's checks, named per pack, with their defaults (its own templates, warning, 20 s)", async () => {
    const registry = new PackCheckRegistry()
    const pack = await loadPack(discoverPacks([wholesaleDescriptor()])[0], ['checks'], registry)
    expect(pack.problems).to.deep.equal([])
    expect(pack.checks.map((c) => c.name)).to.deep.equal(['modules', 'pricelists', 'b2b-portal'])
    expect(registry.list().map((c) => ({name: c.name, pack: c.pack, templates: c.templates, severity: c.severity, timeoutMs: c.timeoutMs}))).to.deep.equal(
      WHOLESALE_CHECKS.map((name) => ({name, pack: '@odoops/wholesale', templates: ['wholesale/*'], severity: 'warning', timeoutMs: 20_000})),
    )
    // Loading the pack again (another command, doctor) registers nothing twice.
    await loadPack(discoverPacks([wholesaleDescriptor()])[0], ['checks'], registry)
    expect(registry.list()).to.have.length(3)
  })

  it('what the prerun hook loads for fleet and schedule commands lands in the registry they read', async () => {
    const [pack] = await loadPackContributions([wholesaleDescriptor()], ['checks'])
    expect(pack.problems).to.deep.equal([])
    expect(packCheckRegistry.list().map((c) => c.name)).to.deep.equal(WHOLESALE_CHECKS)
  })

  it('plugins doctor keeps listing them', async () => {
    const report = await diagnosePacks([wholesaleDescriptor()])
    const wholesale = report.packs.find((p) => p.name === '@odoops/wholesale')!
    expect(wholesale.checks).to.deep.equal(WHOLESALE_CHECKS)
    expect(wholesale.problems).to.deep.equal([])
  })

  it('a bad check is a problem of its pack, named; the valid ones still register; a module that throws is the pack\'s problem', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-checkpack-'))
    mkdirSync(join(root, 'lib'))
    writeFileSync(
      join(root, 'lib', 'checks.js'),
      `export const checks = [
        {name: 'fine', description: 'ok', check: async () => ({ok: true, detail: ''})},
        {name: 'Bad Name', description: 'x', check: async () => ({ok: true, detail: ''})},
        {name: 'loud', description: 'x', severity: 'critical', check: async () => ({ok: true, detail: ''})},
        {name: 'slow', description: 'x', timeoutMs: 3600000, check: async () => ({ok: true, detail: ''})},
        {name: 'everywhere', description: 'x', templates: ['*'], severity: 'breach', timeoutMs: 500, check: async () => ({ok: true, detail: ''})},
      ]\n`,
    )
    writeFileSync(join(root, 'lib', 'throws.js'), `throw new Error('half-written module')\n`)
    const plugin = (name: string, checks: string): PluginDescriptor => ({name, version: '0.0.1', root, type: 'link', pjson: {odoops: {apiVersion: '^1.0.0', checks}}})
    const registry = new PackCheckRegistry()
    const pack = await loadPack(discoverPacks([plugin('odoops-pack-demo', 'lib/checks.js')])[0], ['checks'], registry)
    expect(pack.problems.map((p) => [p.area, p.subject])).to.deep.equal([
      ['check', 'Bad Name'],
      ['check', 'loud'],
      ['check', 'slow'],
    ])
    expect(pack.problems[1].message).to.include('severity must be "warning" or "breach"')
    expect(registry.list().map((c) => [c.name, c.pack, c.templates, c.severity, c.timeoutMs])).to.deep.equal([
      ['demo/fine', 'odoops-pack-demo', ['demo/*'], 'warning', 20_000],
      ['demo/everywhere', 'odoops-pack-demo', ['*'], 'breach', 500],
    ])
    const broken = await loadPack(discoverPacks([plugin('odoops-pack-other', 'lib/throws.js')])[0], ['checks'], registry)
    expect(broken.problems).to.deep.equal([{area: 'load', subject: 'lib/throws.js', message: 'loading the fleet checks failed: half-written module'}])
  })
})

import {expect} from 'chai'
import {clearOnboardSteps, registerOnboardStep, withExtraSteps} from '../../src/lib/onboard/extra-steps.js'
import type {Step} from '../../src/lib/steps/runner.js'
import {PACK_API_VERSION} from '../../src/lib/plugins/api.js'
import {discoverPacks, type PluginDescriptor} from '../../src/lib/plugins/discover.js'
import {preinstall} from '../../src/lib/plugins/preinstall.js'
import {stepAppliesTo} from '../../src/lib/plugins/steps.js'

describe('pack API pieces', () => {
  it('apiVersion ranges (npm semver against PACK_API_VERSION 1.0.0): caret, tilde, comparators, x-ranges, alternatives; an unreadable range is named', () => {
    expect(PACK_API_VERSION).to.equal('1.0.0')
    const check = (apiVersion: string) => discoverPacks([{name: 'odoops-pack-x', version: '1.0.0', root: '/p/x', type: 'link', pjson: {odoops: {apiVersion}}}])[0]
    const cases: [string, boolean][] = [['^1.0.0', true], ['^1.1.0', false], ['~1.0.0', true], ['1.x', true], ['>=1.0.0 <2.0.0', true], ['^2.0.0 || ^1.0.0', true], ['^0.9.0', false], ['*', true], ['2', false], ['>=1.0.0-beta.1', true]]
    for (const [range, fits] of cases) {
      const pack = check(range)
      expect(Boolean(pack.manifest), range).to.equal(fits)
      if (!fits) expect(pack.problems.map((p) => p.message), range).to.deep.equal([`written for pack API ${range}; this odoops provides 1.0.0: upgrade the pack (or odoops)`])
    }
    expect(check('not a range').problems).to.deep.equal([{area: 'api', message: '"odoops.apiVersion" "not a range" is not a semver range'}])
  })

  it('reads the odoops section: namespace from the package name, API range checked, one namespace per pack', () => {
    const plugin = (name: string, odoops: unknown): PluginDescriptor => ({name, version: '1.0.0', root: `/p/${name}`, type: 'link', pjson: {odoops}})
    const packs = discoverPacks([plugin('@odoops/wholesale', {apiVersion: '^1.0.0', templates: 'templates'}), plugin('odoops-pack-wholesale', {apiVersion: '^1.0.0'}), plugin('odoops-pack-old', {apiVersion: '^0.1.0', metrics: '../../etc/x.js'}), plugin('not-a-pack', undefined)])
    expect(packs.map((p) => [p.name, p.namespace, Boolean(p.manifest)])).to.deep.equal([
      ['@odoops/wholesale', 'wholesale', true],
      ['odoops-pack-old', 'old', false],
      ['odoops-pack-wholesale', 'wholesale', false],
    ])
    expect(packs[1].problems.map((p) => p.area)).to.deep.equal(['api', 'manifest'])
    expect(packs[2].problems[0].message).to.include('already used by @odoops/wholesale')
  })

  it('places contributed steps before/after core steps, after post-steps for plan, in registration order', () => {
    const step = (name: string): Step<never> => ({name, title: name, run: async () => {}})
    const core = ['place', 'create-tenant', 'company', 'settings', 'users', 'plan', 'post-a', 'backup', 'health'].map(step)
    {
      clearOnboardSteps()
      const all = () => true
      registerOnboardStep({step: step('x/after-company'), after: 'company', appliesTo: all})
      registerOnboardStep({step: step('y/after-company'), after: 'company', appliesTo: all})
      registerOnboardStep({step: step('x/before-health'), before: 'health', appliesTo: all})
      registerOnboardStep({step: step('x/after-plan'), after: 'plan', appliesTo: all})
      registerOnboardStep({step: step('z/other'), appliesTo: () => false})
      const names = withExtraSteps(core as never, {name: 't'} as never).map((s) => s.name)
      clearOnboardSteps()
      expect(names).to.deep.equal(['place', 'create-tenant', 'company', 'x/after-company', 'y/after-company', 'settings', 'users', 'plan', 'post-a', 'x/after-plan', 'backup', 'x/before-health', 'health'])
    }
  })

  it('a step applies to its pack\'s templates by default, or to the templates it names', () => {
    expect(stepAppliesTo({namespace: 'wholesale'}, {}, {name: 'wholesale/wholesale'})).to.equal(true)
    expect(stepAppliesTo({namespace: 'wholesale'}, {}, {name: 'distribution'})).to.equal(false)
    expect(stepAppliesTo({namespace: 'wholesale'}, {templates: ['distribution']}, {name: 'distribution'})).to.equal(true)
    expect(stepAppliesTo({namespace: 'wholesale'}, {templates: ['*']}, {name: 'starter'})).to.equal(true)
  })

  it('preinstall: allowlist first (no registry lookup), then the declared contributions and a confirmation', async () => {
    const seen: string[] = []
    const options = (answer: boolean) => ({
      allowlist: ['@odoops/*'],
      ask: true,
      view: async () => (seen.push('view'), {name: '@odoops/wholesale', version: '0.1.0', odoops: {apiVersion: '^1.0.0', templates: 'templates', metrics: 'dist/metrics.js'}, oclif: {commands: './dist/commands'}}),
      confirm: async () => answer,
      log: (line: string) => seen.push(line),
    })
    let refused: unknown
    await preinstall({type: 'npm', name: 'evil-pack', tag: 'latest'}, options(true)).catch((error) => (refused = error))
    expect(refused).to.have.property('code', 'PLUGIN_NOT_ALLOWED')
    expect(seen).to.deep.equal([])
    await preinstall({type: 'npm', name: '@odoops/wholesale', tag: 'latest'}, options(true))
    expect(seen).to.include.members(['view', '@odoops/wholesale@0.1.0', '  pack API ^1.0.0', '  templates: templates', '  metrics: dist/metrics.js', '  commands: yes (oclif)'])
    let declined: unknown
    await preinstall({type: 'npm', name: '@odoops/wholesale', tag: 'latest'}, options(false)).catch((error) => (declined = error))
    expect(declined).to.have.property('code', 'PLUGIN_INSTALL_DECLINED')
  })
})

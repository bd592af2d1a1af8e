import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {installedPackRepos} from '../../src/cli/pack-addons.js'
import {BRANDING_MODULE, BUILTIN_ADDONS_REPO} from '../../src/lib/addons/builtin.js'
import {checkAddonsFolder} from '../../src/lib/addons/packs.js'
import {brandFromSettings, brandFromTemplate, brandParams, brandProblems, brandScript, fullColor, mergeBrand, readBrandFile} from '../../src/lib/branding/brand.js'
import {CONFIG_KEYS} from '../../src/lib/config/keys.js'
import {onboardSteps} from '../../src/lib/onboard/steps.js'
import type {Template} from '../../src/lib/templates/index.js'
import {parseTemplate} from '../../src/lib/templates/index.js'
import {ROOT} from '../helpers/cli.js'

const TEMPLATE = (branding: string) => `name: branded
title: Branded
version: 1
series: ["17.0"]
modules: [crm]
branding:
${branding}
questions: []
`

describe('branding: layers, validation, parameters', () => {
  it('takes each key from the most specific layer that sets it (config, then template, then flags)', () => {
    const settings: Record<string, string> = {'branding.name': 'Partner', 'branding.url': 'https://partner.example', 'branding.primaryColor': '#123456'}
    const fromConfig = brandFromSettings((key) => settings[key])
    const fromTemplate = brandFromTemplate({name: 'Vertical Partner', supportUrl: 'https://partner.example/help', logo: 'logo.png'}, '/srv/templates/wholesale.yaml')
    const brand = mergeBrand(fromConfig, fromTemplate, {name: 'Customer Brand', url: '', supportUrl: undefined})
    expect(brand).to.deep.equal({
      name: 'Customer Brand',
      url: 'https://partner.example',
      supportUrl: 'https://partner.example/help',
      primaryColor: '#123456',
      logo: '/srv/templates/logo.png',
    })
  })

  it('refuses URLs that are not http(s) and colours that are not #rgb/#rrggbb', () => {
    expect(brandProblems({name: 'A', url: 'https://a.example', primaryColor: '#abc'})).to.deep.equal([])
    expect(brandProblems({url: 'javascript:alert(1)', supportUrl: 'not a url', primaryColor: 'blue'})).to.deep.equal([
      'url: "javascript:alert(1)" is not an http(s) URL',
      'supportUrl: "not a url" is not an http(s) URL',
      'primaryColor: "blue" is not a colour such as #1a73e8',
    ])
    expect(CONFIG_KEYS['branding.url'].check!('ftp://x')).to.equal('"ftp://x" is not an http(s) URL')
    expect(CONFIG_KEYS['branding.name'].check!('Acme')).to.equal(undefined)
  })

  it("validates templates' branding: with the template schema", () => {
    expect(parseTemplate(TEMPLATE('  name: Acme IT\n  url: https://acme.example\n  primaryColor: "#1a73e8"\n  favicon: favicon.png')).issues).to.deep.equal([])
    const bad = parseTemplate(TEMPLATE('  name: Acme IT\n  primaryColor: red\n  colour: "#fff"'))
    expect(bad.issues.map((i) => i.path)).to.have.members(['/branding/primaryColor', '/branding/colour'])
  })

  it('writes every parameter, removing the unset ones, and the favicon as a data: URI', () => {
    const params = brandParams({name: 'Acme IT', url: 'https://acme.example'}, {mimetype: 'image/png', base64: 'AAAA'})
    expect(params).to.deep.equal({
      'odoops_branding.name': 'Acme IT',
      'odoops_branding.url': 'https://acme.example',
      'odoops_branding.support_url': null,
      'odoops_branding.documentation_url': null,
      'odoops_branding.primary_color': null,
      'odoops_branding.favicon': 'data:image/png;base64,AAAA',
    })
    // Values travel base64-encoded: a quote in a name cannot break the script.
    const script = brandScript({'odoops_branding.name': `O'Brien "IT"`}, undefined)
    expect(script).not.to.include('Brien')
    expect(script).to.include("ICP.set_param(key, value if value else False)")
    expect(script).to.include('env.cr.commit()')
  })

  it("writes the company's primary colour for reports (six digits), and a document layout only when none is set", () => {
    expect(fullColor('#1A7')).to.equal('#11aa77')
    expect(fullColor('#1A73E8')).to.equal('#1a73e8')
    const decode = (script: string) => JSON.parse(Buffer.from(/b64decode\('([^']+)'\)/.exec(script)![1], 'base64').toString('utf8')) as {color: string | null}
    const colored = brandScript({}, undefined, '#1A7')
    expect(decode(colored).color).to.equal('#11aa77')
    expect(colored).to.include("company.write({'primary_color': p['color']})")
    expect(colored).to.include('if not company.external_report_layout_id:')
    expect(decode(brandScript({}, undefined)).color).to.equal(null)
  })

  it('reads image files by extension and refuses others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odoops-brand-'))
    writeFileSync(join(dir, 'icon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]))
    writeFileSync(join(dir, 'icon.txt'), 'x')
    expect(await readBrandFile('favicon', join(dir, 'icon.png'))).to.deep.equal({mimetype: 'image/png', base64: 'iVBORw=='})
    await readBrandFile('favicon', join(dir, 'icon.txt')).then(
      () => expect.fail('accepted a text file'),
      (error: {code: string}) => expect(error.code).to.equal('BRANDING_FILE_INVALID'),
    )
    await readBrandFile('logo', join(dir, 'none.png')).then(
      () => expect.fail('accepted a missing file'),
      (error: {code: string}) => expect(error.code).to.equal('BRANDING_FILE_NOT_FOUND'),
    )
  })

  it(`ships ${BRANDING_MODULE} as odoops' own addon repository "${BUILTIN_ADDONS_REPO}", valid for 17.0, 18.0 and 19.0 (LGPL-3)`, async () => {
    const [own] = installedPackRepos({plugins: new Map(), name: 'odoops', root: ROOT, version: '0.1.0'})
    expect(own).to.include({repo: 'odoops', pack: 'odoops', folder: 'templates/addons', type: 'link', dir: join(ROOT, 'templates', 'addons')})
    for (const series of ['17.0', '18.0', '19.0']) {
      const checked = await checkAddonsFolder(join(ROOT, 'templates', 'addons'), {series})
      expect(checked.problems, series).to.deep.equal([])
      expect(checked.modules.map((m) => m.name)).to.deep.equal([BRANDING_MODULE])
    }
    expect(readFileSync(join(ROOT, 'templates', 'addons', BRANDING_MODULE, '__manifest__.py'), 'utf8')).to.match(/'license': 'LGPL-3'/)
  })

  it("onboarding gets a branding step after the plan only for templates with branding:", () => {
    const template: Template = {name: 't', title: 'T', version: 1, series: ['17.0'], modules: ['crm'], questions: []}
    const names = (t: Template) => onboardSteps({template: t}).map((step) => step.name)
    expect(names(template)).not.to.include('branding')
    const branded = names({...template, branding: {name: 'Acme IT'}})
    expect(branded.indexOf('branding')).to.equal(branded.indexOf('plan') + 1)
  })
})

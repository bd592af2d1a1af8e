import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parsePlan} from '../../src/lib/billing/plans/file.js'
import {EXAMPLE_PLAN_DIR, examplePlans} from '../../src/lib/billing/plans/examples.js'
import {readTemplateFile} from '../../src/lib/templates/catalog.js'
import {CORE_TEMPLATE_DIR} from '../../src/lib/templates/load.js'
import {knownPlans, placedPlanIssues, templatePlanIssues} from '../../src/lib/templates/plan-check.js'
import type {Template} from '../../src/lib/templates/types.js'
import {ROOT} from '../helpers/cli.js'

/** Every template the package and its bundled packs ship. */
function shippedTemplates(): {file: string; template: Template}[] {
  const dirs = [CORE_TEMPLATE_DIR, ...readdirSync(join(ROOT, 'plugins')).map((p) => join(ROOT, 'plugins', p, 'templates'))]
  const out: {file: string; template: Template}[] = []
  for (const dir of dirs) {
    if (!existsSync(dir)) continue
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))
    for (const f of files) {
      const entry = readTemplateFile(join(dir, f))
      expect(entry.template, `${entry.file}: ${JSON.stringify(entry.issues)}`).to.not.equal(undefined)
      out.push({file: entry.file, template: entry.template!})
    }
  }
  return out
}

/** Templates name plans that exist (issue 17, item 1). */
describe('templates: the plan a template names exists', () => {
  it('every shipped example plan file is a valid plan', () => {
    const files = readdirSync(EXAMPLE_PLAN_DIR).filter((f) => f.endsWith('.yaml'))
    for (const f of files) expect(parsePlan(readFileSync(join(EXAMPLE_PLAN_DIR, f), 'utf8')).issues, f).to.deep.equal([])
    expect(examplePlans().map((p) => p.id)).to.have.length(files.length)
  })

  it('every shipped template (core and bundled packs) names a shipped example plan', () => {
    const templates = shippedTemplates()
    expect(templates.map((t) => t.template.name)).to.include.members(['starter', 'distribution', 'services'])
    const known = knownPlans('examples')
    for (const {file, template} of templates) expect(templatePlanIssues(template, known), file).to.deep.equal([])
    expect(templates.find((t) => t.template.name === 'distribution')?.template.plan).to.equal('business')
    expect(known.ids).to.include.members(['business', 'starter'])
  })

  it('without a store: an unknown plan is named, with the example plans and the fix, at its line', () => {
    const file = join(CORE_TEMPLATE_DIR, 'distribution.yaml')
    const template = {...readTemplateFile(file).template!, plan: 'gold-wholesale'}
    const [issue] = placedPlanIssues(file, template, knownPlans('examples'))
    expect(issue).to.include({kind: 'semantic', path: '/plan', line: 12, column: 7})
    expect(issue.message).to.contain('plan "gold-wholesale" is none of the shipped example plans (business, business-unlimited,')
    expect(issue.message).to.contain('odoops plan apply <file>')
  })

  it("with a store: a plan missing from the store's plans is named with the shipped file to apply", () => {
    const template = readTemplateFile(join(CORE_TEMPLATE_DIR, 'distribution.yaml')).template!
    const known = knownPlans('store', ['standard-per-user', 'business-unlimited'])
    const [issue] = templatePlanIssues(template, known)
    expect(issue.path).to.equal('/plan')
    expect(issue.message).to.contain('plan "business" is not in the state store (plans: business-unlimited, standard-per-user)')
    expect(issue.message).to.match(/odoops plan apply (templates\/plans\/business\.yaml|\/\S+\/templates\/plans\/business\.yaml)/)
    expect(templatePlanIssues(template, knownPlans('store', ['business']))).to.deep.equal([])
    const custom = {...template, plan: 'custom-plan'}
    expect(templatePlanIssues(custom, known)[0].message).to.contain('odoops plan apply <file>')
  })

  it('a template without a plan has nothing to check', () => {
    const {plan: _plan, ...template} = readTemplateFile(join(CORE_TEMPLATE_DIR, 'starter.yaml')).template!
    expect(templatePlanIssues(template, knownPlans('store', []))).to.deep.equal([])
  })
})

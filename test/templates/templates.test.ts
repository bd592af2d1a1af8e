import {expect} from 'chai'
import {join} from 'node:path'
import {ROOT} from '../helpers/cli.js'
import {listTemplates, parseTemplate, readTemplateFile, renderValue} from '../../src/lib/templates/index.js'

const broken = (file: string) => readTemplateFile(join(ROOT, 'test', 'fixtures', 'templates', 'broken', file))
/** `path@line:column` of every issue, the way `template validate` points at them. */
const where = (file: string) => broken(file).issues.map((i) => `${i.path}@${i.line}:${i.column}`)

describe('templates: schema, semantic checks, line numbers', () => {
  it('ships the three core templates, all valid, with modules the fixture Odoo knows', () => {
    const core = listTemplates()
    expect(core.map((t) => t.name)).to.include.members(['starter', 'distribution', 'services'])
    for (const t of core) expect(t.issues, `${t.name}: ${JSON.stringify(t.issues)}`).to.deep.equal([])
    const byName = Object.fromEntries(core.map((t) => [t.name, t.template!]))
    expect(byName.starter.modules).to.deep.equal(['crm', 'sale_management', 'account'])
    expect(byName.distribution.modules).to.deep.equal(['sale_management', 'purchase', 'stock', 'account'])
    expect(byName.services.modules).to.deep.equal(['project', 'hr_timesheet', 'sale_management', 'account'])
    for (const t of Object.values(byName)) {
      for (const role of Object.values(t.roles ?? {})) for (const g of role.groups) expect(g).to.match(/^[a-z_]+\.group_[a-z_]+$/)
    }
  })

  it('reports missing required properties at the root (line 1)', () => {
    expect(broken('01-missing-required.yaml').issues.map((i) => i.message)).to.deep.equal(['missing property "title"', 'missing property "modules"'])
    expect(where('01-missing-required.yaml')).to.deep.equal(['@1:1', '@1:1'])
  })

  it('points at unknown property names themselves', () => {
    expect(where('02-unknown-properties.yaml')).to.deep.equal(['/question@6:1', '/questions/0@8:5', '/questions/0/messsage@10:5'])
  })

  it('reports every value of the wrong type, not just the first', () => {
    expect(where('03-wrong-types.yaml')).to.deep.equal(['/version@3:10', '/series@4:9', '/modules/1@5:16'])
  })

  it('rejects a question type that does not exist, naming the allowed ones', () => {
    const [issue] = broken('04-bad-question-type.yaml').issues
    expect(issue).to.include({path: '/questions/1/type', line: 11, kind: 'schema'})
    expect(issue.message).to.include('input, select, confirm, password, users')
  })

  it('finds duplicate question ids', () => {
    expect(where('05-duplicate-question-ids.yaml')).to.deep.equal(['/questions/1/id@10:9'])
  })

  it('finds references to answers that are not questions, and unknown tenant fields', () => {
    expect(where('06-unknown-answer-refs.yaml')).to.deep.equal(['/company/name@11:9', '/post_steps/0/args/0/name@17:15', '/post_steps/0/args/0/website@18:18'])
  })

  it('requires role groups to be XML ids (module.name)', () => {
    expect(where('07-bad-role-groups.yaml')).to.deep.equal(['/roles/sales/groups/1@13:46', '/roles/boss/groups/0@16:14'])
  })

  it('refuses series odoops does not support', () => {
    expect(where('08-bad-series.yaml')).to.deep.equal(['/series/0@4:10'])
  })

  it('checks select choices and defaults, and confirm defaults', () => {
    expect(where('09-select-choices.yaml')).to.deep.equal(['/questions/0/default@10:14', '/questions/1/choices@12:5', '/questions/2/default@18:14'])
  })

  it('checks the roles of a users question and what users refers to', () => {
    expect(where('10-users-and-roles.yaml')).to.deep.equal(['/questions/1/roles/1@13:20', '/users@18:8'])
  })

  it('reports YAML syntax errors with their line', () => {
    const [issue] = broken('11-yaml-syntax.yaml').issues
    expect(issue.kind).to.equal('syntax')
    expect(issue.line).to.be.a('number')
  })

  it('a valid document parses to a template', () => {
    const {template, issues} = parseTemplate('name: tiny\ntitle: Tiny\nversion: 1\nseries: ["17.0"]\nmodules: [crm]\nquestions: []\n')
    expect(issues).to.deep.equal([])
    expect(template!.name).to.equal('tiny')
  })
})

describe('templates: references', () => {
  const scope = {answers: {name: 'Ça "va" $(rm -rf /)\nnext', users: [{login: 'a@b.c'}], ok: true}, tenant: {domain: 'x.example.test'}}

  it('keeps the type of a whole reference and interpolates inside text, bytes unchanged', () => {
    expect(renderValue('{{ answers.users }}', scope)).to.deep.equal([{login: 'a@b.c'}])
    expect(renderValue('{{answers.ok}}', scope)).to.equal(true)
    expect(renderValue({n: 'Name: {{ answers.name }} at {{ tenant.domain }}'}, scope)).to.deep.equal({n: 'Name: Ça "va" $(rm -rf /)\nnext at x.example.test'})
    expect(renderValue([['ref', '=', '{{ answers.name }}']], scope)).to.deep.equal([['ref', '=', scope.answers.name]])
  })

  it('fails on a reference to nothing', () => {
    expect(() => renderValue('{{ answers.nope }}', scope)).to.throw(/answers.nope/)
  })
})

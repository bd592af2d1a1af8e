import {expect} from 'chai'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {isolatedEnv, ROOT, runCli} from '../helpers/cli.js'

const BROKEN = join(ROOT, 'test', 'fixtures', 'templates', 'broken')

/** The template commands and onboarding's refusals, through the built CLI (no host needed). */
describe('odoops template / onboard (CLI, no host)', () => {
  let env: Record<string, string>
  before(() => {
    env = isolatedEnv()
  })

  it('template list shows the core templates, all valid', async () => {
    const result = await runCli(['template', 'list', '--json'], {env})
    expect(result.code, result.stderr).to.equal(0)
    const names = result.json.templates.map((t: {name: string; valid: boolean}) => [t.name, t.valid])
    expect(names).to.deep.include.members([['starter', true], ['distribution', true], ['services', true]])
  })

  it('template validate: 0 on every core template, 2 with every error on each broken one', async function () {
    this.timeout(120_000)
    for (const name of ['starter', 'distribution', 'services']) {
      const ok = await runCli(['template', 'validate', name, '--json'], {env})
      expect(ok.code, ok.stderr).to.equal(0)
      expect(ok.json).to.include({name, valid: true})
    }
    for (const file of readdirSync(BROKEN)) {
      const bad = await runCli(['template', 'validate', join(BROKEN, file), '--json'], {env})
      expect(bad.code, file).to.equal(2)
      expect(bad.json.error.code).to.equal('TEMPLATE_INVALID')
      expect(bad.json.error.data.issues.length, file).to.be.greaterThan(0)
    }
    const human = await runCli(['template', 'validate', join(BROKEN, '07-bad-role-groups.yaml')], {env})
    expect(human.stderr).to.include('07-bad-role-groups.yaml:13:46 /roles/sales/groups/1')
    expect(human.stderr).to.include('07-bad-role-groups.yaml:16:14 /roles/boss/groups/0')
  })

  it('template show prints the questions; an unknown template is a usage error naming the others', async () => {
    const shown = await runCli(['template', 'show', 'services', '--json'], {env})
    expect(shown.code).to.equal(0)
    expect(shown.json.template.questions.map((q: {id: string}) => q.id)).to.include('users')
    const unknown = await runCli(['template', 'show', 'nope', '--json'], {env})
    expect(unknown.code).to.equal(2)
    expect(unknown.json.error.code).to.equal('TEMPLATE_NOT_FOUND')
    expect(unknown.json.error.suggestions[0]).to.include('distribution')
  })

  it('onboard without a terminal never prompts: missing answers listed at once, exit 2, no run recorded', async () => {
    const result = await runCli(['onboard', '--template', 'starter', '--answer', 'admin_email=x', '--json', '--credentials-file', '/tmp/never-written.yaml'], {env})
    expect(result.code, result.stderr).to.equal(2)
    expect(result.json.error.code).to.equal('ANSWERS_INVALID')
    const questions = result.json.error.data.issues.map((i: {question: string}) => i.question)
    expect(questions).to.include.members(['company_name', 'domain', 'admin_email'])
    const list = await runCli(['onboard', 'list', '--json'], {env})
    expect(list.json.runs).to.deep.equal([])
  })

  it('onboard --json without --credentials-file is refused before anything runs', async () => {
    const result = await runCli(['onboard', '--template', 'starter', '--json'], {env})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('CREDENTIALS_FILE_REQUIRED')
  })

  it("template validate checks the template's plan: the shipped example plans without a store, the store's plans with one", async function () {
    this.timeout(120_000)
    const own = isolatedEnv()
    const gold = join(own.ODOOPS_DATA_DIR, '..', 'gold.yaml')
    writeFileSync(gold, readFileSync(join(ROOT, 'templates', 'distribution.yaml'), 'utf8').replace(/^plan: business$/m, 'plan: gold'))
    const noStore = await runCli(['template', 'validate', gold, '--json'], {env: own})
    expect(noStore.code, noStore.stderr).to.equal(2)
    expect(noStore.json.error.data.issues).to.have.length(1)
    expect(noStore.json.error.data.issues[0]).to.include({path: '/plan', line: 12, column: 7})
    expect(noStore.json.error.data.issues[0].message).to.contain('plan "gold" is none of the shipped example plans')
    expect((await runCli(['template', 'validate', 'distribution', '--json'], {env: own})).json).to.include({plan: 'business', plansFrom: 'examples'})

    expect((await runCli(['plan', 'apply', join(ROOT, 'templates', 'plans', 'per-user.yaml')], {env: own})).code).to.equal(0)
    const missing = await runCli(['template', 'validate', 'distribution', '--json'], {env: own})
    expect(missing.code, missing.stderr).to.equal(2)
    expect(missing.json.error.data.issues[0].message).to.match(/plan "business" is not in the state store \(plans: standard-per-user\).*odoops plan apply \S*templates\/plans\/business\.yaml/)
    expect((await runCli(['plan', 'apply', join(ROOT, 'templates', 'plans', 'business.yaml')], {env: own})).code).to.equal(0)
    const ok = await runCli(['template', 'validate', 'distribution', '--json'], {env: own})
    expect(ok.code, ok.stderr).to.equal(0)
    expect(ok.json).to.include({plan: 'business', plansFrom: 'store'})
  })

  it('onboard --resume of an unknown run is a usage error', async () => {
    const result = await runCli(['onboard', '--resume', 'ob-00000000', '--json', '--credentials-file', '/tmp/never-written.yaml'], {env})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('ONBOARD_RUN_NOT_FOUND')
  })
})

import {expect} from 'chai'
import {isOdoopsError, type OdoopsError} from '../../src/lib/errors.js'
import {checkAnswers, resolveAnswers, type AnswerPrompter} from '../../src/lib/onboard/answers.js'
import {slugify} from '../../src/lib/names/slug.js'
import {loadTemplate} from '../../src/lib/templates/index.js'

const {template} = loadTemplate('distribution')
const good = {
  company_name: 'Ça "Va" Trading',
  domain: 'erp.cava.example.test',
  admin_email: 'boss@cava.example.test',
  users: [{name: 'Ann', login: 'ann@cava.example.test', role: 'sales'}],
}

describe('answers: checked all at once', () => {
  it('fills defaults and keeps free text exactly as given', () => {
    const hostile = `Quote ' " \` $(touch /tmp/pwned) ; \\ \nsecond line — ünïcødé 🚀`
    const {answers, issues} = checkAnswers(template, {...good, welcome_note: hostile, vat: 123})
    expect(issues).to.deep.equal([])
    expect(answers.welcome_note).to.equal(hostile)
    expect(answers.vat).to.equal('123')
    expect(answers.country).to.equal('BE')
    expect(answers.currency).to.equal('EUR')
    expect(answers.users).to.deep.equal([{name: 'Ann', login: 'ann@cava.example.test', email: 'ann@cava.example.test', role: 'sales'}])
  })

  it('lists every problem: missing, wrong type, bad e-mail, bad domain, duplicates, unknown role, unknown key', () => {
    const {issues} = checkAnswers(template, {
      domain: 'not a domain',
      admin_email: 'boss-at-example',
      country: 'Belgium',
      second_language: 42,
      colour: 'blue',
      users: [
        {name: 'Ann', login: 'ann@x.example', role: 'sales'},
        {name: 'Ann again', login: 'ANN@x.example', role: 'sales'},
        {name: 'Bob', login: 'bob@x.example', role: 'ceo'},
        {name: '', login: 'admin', role: 'sales'},
      ],
    })
    const by = (q: string) => issues.filter((i) => i.question === q).map((i) => i.message)
    expect(by('colour')[0]).to.match(/not a question/)
    expect(by('company_name')[0]).to.match(/required/)
    expect(by('domain')[0]).to.match(/not a valid domain/)
    expect(by('admin_email')[0]).to.match(/not an e-mail/)
    expect(by('country')[0]).to.match(/one of BE, FR/)
    expect(by('second_language')[0]).to.match(/one of/)
    const users = by('users').join('\n')
    expect(users).to.match(/users\[1\]\.login "ANN@x.example" duplicates users\[0\]/)
    expect(users).to.match(/users\[2\]\.role "ceo" is not a role/)
    expect(users).to.match(/users\[3\]\.name is missing/)
    expect(users).to.match(/users\[3\]\.login "admin" is one of Odoo's own users/)
  })

  it('resolveAnswers throws ANSWERS_INVALID (exit 2) with every issue in data', async () => {
    try {
      await resolveAnswers(template, {domain: 'x'}, {interactive: false})
      expect.fail('should throw')
    } catch (error) {
      expect(isOdoopsError(error)).to.equal(true)
      const e = error as OdoopsError
      expect(e.code).to.equal('ANSWERS_INVALID')
      expect(e.exit).to.equal(2)
      expect((e.data!.issues as unknown[]).length).to.be.greaterThan(2)
    }
  })

  it('asks only what is missing or invalid when interactive, validating each answer', async () => {
    const asked: string[] = []
    const prompter: AnswerPrompter = {
      async ask(_t, q, current, validate) {
        asked.push(q.id)
        if (q.id === 'admin_email') {
          expect(validate('nope')).to.be.a('string')
          expect(validate('ok@example.test')).to.equal(true)
          return 'ok@example.test'
        }
        return current ?? ''
      },
    }
    const answers = await resolveAnswers(template, {...good, admin_email: 'bad'}, {interactive: true, prompter})
    expect(asked).to.include('admin_email')
    expect(asked).not.to.include('company_name')
    expect(answers.admin_email).to.equal('ok@example.test')
  })

  it('derives slugs from company names', () => {
    expect(slugify('Ça "Va" Trading S.A.')).to.equal('ca-va-trading-s-a')
    expect(slugify('123 Logistics')).to.equal('c-123-logistics')
  })
})

import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isOdoopsError, type OdoopsError} from '../../src/lib/errors.js'
import {answerArgs, parseAnswerFlags, redactAnswerArgs} from '../../src/lib/onboard/answers.js'
import {planOnboarding, startOnboarding} from '../../src/lib/onboard/run.js'
import {redact, REDACTED} from '../../src/lib/secrets/redact.js'
import {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {loadTemplate} from '../../src/lib/templates/index.js'
import {newTestSecret} from '../helpers/secrets.js'

const {template} = loadTemplate('test/fixtures/templates/with-password.yaml')

describe('onboarding: password answers are secrets, a run that changed nothing is not kept', () => {
  describe('--answer values on a raw command line', () => {
    it('finds them as oclif reads them: --answer q=v, --answer=q=v, and the further values of a repeated flag', () => {
      const argv = ['--template', 'x', '--answer', 'a=1', 'b=2=3', '--yes', 'arg', '--answer=c=', '--answer', 'novalue', '--', '--answer', 'd=4']
      expect(answerArgs(argv)).to.deep.equal([
        {index: 3, prefix: '', question: 'a', value: '1'},
        {index: 4, prefix: '', question: 'b', value: '2=3'},
        {index: 7, prefix: '--answer=', question: 'c', value: ''},
        {index: 9, prefix: '', question: '', value: 'novalue'},
      ])
    })

    it('hides the values of the questions asked for, keeping question=', () => {
      const argv = ['--answer', 'company_name=Acme', '--answer=smtp_password=hunter2', 'pin=12', '--answer', 'oops']
      expect(redactAnswerArgs(argv, (q) => q !== 'company_name')).to.deep.equal(['--answer', 'company_name=Acme', `--answer=smtp_password=${REDACTED}`, `pin=${REDACTED}`, '--answer', REDACTED])
    })

    it('an --answer without question= is refused without quoting it back (it may be a password)', () => {
      const secret = newTestSecret('typed-alone')
      let error: unknown
      try {
        parseAnswerFlags(['company_name=Acme', secret])
      } catch (error_) {
        error = error_
      }
      expect(isOdoopsError(error) && error.code).to.equal('ANSWER_FLAG_INVALID')
      expect((error as OdoopsError).message).to.equal('--answer number 2 is not question=value.')
    })
  })

  describe('with a state store and no prepared host', () => {
    let store: StateStore
    const box = SecretBox.fromKey(randomBytes(32))
    const env = () => ({store, box, dataDir: mkdtempSync(join(tmpdir(), 'odoops-onboard-data-'))})

    beforeEach(async () => {
      store = await openStore({backend: 'local', dir: mkdtempSync(join(tmpdir(), 'odoops-onboard-store-'))})
    })
    afterEach(async () => store.close())

    it('registers password answers from a file or flags (even 1–3 characters) before checking anything', async () => {
      const long = newTestSecret('smtp')
      const short = 'ñ7'
      await planOnboarding(store, {template, given: {company_name: 'Acme', domain: 'erp.acme.example.test', smtp_password: long, pin: short}, interactive: false})
      expect(redact(`login failed with ${long}`)).to.equal(`login failed with ${REDACTED}`)
      expect(redact(`pin="${short}"`)).to.equal(`pin="${REDACTED}"`)
      // An invalid answers set still registers them first: a check may quote a value.
      const early = newTestSecret('early')
      await planOnboarding(store, {template, given: {company_name: 'Acme', domain: 'bad domain', smtp_password: early}, interactive: false}).catch(() => {})
      expect(redact(early)).to.equal(REDACTED)
    })

    it('failing at the place step (no prepared host): exit 2, no run and none of its secrets kept, the same onboarding can start again', async () => {
      const request = await planOnboarding(store, {template, given: {company_name: 'Acme', domain: 'erp.acme.example.test', smtp_password: newTestSecret('smtp')}, interactive: false})
      for (let attempt = 1; attempt <= 2; attempt++) {
        const error = await startOnboarding(env(), request).then(
          () => expect.fail('no host is prepared'),
          (error_: OdoopsError) => error_,
        )
        expect(error.code, `attempt ${attempt}: not ONBOARD_UNFINISHED`).to.equal('NO_PREPARED_HOST')
        expect(error.exit).to.equal(2)
        expect(error.message).to.include('Nothing was created.')
        expect(error.suggestions.join(' ')).not.to.include('--resume')
        expect(await store.onboardingRuns.count()).to.equal(0)
        expect(await store.secrets.count()).to.equal(0)
      }
    })
  })
})

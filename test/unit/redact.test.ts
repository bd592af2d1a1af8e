import {expect} from 'chai'
import {isSecretName, redact, REDACTED, redactArgv, redactValue, registerArgvSecrets, registerSecret, registerUrlPassword} from '../../src/lib/secrets/redact.js'
import {newTestSecret} from '../helpers/secrets.js'

describe('redaction', () => {
  it('replaces every occurrence of a registered secret', () => {
    const secret = newTestSecret()
    registerSecret(secret)
    expect(redact(`a ${secret} b ${secret}`)).to.equal(`a ${REDACTED} b ${REDACTED}`)
    expect(redact('nothing secret')).to.equal('nothing secret')
  })

  it('ignores empty, blank and absent values', () => {
    registerSecret('')
    registerSecret('   ')
    registerSecret(undefined)
    registerSecret(null)
    expect(redact('a  b   c')).to.equal('a  b   c')
  })

  describe('secrets under 4 characters: redacted where they stand as a whole value', () => {
    // Characters no ordinary output of these tests contains: the registry is process-wide.
    const one = '§'
    const two = 'Ω9'
    const three = 'q#¤'
    before(() => [one, two, three].forEach(registerSecret))

    it('a whole text or line, a quoted string, key=value, password: value, a URL password', () => {
      expect(redact(two)).to.equal(REDACTED)
      expect(redact(`first line\n  ${two}  \nlast line`)).to.equal(`first line\n  ${REDACTED}  \nlast line`)
      expect(redact(`got "${two}", '${three}' and \`${one}\``)).to.equal(`got "${REDACTED}", '${REDACTED}' and \`${REDACTED}\``)
      expect(redact(JSON.stringify({value: two, list: [three]}))).to.equal(`{"value":"${REDACTED}","list":["${REDACTED}"]}`)
      expect(redact(`pin=${two} --answer=code=${three}`)).to.equal(`pin=${REDACTED} --answer=code=${REDACTED}`)
      expect(redact(`/login?user=x&password=${one}&next=/`)).to.equal(`/login?user=x&password=${REDACTED}&next=/`)
      expect(redact(`Password: ${two}\nTOKEN = ${three};`)).to.equal(`Password: ${REDACTED}\nTOKEN = ${REDACTED};`)
      expect(redact(`postgres://odoops:${two}@db.example/odoops`)).to.equal(`postgres://odoops:${REDACTED}@db.example/odoops`)
    })

    it('is left alone inside words and sentences, so output stays readable', () => {
      for (const text of [`x${two}y`, `a ${two} b`, `${two}s`, `§§`, `Ω99`, `q#¤q#¤`, `note: ${two} is here`, `12:${two}:00`]) expect(redact(text), text).to.equal(text)
    })

    it('in argv and in JSON values', () => {
      expect(redactArgv(['--answer', `pin=${two}`, two, `--note=${three}`])).to.deep.equal(['--answer', `pin=${REDACTED}`, REDACTED, `--note=${REDACTED}`])
      expect(redactValue({pin: 'not-named-secret', code: three, nested: [{v: one}], text: `say ${two} once`})).to.deep.equal({pin: 'not-named-secret', code: REDACTED, nested: [{v: REDACTED}], text: `say ${two} once`})
    })

    it('a short secret is matched as itself, not by case or as a regular expression', () => {
      registerSecret('¤+')
      expect(redact('x=¤+')).to.equal(`x=${REDACTED}`)
      expect(redact('x=¤¤¤')).to.equal('x=¤¤¤')
      expect(redact('x=Q#¤')).to.equal('x=Q#¤')
    })
  })

  it('knows secret names', () => {
    for (const name of ['password', 'pass', 'passphrase', 'adminPassword', 'db_password', 'secret', 'token', 'api-key', 'apiKey', 'api_key', 'private-key', 'credentials']) {
      expect(isSecretName(name), name).to.equal(true)
    }
    for (const name of ['name', 'host', 'domain', 'key', 'keys', 'tenant', 'port']) expect(isSecretName(name), name).to.equal(false)
  })

  describe('redactValue', () => {
    it('hides secret-named fields at any depth and registered values anywhere', () => {
      const secret = newTestSecret()
      registerSecret(secret)
      const input = {
        host: 'db1',
        adminPassword: 'plain-but-named',
        nested: {apiKey: 'k-123456', list: [{token: 'tok-123456'}, `see ${secret}`]},
        note: `value ${secret}`,
      }
      expect(redactValue(input)).to.deep.equal({
        host: 'db1',
        adminPassword: REDACTED,
        nested: {apiKey: REDACTED, list: [{token: REDACTED}, `see ${REDACTED}`]},
        note: `value ${REDACTED}`,
      })
      expect(input.adminPassword, 'the input is not changed').to.equal('plain-but-named')
    })

    it('leaves empty and absent secret fields as they are (they tell nothing)', () => {
      expect(redactValue({password: '', token: null, secret: false, apiKey: undefined})).to.deep.equal({password: '', token: null, secret: false, apiKey: undefined})
    })

    it('keeps numbers, booleans and dates', () => {
      const date = new Date('2025-01-01T00:00:00Z')
      expect(redactValue({n: 1, b: true, d: date})).to.deep.equal({n: 1, b: true, d: date})
    })
  })

  describe('redactArgv', () => {
    it('hides the value of secret-named flags in both forms', () => {
      expect(redactArgv(['host', 'add', '--password=hunter22', '--api-key', 'k-998877', '--name', 'web1'])).to.deep.equal([
        'host', 'add', '--password=' + REDACTED, '--api-key', REDACTED, '--name', 'web1',
      ])
    })

    it('hides registered secrets in positional arguments and other flags', () => {
      const secret = newTestSecret()
      registerSecret(secret)
      expect(redactArgv(['set', secret, `--note=${secret}`])).to.deep.equal(['set', REDACTED, `--note=${REDACTED}`])
    })

    it('hides the value of secret_name=value arguments, alone or as a flag value', () => {
      expect(redactArgv(['--answer', 'smtp_password=hunter22', '--answer=db_token=x', 'company_name=Acme', '--note=pass'])).to.deep.equal([
        '--answer', `smtp_password=${REDACTED}`, `--answer=db_token=${REDACTED}`, 'company_name=Acme', '--note=pass',
      ])
    })

    it('hides a secret flag given last without a value without crashing', () => {
      expect(redactArgv(['--token'])).to.deep.equal(['--token'])
    })
  })

  describe('registering the secrets of a command line', () => {
    it('registers values of secret-named flags, known or not, in both forms', () => {
      const a = newTestSecret()
      const b = newTestSecret()
      registerArgvSecrets(['config', 'set', `--db-password=${a}`, '--token', b])
      expect(redact(`${a} ${b}`)).to.equal(`${REDACTED} ${REDACTED}`)
    })

    it('registers secret_name=value arguments, so a parse error quoting one shows no secret', () => {
      const secret = newTestSecret('answer')
      registerArgvSecrets(['onboard', '--answr', `smtp_password=${secret}`])
      expect(redact(`Unexpected argument: smtp_password=${secret}`)).to.equal(`Unexpected argument: smtp_password=${REDACTED}`)
    })

    it('a short URL password given as --state=URL is hidden in argv and messages', () => {
      registerArgvSecrets(['--state=postgres://odoops:ʬ1@db.example/odoops'])
      expect(redactArgv(['--state=postgres://odoops:ʬ1@db.example/odoops'])).to.deep.equal([`--state=postgres://odoops:${REDACTED}@db.example/odoops`])
      expect(redact('Cannot reach postgres://odoops:ʬ1@db.example/odoops')).to.equal(`Cannot reach postgres://odoops:${REDACTED}@db.example/odoops`)
    })

    it('registers the password of a URL given as --flag=URL or inside a text', () => {
      const secret = newTestSecret('pg')
      registerArgvSecrets(['audit', 'list', `--state=postgres://odoops:${secret}@db.example/odoops`])
      expect(redact(secret)).to.equal(REDACTED)
      const other = newTestSecret('pg')
      registerUrlPassword(`see postgresql://u:${other}@h1/db and more`)
      expect(redact(other)).to.equal(REDACTED)
    })

    it('registers the password of a URL, raw and percent-decoded', () => {
      registerArgvSecrets(['--state', 'postgres://odoops:p%40ss-word-1@db.example:5432/odoops'])
      expect(redact('p%40ss-word-1 and p@ss-word-1')).to.equal(`${REDACTED} and ${REDACTED}`)
      registerUrlPassword('postgres://odoops@db.example/odoops') // no password: nothing to do
      registerUrlPassword(undefined)
      expect(redact('odoops db.example')).to.equal('odoops db.example')
    })
  })
})

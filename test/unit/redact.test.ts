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

  it('ignores values too short to be secrets (they would redact ordinary words)', () => {
    registerSecret('abc')
    registerSecret('')
    registerSecret(undefined)
    expect(redact('abc abcd')).to.equal('abc abcd')
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

    it('registers the password of a URL, raw and percent-decoded', () => {
      registerArgvSecrets(['--state', 'postgres://odoops:p%40ss-word-1@db.example:5432/odoops'])
      expect(redact('p%40ss-word-1 and p@ss-word-1')).to.equal(`${REDACTED} and ${REDACTED}`)
      registerUrlPassword('postgres://odoops@db.example/odoops') // no password: nothing to do
      registerUrlPassword(undefined)
      expect(redact('odoops db.example')).to.equal('odoops db.example')
    })
  })
})

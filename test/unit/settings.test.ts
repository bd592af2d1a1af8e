import {expect} from 'chai'
import {mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {CONFIG_KEYS, envNameOf} from '../../src/lib/config/keys.js'
import {parseValue, Settings} from '../../src/lib/config/settings.js'
import {redact} from '../../src/lib/secrets/redact.js'
import {OdoopsError} from '../../src/lib/errors.js'
import {newTestSecret} from '../helpers/secrets.js'

function caught(fn: () => unknown): OdoopsError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(OdoopsError)
    return error as OdoopsError
  }
  throw new Error('expected an error')
}

const configDir = () => join(mkdtempSync(join(tmpdir(), 'odoops-settings-')), 'config')

describe('settings', () => {
  describe('parseValue', () => {
    before(() => {
      // No shipped key is boolean yet; a test key covers the type.
      CONFIG_KEYS['test.enabled'] = {type: 'boolean', description: 'test only'}
    })
    after(() => {
      delete CONFIG_KEYS['test.enabled']
    })

    it('parses integers and refuses anything else', () => {
      expect(parseValue('ssh.connectTimeout', ' 30 ')).to.equal(30)
      for (const bad of ['3.5', 'abc', '', '1e3']) expect(caught(() => parseValue('ssh.connectTimeout', bad))).to.include({code: 'CONFIG_INVALID_VALUE', exit: 2})
    })

    it('applies the key check', () => {
      expect(parseValue('ssh.maxSessions', '9')).to.equal(9)
      const error = caught(() => parseValue('ssh.maxSessions', '10'))
      expect(error.message).to.contain('must be 1 to 9')
      expect(error.suggestions).to.deep.equal(['odoops config set ssh.maxSessions <value>'])
      expect(caught(() => parseValue('ssh.connectTimeout', '0')).exit).to.equal(2)
      expect(parseValue('partner.country', 'BE')).to.equal('BE')
      expect(caught(() => parseValue('partner.country', 'Belgium')).code).to.equal('CONFIG_INVALID_VALUE')
    })

    it('parses booleans in their usual spellings', () => {
      for (const yes of ['true', 'YES', '1', 'on']) expect(parseValue('test.enabled', yes)).to.equal(true)
      for (const no of ['false', 'no', '0', 'Off']) expect(parseValue('test.enabled', no)).to.equal(false)
      expect(caught(() => parseValue('test.enabled', 'maybe')).exit).to.equal(2)
    })

    it('parses lists as comma-separated, dropping blanks', () => {
      expect(parseValue('plugins.allowlist', 'odoops-a, odoops-b,,')).to.deep.equal(['odoops-a', 'odoops-b'])
      expect(parseValue('plugins.allowlist', '')).to.deep.equal([])
    })

    it('keeps strings as given', () => {
      expect(parseValue('partner.name', '  Acme  SA ')).to.equal('  Acme  SA ')
    })
  })

  it('refuses an unknown key with exit 2, listing the known keys', () => {
    const error = caught(() => new Settings(configDir()).entry('ssh.conectTimeout'))
    expect(error).to.include({code: 'CONFIG_UNKNOWN_KEY', exit: 2})
    expect(error.message).to.contain('"ssh.conectTimeout" is not an odoops setting')
    for (const key of Object.keys(CONFIG_KEYS)) expect(error.suggestions[0]).to.contain(key)
    expect(caught(() => parseValue('nope', '1')).code).to.equal('CONFIG_UNKNOWN_KEY')
  })

  it('names the environment override of each key', () => {
    expect(envNameOf('ssh.connectTimeout')).to.equal('ODOOPS_SSH_CONNECT_TIMEOUT')
    expect(envNameOf('partner.endpointId')).to.equal('ODOOPS_PARTNER_ENDPOINT_ID')
    expect(envNameOf('state')).to.equal('ODOOPS_STATE')
  })

  describe('Settings', () => {
    afterEach(() => {
      delete process.env.ODOOPS_SSH_CONNECT_TIMEOUT
      delete process.env.ODOOPS_STATE
    })

    it('reads default, then file, then environment', async () => {
      const settings = new Settings(configDir())
      expect(settings.entry('ssh.connectTimeout')).to.include({value: 15, source: 'default'})
      expect(settings.entry('partner.name')).to.include({value: null, source: 'unset'})
      await settings.set('ssh.connectTimeout', '20')
      expect(settings.entry('ssh.connectTimeout')).to.include({value: 20, source: 'file'})
      process.env.ODOOPS_SSH_CONNECT_TIMEOUT = '5'
      expect(settings.entry('ssh.connectTimeout')).to.include({value: 5, source: 'env', env: 'ODOOPS_SSH_CONNECT_TIMEOUT'})
      expect(settings.get<number>('ssh.connectTimeout')).to.equal(5)
      process.env.ODOOPS_SSH_CONNECT_TIMEOUT = 'soon'
      expect(caught(() => settings.entry('ssh.connectTimeout')).code).to.equal('CONFIG_INVALID_VALUE')
    })

    it('writes config.json with mode 0600 and unset returns to the default', async () => {
      const dir = configDir()
      const settings = new Settings(dir)
      await settings.set('partner.country', 'BE')
      await settings.set('plugins.allowlist', 'a,b')
      const file = join(dir, 'config.json')
      expect(statSync(file).mode & 0o777).to.equal(0o600)
      expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({'partner.country': 'BE', 'plugins.allowlist': ['a', 'b']})
      expect(await settings.unset('plugins.allowlist')).to.include({source: 'default'})
      expect(new Settings(dir).list().find((e) => e.key === 'partner.country')).to.include({value: 'BE', source: 'file'})
    })

    it('refuses a bad value without writing anything', async () => {
      const dir = configDir()
      const settings = new Settings(dir)
      let error: unknown
      await settings.set('ssh.maxSessions', '50').catch((e: unknown) => (error = e))
      expect(error).to.include({code: 'CONFIG_INVALID_VALUE'})
      expect(() => statSync(join(dir, 'config.json'))).to.throw()
    })

    it('reports a corrupt config file as such', () => {
      const dir = configDir()
      mkdirSync(dir, {recursive: true})
      writeFileSync(join(dir, 'config.json'), '{not json')
      const error = caught(() => new Settings(dir).list())
      expect(error).to.include({code: 'CONFIG_CORRUPT', exit: 2})
    })

    it('registers the password of a state URL so output redacts it', () => {
      const secret = newTestSecret('pg')
      process.env.ODOOPS_STATE = `postgres://odoops:${secret}@db.internal:5432/odoops`
      const entry = new Settings(configDir()).entry('state')
      expect(entry.value).to.contain(secret) // the value itself is intact for use…
      expect(redact(String(entry.value))).to.equal('postgres://odoops:********@db.internal:5432/odoops') // …and redacted on output
    })
  })
})

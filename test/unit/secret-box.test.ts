import {expect} from 'chai'
import {chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {generateSecret, SECRET_PREFIX, SecretBox} from '../../src/lib/secrets/secret-box.js'
import {redact, REDACTED} from '../../src/lib/secrets/redact.js'
import {isOdoopsError} from '../../src/lib/errors.js'
import {newTestSecret, rememberTestSecret} from '../helpers/secrets.js'

function withEnvKey<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env.ODOOPS_SECRET_KEY
  if (value === undefined) delete process.env.ODOOPS_SECRET_KEY
  else process.env.ODOOPS_SECRET_KEY = value
  try {
    return fn()
  } finally {
    if (saved === undefined) delete process.env.ODOOPS_SECRET_KEY
    else process.env.ODOOPS_SECRET_KEY = saved
  }
}

function expectMismatch(fn: () => unknown): void {
  try {
    fn()
  } catch (error) {
    expect(isOdoopsError(error), String(error)).to.equal(true)
    expect(error).to.include({code: 'SECRET_KEY_MISMATCH', exit: 1})
    expect((error as {suggestions: string[]}).suggestions.join(' ')).to.contain('ODOOPS_SECRET_KEY')
    return
  }
  expect.fail('expected SECRET_KEY_MISMATCH')
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'odoops-secretbox-'))

describe('SecretBox', () => {
  it('round-trips, with a fresh IV each time, and registers the plaintext for redaction', () => {
    const box = SecretBox.fromKey(randomBytes(32))
    const secret = newTestSecret()
    const sealed = box.encrypt(secret)
    expect(sealed.startsWith(SECRET_PREFIX)).to.equal(true)
    expect(sealed).to.not.contain(secret)
    expect(box.encrypt(secret)).to.not.equal(sealed)
    expect(box.decrypt(sealed)).to.equal(secret)
    expect(redact(`pw: ${secret}`)).to.equal(`pw: ${REDACTED}`)
  })

  it('refuses another key, a tampered value and an unknown format with SECRET_KEY_MISMATCH', () => {
    const sealed = SecretBox.fromKey(randomBytes(32)).encrypt(newTestSecret())
    expectMismatch(() => SecretBox.fromKey(randomBytes(32)).decrypt(sealed))
    const box = SecretBox.fromKey(randomBytes(32))
    const good = box.encrypt('a fine secret')
    const parts = good.split(':')
    parts[3] = Buffer.from('tampered!').toString('base64url')
    expectMismatch(() => box.decrypt(parts.join(':')))
    expectMismatch(() => box.decrypt('plain text'))
  })

  it('refuses a key that is not 32 bytes', () => {
    expect(() => SecretBox.fromKey(randomBytes(16))).to.throw(/32 bytes/)
  })

  it('creates the key file with mode 0600 on first use, and reuses it', () => {
    const dir = join(tempDir(), 'config')
    const sealed = withEnvKey(undefined, () => SecretBox.fromEnvOrFile(dir).encrypt('stored with the key file'))
    const keyFile = join(dir, 'secret.key')
    expect(statSync(keyFile).mode & 0o777).to.equal(0o600)
    expect(readFileSync(keyFile, 'utf8').trim()).to.match(/^[0-9a-f]{64}$/)
    rememberTestSecret(readFileSync(keyFile, 'utf8').trim())
    expect(withEnvKey(undefined, () => SecretBox.fromEnvOrFile(dir).decrypt(sealed))).to.equal('stored with the key file')
  })

  it('tightens a key file readable by others back to 0600', () => {
    const dir = tempDir()
    mkdirSync(dir, {recursive: true})
    const keyFile = join(dir, 'secret.key')
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', {mode: 0o644})
    chmodSync(keyFile, 0o644)
    withEnvKey(undefined, () => SecretBox.fromEnvOrFile(dir))
    expect(statSync(keyFile).mode & 0o777).to.equal(0o600)
  })

  it('takes ODOOPS_SECRET_KEY as 64 hex chars, base64 of 32 bytes, or any passphrase, over the key file', () => {
    const raw = randomBytes(32)
    const reference = SecretBox.fromKey(raw).encrypt('same key, any form')
    const dir = tempDir()
    expect(withEnvKey(raw.toString('hex'), () => SecretBox.fromEnvOrFile(dir).decrypt(reference))).to.equal('same key, any form')
    expect(withEnvKey(raw.toString('base64'), () => SecretBox.fromEnvOrFile(dir).decrypt(reference))).to.equal('same key, any form')
    const byPassphrase = withEnvKey('correct horse battery staple', () => SecretBox.fromEnvOrFile(dir).encrypt('by passphrase'))
    expect(withEnvKey('correct horse battery staple', () => SecretBox.fromEnvOrFile(tempDir()).decrypt(byPassphrase))).to.equal('by passphrase')
    expectMismatch(() => withEnvKey('another passphrase', () => SecretBox.fromEnvOrFile(dir).decrypt(byPassphrase)))
    expect(() => statSync(join(dir, 'secret.key')), 'no key file when the env gives the key').to.throw()
  })

  it('generates URL- and shell-safe secrets, registered for redaction', () => {
    const secret = rememberTestSecret(generateSecret())
    expect(secret).to.match(/^[A-Za-z0-9_-]{32}$/)
    expect(generateSecret()).to.not.equal(secret)
    expect(redact(secret)).to.equal(REDACTED)
  })
})

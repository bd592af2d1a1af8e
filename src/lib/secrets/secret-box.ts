import {createCipheriv, createDecipheriv, createHash, randomBytes} from 'node:crypto'
import {readFileSync, writeFileSync, statSync, chmodSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {OdoopsError, ExitCode} from '../errors.js'
import {configDirInvalid} from '../config/settings.js'
import {ensureDirSync} from '../fs/ensure-dir.js'
import {registerSecret} from './redact.js'

/**
 * Secrets at rest: AES-256-GCM with a random 96-bit IV per value, stored as
 * `v1:<iv>:<tag>:<ciphertext>` (base64url). The key comes from ODOOPS_SECRET_KEY (any
 * string, hashed to 32 bytes; or 64 hex chars / base64 of 32 bytes used as is) or from
 * `<configDir>/secret.key`, created with mode 0600 on first use.
 */
export const SECRET_PREFIX = 'v1:'

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromEnvOrFile(configDir: string): SecretBox {
    const fromEnv = process.env.ODOOPS_SECRET_KEY
    if (fromEnv && fromEnv.length > 0) {
      registerSecret(fromEnv) // the key material itself must never be printed either
      return new SecretBox(deriveKey(fromEnv))
    }
    return new SecretBox(loadOrCreateKeyFile(join(configDir, 'secret.key')))
  }

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('secret key must be 32 bytes')
    return new SecretBox(key)
  }

  encrypt(plaintext: string): string {
    registerSecret(plaintext)
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return SECRET_PREFIX + [iv, tag, body].map((b) => b.toString('base64url')).join(':')
  }

  decrypt(sealed: string): string {
    if (!sealed.startsWith(SECRET_PREFIX)) throw secretError('the stored secret is not in a known format')
    const [iv, tag, body] = sealed.slice(SECRET_PREFIX.length).split(':').map((p) => Buffer.from(p, 'base64url'))
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv)
      decipher.setAuthTag(tag)
      const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
      registerSecret(plain)
      return plain
    } catch (error) {
      throw secretError('a stored secret cannot be decrypted with this key', error)
    }
  }
}

function secretError(message: string, cause?: unknown): OdoopsError {
  return new OdoopsError('SECRET_KEY_MISMATCH', message, {
    exit: ExitCode.FAILURE,
    cause,
    suggestions: ['Use the same ODOOPS_SECRET_KEY (or <configDir>/secret.key) that was in use when the secret was stored.'],
  })
}

function deriveKey(material: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(material)) return Buffer.from(material, 'hex')
  const b64 = Buffer.from(material, 'base64')
  if (b64.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(material)) return b64
  return createHash('sha256').update(material, 'utf8').digest()
}

function loadOrCreateKeyFile(path: string): Buffer {
  try {
    const mode = statSync(path).mode & 0o777
    if (mode & 0o077) chmodSync(path, 0o600)
    return deriveKey(readFileSync(path, 'utf8').trim())
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  ensureDirSync(dirname(path), {mode: 0o700, invalid: (problem) => configDirInvalid(dirname(path), problem)})
  const key = randomBytes(32)
  try {
    writeFileSync(path, key.toString('hex') + '\n', {mode: 0o600, flag: 'wx'})
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return deriveKey(readFileSync(path, 'utf8').trim())
    throw error
  }
  return key
}

/** A random secret suitable for passwords (URL-safe, no shell metacharacters). */
export function generateSecret(bytes = 24): string {
  const value = randomBytes(bytes).toString('base64url')
  registerSecret(value)
  return value
}

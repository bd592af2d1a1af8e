import {createHash} from 'node:crypto'
import {readFileSync, rmSync} from 'node:fs'
import {execa} from 'execa'
import {OdoopsError} from '../errors.js'

/**
 * SSH key pairs for sandboxes: the client key odoops logs in with, and the sandbox's own
 * host key, generated here before boot so odoops knows the fingerprint before first contact.
 */
export interface KeyPair {
  privateKeyFile: string
  publicKeyFile: string
  publicKey: string
  fingerprint: string
}

/** A fresh ed25519 key pair at `file` / `file.pub` (replacing any there), without passphrase. */
export async function generateKeyPair(file: string, comment: string): Promise<KeyPair> {
  // ssh-keygen asks before overwriting; remove first so a regeneration never blocks.
  rmSync(file, {force: true})
  rmSync(`${file}.pub`, {force: true})
  try {
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {stdin: 'ignore'})
  } catch (error) {
    throw new OdoopsError('SANDBOX_KEYGEN_FAILED', `ssh-keygen could not create ${file}: ${(error as Error).message}`, {
      suggestions: ['Install the OpenSSH client tools: apt-get install openssh-client'],
      cause: error,
    })
  }
  const publicKey = readFileSync(`${file}.pub`, 'utf8').trim()
  return {privateKeyFile: file, publicKeyFile: `${file}.pub`, publicKey, fingerprint: fingerprintOf(publicKey)}
}

/**
 * `SHA256:<base64>` of a public key line, as OpenSSH prints it (`ssh-keygen -l`):
 * SHA-256 over the decoded key blob, base64 without `=` padding.
 */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1]
  if (!blob) throw new OdoopsError('SANDBOX_KEY_INVALID', 'Not an OpenSSH public key line.')
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64')
  return `SHA256:${digest.replace(/=+$/, '')}`
}

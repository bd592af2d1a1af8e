import {createHash} from 'node:crypto'

/**
 * Host key fingerprints in OpenSSH's format: `SHA256:` + unpadded base64 of the SHA-256 of
 * the key blob (what `ssh-keygen -lf key.pub` and the first-contact prompt show).
 * ssh2's `hostVerifier` receives that raw blob when `hostHash` is not set (ssh2 README,
 * "hostVerifier": "otherwise it is the raw host key in Buffer form").
 */
export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')
}

/** `SHA256:` followed by 43 base64 characters. */
export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/

export function isFingerprint(value: string): boolean {
  return FINGERPRINT_PATTERN.test(value)
}

/** The fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const blob = line.trim().split(/\s+/)[1]
  if (!blob) throw new Error('not an OpenSSH public key line')
  return fingerprintOf(Buffer.from(blob, 'base64'))
}

import {pbkdf2, randomBytes} from 'node:crypto'
import {promisify} from 'node:util'

const pbkdf2Async = promisify(pbkdf2)

/**
 * Rounds Odoo 17+ asks passlib for (odoo/addons/base/models/res_users.py `_crypt_context`,
 * `pbkdf2_sha512__rounds=600_000`). passlib verifies with the rounds stored in the hash, so
 * Odoo 16 (fewer rounds) accepts it too.
 */
export const ODOO_PBKDF2_ROUNDS = 600_000

/** passlib's "ab64": standard base64 with `.` instead of `+` and no padding. */
function ab64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '.').replace(/=+$/, '')
}

/**
 * A password hash in the format Odoo stores in `res_users.password`: passlib's
 * `$pbkdf2-sha512$<rounds>$<salt>$<checksum>` (16-byte salt, 64-byte SHA-512 checksum).
 * Used where odoops must set a password without the old one (a restored database).
 */
export async function odooPasswordHash(password: string, options: {rounds?: number; salt?: Buffer} = {}): Promise<string> {
  const rounds = options.rounds ?? ODOO_PBKDF2_ROUNDS
  const salt = options.salt ?? randomBytes(16)
  const checksum = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, rounds, 64, 'sha512')
  return `$pbkdf2-sha512$${rounds}$${ab64(salt)}$${ab64(checksum)}`
}

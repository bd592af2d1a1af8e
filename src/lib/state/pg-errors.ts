import {ExitCode, OdoopsError} from '../errors.js'

/**
 * Turn a failure to connect to PostgreSQL into a clear error (exit 2: the --state value
 * or the server it names needs fixing). `location` is already password-free.
 * Codes: 28P01 / 28000 = authentication / no such role or no pg_hba entry, 3D000 = no such
 * database (PostgreSQL error codes appendix); the rest are socket errors or pg's timeouts.
 */
export function connectionError(error: unknown, location: string): OdoopsError {
  const err = error as Error & {code?: string; errors?: {code?: string}[]}
  const code = err?.code ?? err?.errors?.find((e) => e.code)?.code
  const reason = (err?.message || code || String(error)).trim()
  const fail = (kind: string, message: string, suggestions: string[]) =>
    new OdoopsError(kind, message, {exit: ExitCode.USAGE, suggestions, cause: error, data: {location, reason: code ?? reason}})

  if (code === '28P01' || code === '28000') {
    return fail('STATE_AUTH_FAILED', `PostgreSQL at ${location} refused the login: ${reason}. Nothing was changed.`, [
      'Check the user and password in --state / ODOOPS_STATE (postgres://user:password@host:5432/db), or the server\'s pg_hba.conf.',
    ])
  }
  if (code === '3D000') {
    return fail('STATE_DATABASE_MISSING', `PostgreSQL at ${location}: ${reason}. Nothing was changed.`, [
      'Create it first (createdb NAME, or CREATE DATABASE NAME), then run the command again.',
    ])
  }
  const timedOut = /timeout|timed out/i.test(reason) || code === 'ETIMEDOUT'
  return fail(
    'STATE_UNREACHABLE',
    `Cannot reach PostgreSQL at ${location}: ${timedOut ? 'no answer within 5 s' : reason}. Nothing was changed.`,
    ['Check that the server runs and that host and port in --state / ODOOPS_STATE are right (postgres://user@host:5432/db).'],
  )
}

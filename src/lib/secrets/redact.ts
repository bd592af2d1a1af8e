/**
 * Process-wide redaction. Every secret odoops creates or reads is registered here the
 * moment it exists; every output path (stdout, stderr, logs, errors, audit events) passes
 * its text through `redact`. Registration is cheap and idempotent.
 */
export const REDACTED = '********'

const known = new Set<string>()

/** Register a secret value so it never appears in output. Very short values are ignored (they would redact ordinary words). */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value === 'string' && value.length >= 4) known.add(value)
}

export function redact(text: string): string {
  if (known.size === 0 || text.length === 0) return text
  let out = text
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  }
  return out
}

/** Names of flags, answers and fields whose values are secret whatever they contain. */
const SECRET_NAME = /pass(word|phrase)?|secret|token|api[-_]?key|private[-_]?key|credential/i

/** Names that say the value is where a secret goes (`--credentials-file`, `tls-key` path), not the secret itself. */
const SECRET_LOCATION = /[-_.]?(file|path|dir)$/i

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !SECRET_LOCATION.test(name)
}

/** Deep copy of a value with secret-named fields and registered secret values redacted. */
export function redactValue<T>(value: T): T {
  return walk(value) as T
}

function walk(value: unknown, key?: string): unknown {
  if (key !== undefined && isSecretName(key) && value !== undefined && value !== null && value !== false && value !== '') return REDACTED
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map((item) => walk(item))
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, k)
    return out
  }
  return value
}

/** Redact command-line arguments: values of secret-named flags (`--password x`, `--api-key=x`) and known secrets. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = []
  let hideNext = false
  for (const arg of argv) {
    if (hideNext) {
      out.push(REDACTED)
      hideNext = false
      continue
    }
    const match = /^--?([^=]+)(=(.*))?$/.exec(arg)
    if (match && isSecretName(match[1])) {
      if (match[2] === undefined) {
        hideNext = true
        out.push(arg)
      } else out.push(`--${match[1]}=${REDACTED}`)
      continue
    }
    out.push(redact(arg))
  }
  return out
}

/**
 * Register the secrets a command line carries, before anything is parsed or printed: the
 * values of secret-named flags (also of flags the command does not know, which parse
 * errors would echo) and the passwords of URLs (`--state postgres://u:pw@host/db`).
 */
export function registerArgvSecrets(argv: readonly string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const match = /^--?([^=]+)(=(.*))?$/.exec(argv[i])
    if (match && isSecretName(match[1])) registerSecret(match[2] === undefined ? argv[i + 1] : match[3])
    registerUrlPassword(argv[i])
  }
}

/** Register the password part of a URL (`scheme://user:password@host`), raw and percent-decoded. */
export function registerUrlPassword(text: string | undefined): void {
  if (!text) return
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:([^@/\s]+)@/i.exec(text)
  if (!match) return
  registerSecret(match[1])
  try {
    registerSecret(decodeURIComponent(match[1]))
  } catch {
    // not valid percent-encoding: the raw form is registered
  }
}

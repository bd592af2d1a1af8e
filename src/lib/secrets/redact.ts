/**
 * Process-wide redaction. Every secret odoops creates or reads is registered here the
 * moment it exists; every output path (stdout, stderr, logs, errors, audit events) passes
 * its text through `redact`. Registration is cheap and idempotent.
 *
 * Every secret is registered, whatever its length, but not every one is redacted the same way:
 * - a secret of 4 characters or more is replaced wherever it appears, inside words included;
 * - a shorter one (a 1–3 character password, a PIN) is replaced only where it stands as a
 *   whole value: the whole text or a whole line (a table cell, an argument, a line a server
 *   printed), a quoted string (`"ab"`, `'ab'`, `` `ab` ``, so JSON string values), the value
 *   of an assignment (`pin=ab`, `?password=ab&`), the value after a secret name
 *   (`password: ab`, `token = ab`) and the password of a URL (`postgres://u:ab@host`).
 *   Replacing every "a" or "12" in all output would wreck it (and tell which characters the
 *   secret is made of); so a short secret inside a word or a sentence (`a backup`) stays.
 * Whitespace-only values are not registered (they would match the layout of any text).
 */
export const REDACTED = '********'

/** Secrets this long or longer are redacted anywhere; shorter ones only as whole values. */
export const ANYWHERE_MIN_LENGTH = 4

const known = new Set<string>()
const short = new Set<string>()
let shortPattern: RegExp | undefined

/** Register a secret value so it never appears in output (see above for secrets under 4 characters). */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.trim() === '') return
  if ([...value].length >= ANYWHERE_MIN_LENGTH) known.add(value)
  else if (!short.has(value)) {
    short.add(value)
    shortPattern = undefined
  }
}

export function redact(text: string): string {
  if ((known.size === 0 && short.size === 0) || text.length === 0) return text
  let out = text
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  }
  if (short.size > 0) out = out.replace((shortPattern ??= wholeValuePattern([...short])), REDACTED)
  return out
}

const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
/** `password` → `[pP][aA]…`: case-insensitive names without making the secrets themselves so. */
const anyCase = (word: string) => [...word].map((c) => (c.toLowerCase() === c.toUpperCase() ? escapeRegExp(c) : `[${c.toLowerCase()}${c.toUpperCase()}]`)).join('')

/** The places where a short secret stands as a whole value (see the top of this file); only the secret is matched. */
function wholeValuePattern(secrets: string[]): RegExp {
  const s = `(?:${secrets.sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`
  // What ends a value: the end of the text or line, blanks, separators, closing quotes and brackets.
  const end = `(?=$|[\\s&;,"'\`)\\]}>])`
  const names = `(?:${['password', 'passwd', 'passphrase', 'pass', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'api-key', 'pin'].map(anyCase).join('|')})`
  return new RegExp(
    [
      `(?<=^[ \\t]*)${s}(?=[ \\t]*\\r?$)`, // the whole text or a whole line
      `(?<=(["'\`]))${s}(?=\\1)`, // a quoted string
      `(?<==)${s}${end}`, // key=value
      `(?<=${names}["']?[ \\t]*[:=][ \\t]*)${s}${end}`, // password: value
      `(?<=\\/\\/[^/\\s:@]*:)${s}(?=@)`, // scheme://user:password@host
    ].join('|'),
    'gm',
  )
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

/**
 * An argument `name=value` (alone or as a flag's value: `--answer=smtp_password=x`) whose
 * name is secret-named: an answer, a setting or a parameter that is a secret.
 */
function secretPair(arg: string): {head: string; value: string} | undefined {
  const match = /^((?:--?[^=\s]+=)?([A-Za-z][\w.-]*)=)(.*)$/s.exec(arg)
  return match && isSecretName(match[2]) ? {head: match[1], value: match[3]} : undefined
}

/** Redact command-line arguments: values of secret-named flags (`--password x`, `--api-key=x`) and of `secret_name=value` arguments, and known secrets. */
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
    const pair = secretPair(arg)
    out.push(pair ? `${redact(pair.head)}${REDACTED}` : redact(arg))
  }
  return out
}

/**
 * Register the secrets a command line carries, before anything is parsed or printed: the
 * values of secret-named flags (also of flags the command does not know, which parse
 * errors would echo), of `secret_name=value` arguments (`--answer smtp_password=x`, also
 * after a mistyped flag) and the passwords of URLs (`--state postgres://u:pw@host/db`).
 */
export function registerArgvSecrets(argv: readonly string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const match = /^--?([^=]+)(=(.*))?$/.exec(argv[i])
    if (match && isSecretName(match[1])) registerSecret(match[2] === undefined ? argv[i + 1] : match[3])
    registerSecret(secretPair(argv[i])?.value)
    registerUrlPassword(argv[i])
  }
}

/**
 * Register the password part of every URL in a text (`scheme://user:password@host`, also
 * inside `--state=postgres://…`), raw and percent-decoded.
 */
export function registerUrlPassword(text: string | undefined): void {
  if (!text) return
  // The scheme is bounded: unbounded, a long run of letters (a 100000-character argument) made
  // the match quadratic, seconds of CPU before anything else ran.
  for (const match of text.matchAll(/[a-z][a-z0-9+.-]{0,31}:\/\/[^/:@\s]*:([^@/\s]+)@/gi)) {
    registerSecret(match[1])
    try {
      registerSecret(decodeURIComponent(match[1]))
    } catch {
      // not valid percent-encoding: the raw form is registered
    }
  }
}

import {usageError} from '../errors.js'

/**
 * THE shell-quoting helper. Every command odoops runs on a host is built here, and the
 * SSH layer only accepts a `RemoteCommand`, which nothing else can construct: so no
 * string concatenation of remote commands can compile anywhere else (and
 * test/ssh/quote-rule.test.ts greps src/ for attempts to get around it).
 *
 * Quoting is POSIX single-quote style: `'…'`, with each `'` written as `'\''`. Inside
 * single quotes sh and bash treat every byte literally (newlines, `$`, backticks, `\`,
 * non-ASCII), so the remote program receives exactly the bytes given. NUL cannot be
 * passed through argv at all and is refused.
 */
/** The only way to create a RemoteCommand (set by the class's static block); not exported. */
let make: (text: string) => RemoteCommand

export class RemoteCommand {
  readonly #text: string

  /** Private: commands come only from `shell`, `command`, `script` or `asRoot`. */
  private constructor(text: string) {
    this.#text = text
  }

  /** The command line as sent to the remote shell. */
  get text(): string {
    return this.#text
  }

  toString(): string {
    return this.#text
  }

  static {
    make = (text: string) => new RemoteCommand(text)
  }
}

/** Words that need no quotes (kept bare so logs stay readable). */
const SAFE_WORD = /^[A-Za-z0-9_/.,:@%+=-]+$/

/** One shell word whose value is exactly `arg`. */
export function quote(arg: string | number): string {
  const text = typeof arg === 'number' ? String(arg) : arg
  if (typeof text !== 'string') throw new TypeError(`quote() takes a string or number, got ${typeof arg}`)
  if (text.includes('\0')) {
    throw usageError('SHELL_ARG_NUL', 'A value passed to a remote command contains a NUL byte, which no command line can carry.', [
      'Remove the NUL character (\\0) from the value.',
    ])
  }
  if (text === '') return "''"
  if (SAFE_WORD.test(text)) return text
  return "'" + text.replaceAll("'", "'\\''") + "'"
}

/** A value interpolated into `shell`: quoted words, or an already built command inserted as is. */
export type ShellValue = string | number | RemoteCommand | readonly (string | number)[]

function render(value: ShellValue): string {
  if (value instanceof RemoteCommand) return value.text
  if (Array.isArray(value)) return value.map((v: string | number) => quote(v)).join(' ')
  if (typeof value === 'string' || typeof value === 'number') return quote(value)
  throw new TypeError(`Cannot interpolate ${typeof value} into a remote command`)
}

/**
 * Tagged template: the literal parts are the (trusted, constant) shell code, every
 * `${value}` becomes one quoted word (an array: one word per item; a RemoteCommand:
 * inserted unchanged, to compose commands).
 *
 *   shell`pg_dump --format=custom ${database} | gzip -c > ${path}`
 */
export function shell(strings: TemplateStringsArray, ...values: ShellValue[]): RemoteCommand {
  let out = strings[0]
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]
  })
  return make(out)
}

/** A command from an argv: every item one quoted word (`command(['ls', '-l', dir])`). */
export function command(argv: readonly (string | number)[]): RemoteCommand {
  if (argv.length === 0) throw new TypeError('command() needs at least the program name')
  return make(argv.map((a) => quote(a)).join(' '))
}

export interface ScriptOptions {
  /** bash (default: strict mode with pipefail) or sh (dash has no pipefail: `set -eu`). */
  shell?: 'bash' | 'sh'
}

/**
 * A multi-line script run by `bash -c` in strict mode (`set -euo pipefail`): a failing
 * command, an unset variable or a failure anywhere in a pipeline ends it non-zero.
 */
export function script(lines: RemoteCommand | readonly RemoteCommand[], options: ScriptOptions = {}): RemoteCommand {
  const body = (Array.isArray(lines) ? lines : [lines]).map((l: RemoteCommand) => l.text).join('\n')
  const sh = options.shell ?? 'bash'
  const prelude = sh === 'bash' ? 'set -euo pipefail' : 'set -eu'
  return make(`${sh} -c ${quote(prelude + '\n' + body)}`)
}

/**
 * Run a command as root through `sudo -n` (never prompts: a missing right fails at once
 * instead of hanging). The connection decides whether this is needed (user != root).
 */
export function asRoot(cmd: RemoteCommand): RemoteCommand {
  return make(`sudo -n -- sh -c ${quote(cmd.text)}`)
}

/** True when `value` is a command built by this module. */
export function isRemoteCommand(value: unknown): value is RemoteCommand {
  return value instanceof RemoteCommand
}

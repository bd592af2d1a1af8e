/**
 * Reading an Odoo module's `__manifest__.py` without running Python. Odoo reads it with
 * `ast.literal_eval` (odoo/modules/module.py, `load_manifest`); a repository odoops pins may be
 * hostile, so the text is parsed here by a small, strict parser of the same Python literals,
 * and everything else (names, calls, operators, f-strings…) is refused with its line and column.
 *
 * Decisions:
 * - bytes literals (b'…') are refused: a manifest holds text, and Odoo has no use for bytes.
 * - a module docstring before the dict is refused: `ast.literal_eval` parses one expression
 *   (eval mode), so Odoo itself cannot load such a manifest.
 * - sets and dict keys other than strings are refused (no manifest uses them, and a JS object
 *   would mix `1` and `'1'`); duplicate keys keep the last value, as Python does.
 * - unary plus and complex numbers are refused; only a minus directly before a number is allowed.
 * - `\N{…}` escapes are refused (they need Python's table of Unicode names).
 * - a byte order mark is refused, as literal_eval refuses it; line ends are read as Python
 *   reads a text file (\r\n and \r become \n).
 */

/** Larger than any real manifest by far; bounds the work on hostile input. */
export const MAX_MANIFEST_CHARS = 1024 * 1024
/** Containers (and parentheses) nested deeper are refused, before the stack could overflow. */
export const MAX_NESTING = 64

export type PythonValue = string | number | boolean | null | PythonValue[] | {[key: string]: PythonValue}

/** The text is not one Python literal (or is too large or too deep). Line and column count from 1. */
export class ManifestSyntaxError extends Error {
  readonly line: number
  readonly column: number
  /** The message without its position. */
  readonly reason: string

  constructor(line: number, column: number, reason: string) {
    super(`line ${line}, column ${column}: ${reason}`)
    this.name = 'ManifestSyntaxError'
    this.line = line
    this.column = column
    this.reason = reason
  }
}

/** The manifest parses but a key holds the wrong type of value. */
export class ManifestShapeError extends Error {
  readonly key: string

  constructor(key: string, reason: string) {
    super(`'${key}' ${reason}`)
    this.name = 'ManifestShapeError'
    this.key = key
  }
}

type Token =
  | {kind: 'punct'; text: string; line: number; column: number}
  | {kind: 'string'; value: string; line: number; column: number}
  | {kind: 'number'; value: number; line: number; column: number}
  | {kind: 'name'; text: string; line: number; column: number}
  | {kind: 'newline'; line: number; column: number}
  | {kind: 'end'; line: number; column: number}

const OPENERS: Record<string, string> = {'(': ')', '[': ']', '{': '}'}
const PUNCTUATION = new Set(['(', ')', '[', ']', '{', '}', ',', ':'])
const OPERATOR = /^(;|\*\*=?|\/\/=?|>>=?|<<=?|->|:=|[-+*/%@&|^~<>=!]=?|\.)/
const DIGITS = String.raw`[0-9](?:_?[0-9])*`
const EXPONENT = String.raw`[eE][-+]?${DIGITS}`
const RADIX_INT = /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/
const FLOAT = new RegExp(String.raw`^(?:(?:${DIGITS})?\.${DIGITS}(?:${EXPONENT})?|${DIGITS}\.(?:${EXPONENT})?|${DIGITS}${EXPONENT})`)
const DECIMAL_INT = new RegExp(`^${DIGITS}`)
const SIMPLE_ESCAPES: Record<string, string> = {'\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v'}

/**
 * Splits the text into tokens on demand. Newlines are tokens only outside brackets, where
 * Python ends an expression with them; inside brackets they are whitespace.
 */
class Lexer {
  private pos = 0
  private line = 1
  private lineStart = 0
  private brackets = 0
  private peeked?: Token

  constructor(private readonly text: string) {}

  peek(): Token {
    this.peeked ??= this.read()
    return this.peeked
  }

  next(): Token {
    const token = this.peek()
    this.peeked = undefined
    return token
  }

  error(line: number, column: number, reason: string): ManifestSyntaxError {
    return new ManifestSyntaxError(line, column, reason)
  }

  private here(): {line: number; column: number} {
    return {line: this.line, column: this.pos - this.lineStart + 1}
  }

  private newLine(): void {
    this.line++
    this.lineStart = this.pos
  }

  private read(): Token {
    const {text} = this
    for (;;) {
      const char = text[this.pos]
      if (char === ' ' || char === '\t' || char === '\f') {
        this.pos++
      } else if (char === '#') {
        while (this.pos < text.length && text[this.pos] !== '\n') this.pos++
      } else if (char === '\\') {
        // An explicit line join; a backslash anywhere else is not Python.
        const at = this.here()
        if (text[this.pos + 1] !== '\n') throw this.error(at.line, at.column, 'a backslash outside a string must end the line')
        if (this.pos + 2 >= text.length) throw this.error(at.line, at.column, 'the text ends after a line continuation (\\)')
        this.pos += 2
        this.newLine()
      } else if (char === '\n') {
        const at = this.here()
        this.pos++
        this.newLine()
        if (this.brackets === 0) return {kind: 'newline', ...at}
      } else {
        break
      }
    }
    const at = this.here()
    if (this.pos >= text.length) return {kind: 'end', ...at}
    const char = text[this.pos]
    if (PUNCTUATION.has(char)) {
      this.pos++
      if (Object.hasOwn(OPENERS, char)) this.brackets++
      else if (char === ')' || char === ']' || char === '}') this.brackets = Math.max(0, this.brackets - 1)
      return {kind: 'punct', text: char, ...at}
    }
    if (char === '"' || char === "'") return {kind: 'string', value: this.readString(''), ...at}
    if (/[0-9]/.test(char) || (char === '.' && /[0-9]/.test(text[this.pos + 1] ?? ''))) return {kind: 'number', value: this.readNumber(), ...at}
    const word = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/u.exec(text.slice(this.pos, this.pos + 256))
    if (word) {
      const name = word[0]
      const quote = text[this.pos + name.length]
      if ((quote === '"' || quote === "'") && /^(?:[rRuUfFbBtT]|[rR][fFbBtT]|[fFbBtT][rR])$/.test(name)) {
        this.pos += name.length
        return {kind: 'string', value: this.readString(name.toLowerCase()), ...at}
      }
      this.pos += name.length
      return {kind: 'name', text: name, ...at}
    }
    const operator = OPERATOR.exec(text.slice(this.pos, this.pos + 3))
    if (operator) {
      this.pos += operator[0].length
      return {kind: 'punct', text: operator[0], ...at}
    }
    const code = text.codePointAt(this.pos) ?? 0
    const shown = String.fromCodePoint(code)
    // Invisible characters (a byte order mark, a no-break space…) by their code, or the message would hide them.
    const name = /[\p{C}\p{Z}]/u.test(shown) ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${shown}'`
    throw this.error(at.line, at.column, `unexpected character ${name}`)
  }

  /** Reads a string literal from its opening quote; `prefix` is lowercase. */
  private readString(prefix: string): string {
    const {text} = this
    const start = {line: this.line, column: this.pos - this.lineStart + 1 - prefix.length}
    if (prefix.includes('f')) throw this.error(start.line, start.column, 'an f-string is not a Python literal')
    if (prefix.includes('t')) throw this.error(start.line, start.column, 'a t-string is not a Python literal')
    if (prefix.includes('b')) throw this.error(start.line, start.column, 'a bytes literal (b\'…\') is not accepted in a manifest')
    const raw = prefix.includes('r')
    const quote = text[this.pos]
    const triple = text.startsWith(quote.repeat(3), this.pos)
    const closing = triple ? quote.repeat(3) : quote
    this.pos += closing.length
    let value = ''
    let chunkStart = this.pos
    for (;;) {
      if (this.pos >= text.length || (!triple && text[this.pos] === '\n')) {
        throw this.error(start.line, start.column, triple ? 'unterminated triple-quoted string (not closed before the end of the text)' : 'unterminated string (not closed before the end of its line)')
      }
      const char = text[this.pos]
      if (text.startsWith(closing, this.pos)) {
        value += text.slice(chunkStart, this.pos)
        this.pos += closing.length
        return value
      }
      if (char === '\n') {
        this.pos++
        this.newLine()
      } else if (char === '\\') {
        if (this.pos + 1 >= text.length) {
          this.pos++ // the string is unterminated: reported at the top of the loop
        } else if (raw) {
          // A raw string keeps the backslash, but the quote (or newline) after it does not end it.
          if (text[this.pos + 1] === '\n') {
            this.pos += 2
            this.newLine()
          } else {
            this.pos += 2
          }
        } else {
          value += text.slice(chunkStart, this.pos)
          value += this.readEscape()
          chunkStart = this.pos
        }
      } else {
        this.pos++
      }
    }
  }

  /** Reads one escape sequence of a non-raw string, from its backslash. */
  private readEscape(): string {
    const {text} = this
    const at = this.here()
    const char = text[this.pos + 1]
    if (Object.hasOwn(SIMPLE_ESCAPES, char)) {
      this.pos += 2
      if (char === '\n') this.newLine()
      return SIMPLE_ESCAPES[char]
    }
    const octal = /^[0-7]{1,3}/.exec(text.slice(this.pos + 1, this.pos + 4))
    if (octal) {
      this.pos += 1 + octal[0].length
      return String.fromCharCode(Number.parseInt(octal[0], 8))
    }
    const width = {x: 2, u: 4, U: 8}[char as 'x' | 'u' | 'U']
    if (width) {
      const digits = text.slice(this.pos + 2, this.pos + 2 + width)
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) throw this.error(at.line, at.column, `the escape \\${char} needs ${width} hexadecimal digits`)
      const code = Number.parseInt(digits, 16)
      if (code > 0x10ffff) throw this.error(at.line, at.column, `the escape \\${char}${digits} is not a Unicode character`)
      this.pos += 2 + width
      return String.fromCodePoint(code)
    }
    if (char === 'N') throw this.error(at.line, at.column, 'the escape \\N{…} is not supported: write the character itself')
    // Python keeps an unknown escape as written (with a warning).
    this.pos += 2
    return '\\' + char
  }

  private readNumber(): number {
    const {text} = this
    const at = this.here()
    const rest = text.slice(this.pos, this.pos + 400)
    const match = RADIX_INT.exec(rest) ?? FLOAT.exec(rest) ?? DECIMAL_INT.exec(rest)
    if (!match) throw this.error(at.line, at.column, 'invalid number')
    const written = match[0]
    const after = text[this.pos + written.length] ?? ''
    if (after === 'j' || after === 'J') throw this.error(at.line, at.column, 'a complex number is not accepted in a manifest')
    if (/[\p{L}\p{N}_.]/u.test(after)) throw this.error(at.line, at.column, `invalid number ${(written + after).slice(0, 40)}`)
    this.pos += written.length
    const plain = written.replaceAll('_', '')
    if (/^0[xXoObB]/.test(plain) || /^[0-9]+$/.test(plain)) {
      if (/^0[0-9]*[1-9]/.test(plain)) throw this.error(at.line, at.column, `leading zeros are not allowed in the integer ${written}`)
      // Beyond 2^53 a JS number is no longer the integer written; the length check keeps BigInt cheap.
      if (plain.length > 70 || BigInt(plain) > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(at.line, at.column, `the integer ${written.slice(0, 40)} is too large`)
      return Number(BigInt(plain))
    }
    return Number(plain)
  }
}

/** Parses one Python literal, as `ast.literal_eval` would (with the limits above); throws ManifestSyntaxError. */
export function parsePythonLiteral(text: string): PythonValue {
  return parseTop(text).value
}

function parseTop(text: string): Parsed {
  if (text.length > MAX_MANIFEST_CHARS) throw new ManifestSyntaxError(1, 1, `the text is larger than ${MAX_MANIFEST_CHARS} characters`)
  // Python reads the file in text mode: every line end becomes \n.
  const lexer = new Lexer(text.replace(/\r\n?/g, '\n'))
  skipNewlines(lexer)
  // literal_eval strips the spaces that start the text, but a value indented on a later line is an IndentationError.
  const first = lexer.peek()
  if (first.kind !== 'end' && first.line > 1 && first.column > 1) throw lexer.error(first.line, first.column, 'unexpected indent: the value must start its line')
  const value = parseValue(lexer, 0)
  const newLines = skipNewlines(lexer)
  const after = lexer.peek()
  if (after.kind === 'end') return value
  if (newLines === 0) throw unexpected(lexer, after, 'after the value')
  // A string before the dict is a module docstring: a statement, which eval mode refuses.
  const docstring = typeof value.value === 'string' ? ' (a docstring before the dict is not accepted: Odoo reads the manifest with ast.literal_eval, which refuses it too)' : ''
  throw lexer.error(after.line, after.column, `a second statement follows the value that starts at line ${value.line}: only comments may follow it${docstring}`)
}

function skipNewlines(lexer: Lexer): number {
  let count = 0
  for (; lexer.peek().kind === 'newline'; count++) lexer.next()
  return count
}

interface Parsed {
  value: PythonValue
  line: number
  column: number
}

function parseValue(lexer: Lexer, depth: number): Parsed {
  const token = lexer.next()
  const at = {line: token.line, column: token.column}
  switch (token.kind) {
    case 'string': {
      // Adjacent literals are one string; newlines inside brackets are not tokens, so this joins across lines there.
      const parts = [token.value]
      for (let next = lexer.peek(); next.kind === 'string'; next = lexer.peek()) parts.push((lexer.next() as {value: string}).value)
      return {value: parts.join(''), ...at}
    }
    case 'number':
      return {value: token.value, ...at}
    case 'name':
      if (token.text === 'True') return {value: true, ...at}
      if (token.text === 'False') return {value: false, ...at}
      if (token.text === 'None') return {value: null, ...at}
      throw lexer.error(token.line, token.column, describeName(token.text))
    case 'punct':
      if (token.text === '-') {
        const operand = lexer.next()
        if (operand.kind !== 'number') throw lexer.error(token.line, token.column, 'a minus sign is allowed only directly before a number')
        return {value: -operand.value, ...at}
      }
      if (Object.hasOwn(OPENERS, token.text)) {
        if (depth >= MAX_NESTING) throw lexer.error(token.line, token.column, `the value nests deeper than ${MAX_NESTING} levels`)
        if (token.text === '[') return {value: parseSequence(lexer, depth + 1, ']'), ...at}
        if (token.text === '{') return {value: parseDict(lexer, depth + 1), ...at}
        return {value: parseParenthesized(lexer, depth + 1), ...at}
      }
      throw unexpected(lexer, token, 'where a value should be')
    case 'newline':
    case 'end':
      throw lexer.error(token.line, token.column, token.kind === 'end' ? 'the text ends where a value should be' : 'the line ends where a value should be')
  }
}

/** Items up to `closer`, with an optional trailing comma. */
function parseSequence(lexer: Lexer, depth: number, closer: string): PythonValue[] {
  const items: PythonValue[] = []
  for (;;) {
    if (isPunct(lexer.peek(), closer)) {
      lexer.next()
      return items
    }
    items.push(parseValue(lexer, depth).value)
    const separator = lexer.next()
    if (isPunct(separator, closer)) return items
    if (!isPunct(separator, ',')) throw unexpected(lexer, separator, `where ',' or '${closer}' should be`)
  }
}

/** `(x)` is x itself; `()`, `(x,)` and `(x, y)` are tuples, returned as arrays. */
function parseParenthesized(lexer: Lexer, depth: number): PythonValue {
  if (isPunct(lexer.peek(), ')')) {
    lexer.next()
    return []
  }
  const first = parseValue(lexer, depth).value
  const separator = lexer.next()
  if (isPunct(separator, ')')) return first
  if (!isPunct(separator, ',')) throw unexpected(lexer, separator, "where ',' or ')' should be")
  return [first, ...parseSequence(lexer, depth, ')')]
}

function parseDict(lexer: Lexer, depth: number): {[key: string]: PythonValue} {
  const dict: {[key: string]: PythonValue} = {}
  for (;;) {
    if (isPunct(lexer.peek(), '}')) {
      lexer.next()
      return dict
    }
    const key = parseValue(lexer, depth)
    const colon = lexer.next()
    if (!isPunct(colon, ':')) {
      if (isPunct(colon, ',') || isPunct(colon, '}')) throw lexer.error(colon.line, colon.column, 'a set is not accepted (only dicts, lists and tuples)')
      throw unexpected(lexer, colon, "where ':' should be")
    }
    if (typeof key.value !== 'string') throw lexer.error(key.line, key.column, `a dict key must be a string, not ${typeName(key.value)}`)
    const value = parseValue(lexer, depth).value
    // defineProperty: a key such as '__proto__' stays a plain key and never changes the object's prototype.
    Object.defineProperty(dict, key.value, {value, enumerable: true, writable: true, configurable: true})
    const separator = lexer.next()
    if (isPunct(separator, '}')) return dict
    if (!isPunct(separator, ',')) throw unexpected(lexer, separator, "where ',' or '}' should be")
  }
}

function isPunct(token: Token, text: string): boolean {
  return token.kind === 'punct' && token.text === text
}

const KEYWORDS: Record<string, string> = {
  lambda: 'a lambda is not a Python literal',
  for: 'a comprehension (for) is not a Python literal',
  if: 'a conditional expression (if) is not a Python literal',
  and: 'a boolean operator (and) is not a Python literal',
  or: 'a boolean operator (or) is not a Python literal',
  not: 'a boolean operator (not) is not a Python literal',
  await: 'await is not a Python literal',
  yield: 'yield is not a Python literal',
}

function describeName(name: string): string {
  return KEYWORDS[name] ?? `a name (${name.length > 40 ? name.slice(0, 40) + '…' : name}) is not a Python literal`
}

/** Explains a token that cannot come where it is, naming the construct when it is a known one. */
function unexpected(lexer: Lexer, token: Token, where: string): ManifestSyntaxError {
  const at = [token.line, token.column] as const
  switch (token.kind) {
    case 'name':
      return lexer.error(...at, KEYWORDS[token.text] ?? `unexpected name (${token.text.slice(0, 40)}) ${where}`)
    case 'string':
    case 'number':
      return lexer.error(...at, `unexpected ${token.kind} ${where}`)
    case 'newline':
      return lexer.error(...at, `the line ends ${where}`)
    case 'end':
      return lexer.error(...at, `the text ends ${where}`)
    case 'punct':
      if (token.text === '(') return lexer.error(...at, 'a call is not a Python literal')
      if (token.text === '.') return lexer.error(...at, 'attribute access (.) is not a Python literal')
      if (token.text === '[') return lexer.error(...at, 'a subscript ([…]) is not a Python literal')
      if (token.text === ';') return lexer.error(...at, 'a second statement (;) is not allowed: only comments may follow the value')
      if (token.text === '*' || token.text === '**') return lexer.error(...at, `unpacking or an operator (${token.text}) is not a Python literal`)
      if (PUNCTUATION.has(token.text)) return lexer.error(...at, `unexpected '${token.text}' ${where}`)
      return lexer.error(...at, `an operator (${token.text}) is not allowed in a Python literal`)
  }
}

function typeName(value: PythonValue): string {
  if (value === null) return 'None'
  if (Array.isArray(value)) return 'a list or tuple'
  if (typeof value === 'boolean') return 'a boolean'
  if (typeof value === 'number') return 'a number'
  if (typeof value === 'string') return 'a string'
  return 'a dict'
}

export interface AddonManifest {
  /** The module's human name ('name'), '' when absent. */
  name: string
  /** As written; undefined when absent (Odoo then uses '1.0'). */
  version?: string
  /** 'LGPL-3' when absent, as Odoo does (with `licenseDefaulted`). */
  license: string
  licenseDefaulted: boolean
  depends: string[]
  installable: boolean
  /** 'auto_install': True, or installed once all these modules are. */
  autoInstall: boolean | string[]
  application: boolean
  /** external_dependencies.python */
  externalPython: string[]
  /** external_dependencies.bin */
  externalBin: string[]
  summary?: string
  author?: string
}

/**
 * Reads a `__manifest__.py`, with Odoo's defaults for absent keys. Throws ManifestSyntaxError
 * when it is not one Python dict literal, and ManifestShapeError when a key holds the wrong type.
 */
export function readManifest(text: string): AddonManifest {
  const {value: manifest, line, column} = parseTop(text)
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new ManifestSyntaxError(line, column, `a manifest is a dict ({…}), not ${typeName(manifest)}`)
  const get = (key: string): PythonValue | undefined => (Object.hasOwn(manifest, key) ? manifest[key] : undefined)
  const license = optionalString(get('license'), 'license')
  // Odoo skips a falsy value (older Odoo defaulted it to []), so None and [] mean none.
  const declared = get('external_dependencies')
  const external = declared === undefined || declared === null || (Array.isArray(declared) && declared.length === 0) ? {} : declared
  if (typeof external !== 'object' || Array.isArray(external)) throw new ManifestShapeError('external_dependencies', `must be a dict, not ${typeName(external)}`)
  const externalOf = (kind: string): string[] => stringList(Object.hasOwn(external, kind) ? external[kind] : undefined, `external_dependencies.${kind}`)
  const depends = stringList(get('depends'), 'depends')
  const declaredAutoInstall = get('auto_install') ?? false
  const autoInstall = typeof declaredAutoInstall === 'boolean' ? declaredAutoInstall : stringList(declaredAutoInstall, 'auto_install', 'must be True, False or a list of module names')
  if (Array.isArray(autoInstall)) {
    // Odoo asserts this at load: the modules that trigger the install must be dependencies.
    const strays = autoInstall.filter((name) => !depends.includes(name))
    if (strays.length > 0) throw new ManifestShapeError('auto_install', `names modules that are not in 'depends': ${strays.join(', ')}`)
  }
  const version = optionalString(get('version'), 'version')
  const summary = optionalString(get('summary'), 'summary')
  const author = optionalString(get('author'), 'author')
  return {
    name: optionalString(get('name'), 'name') ?? '',
    ...(version === undefined ? {} : {version}),
    // Odoo treats an empty license as a missing one.
    license: license || 'LGPL-3',
    licenseDefaulted: !license,
    depends,
    installable: boolean(get('installable'), 'installable', true),
    autoInstall,
    application: boolean(get('application'), 'application', false),
    externalPython: externalOf('python'),
    externalBin: externalOf('bin'),
    ...(summary === undefined ? {} : {summary}),
    ...(author === undefined ? {} : {author}),
  }
}

function optionalString(value: PythonValue | undefined, key: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value
  throw new ManifestShapeError(key, `must be a string, not ${typeName(value)}`)
}

function boolean(value: PythonValue | undefined, key: string, absent: boolean): boolean {
  if (value === undefined) return absent
  if (typeof value === 'boolean') return value
  throw new ManifestShapeError(key, `must be True or False, not ${typeName(value)}`)
}

function stringList(value: PythonValue | undefined, key: string, problem = 'must be a list of strings'): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new ManifestShapeError(key, `${problem}, not ${typeName(value)}`)
  const wrong = value.find((item) => typeof item !== 'string')
  if (wrong !== undefined) throw new ManifestShapeError(key, `${problem}; it holds ${typeName(wrong)}`)
  return value as string[]
}

export interface VersionCheck {
  ok: boolean
  /** The version as Odoo stores it (series-prefixed), when ok. */
  normalized?: string
  /** Why it does not fit, worded to follow "version X …". */
  problem?: string
}

const SERIES = /^(?:saas~)?\d+\.\d+$/
/** A version part that names an Odoo series: `saas~17.2`, or `N.0` from 8.0 (the first named Odoo) on. */
const NAMED_SERIES = /^(saas~\d+\.\d+|(\d+)\.0)(?:\.|$)/
const BASE_VERSION = /^\d+\.\d+(?:\.\d+)?$/

/**
 * Checks a module version against the series it is deployed on, by Odoo's rules
 * (`adapt_version`): `<series>.x.y` or `<series>.x.y.z` as written, and the short forms `x.y`
 * and `x.y.z`, which Odoo prefixes with the series. Stricter than Odoo on purpose: a version
 * that names another series (16.0.1.0.0, or 16.0.1 that Odoo would take as a short form) is
 * refused, as is the series alone ('17.0', read differently by different Odoo series). An
 * absent version is Odoo's default, '1.0'.
 */
export function checkModuleVersion(version: string | undefined, series: string): VersionCheck {
  if (!SERIES.test(series)) return {ok: false, problem: `cannot be checked: "${series}" is not an Odoo series`}
  const written = version ?? '1.0'
  const expected = `expected x.y, x.y.z, ${series}.x.y or ${series}.x.y.z`
  if (written.startsWith(series + '.')) {
    if (BASE_VERSION.test(written.slice(series.length + 1))) return {ok: true, normalized: written}
    return {ok: false, problem: `is not a module version (${expected})`}
  }
  const named = NAMED_SERIES.exec(written)
  if (named && (named[2] === undefined || Number(named[2]) >= 8)) {
    if (named[1] === series) return {ok: false, problem: `is the series alone, with no module version after it (${expected})`}
    return {ok: false, problem: `names series ${named[1]}, not ${series}`}
  }
  if (BASE_VERSION.test(written)) return {ok: true, normalized: `${series}.${written}`}
  return {ok: false, problem: `is not a module version (${expected})`}
}

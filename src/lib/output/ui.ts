import {Chalk, type ChalkInstance} from 'chalk'
import {redact} from '../secrets/redact.js'
import {usageError} from '../errors.js'
import {createProgress, type Progress, type ProgressOptions} from './progress.js'
import {renderTable, type Column} from './table.js'

/**
 * The output layer every command and domain routine writes through. It knows the mode
 * (JSON or human, colour, interactive) so callers never test TTYs themselves:
 * - `log`/`table` go to stdout and are silent under --json (the JSON document is the output);
 * - progress and warnings go to stderr; progress is silent under --json;
 * - prompts happen only when interactive, otherwise a missing value fails naming its flag.
 * Every string passes through secret redaction on its way out.
 */
export interface UiOptions {
  json: boolean
  color: boolean
  interactive: boolean
  verbose: boolean
  stdout?: NodeJS.WritableStream & {isTTY?: boolean; columns?: number}
  stderr?: NodeJS.WritableStream & {isTTY?: boolean; columns?: number}
}

export interface PromptSpec {
  message: string
  /** The flag that answers this prompt non-interactively, e.g. `--domain`. */
  flag: string
  default?: string
  validate?: (value: string) => true | string
}

export class Ui {
  readonly json: boolean
  readonly interactive: boolean
  readonly verbose: boolean
  readonly color: ChalkInstance
  readonly warnings: string[] = []
  private readonly out: NonNullable<UiOptions['stdout']>
  private readonly err: NonNullable<UiOptions['stderr']>

  constructor(options: UiOptions) {
    this.json = options.json
    this.interactive = options.interactive && !options.json
    this.verbose = options.verbose
    this.out = options.stdout ?? process.stdout
    this.err = options.stderr ?? process.stderr
    this.color = new Chalk({level: options.color ? 1 : 0})
  }

  /** A UI that prints nothing (domain code called from tests or other domain code). */
  static silent(): Ui {
    return new Ui({json: true, color: false, interactive: false, verbose: false})
  }

  log(text = ''): void {
    if (!this.json) this.out.write(redact(text) + '\n')
  }

  /** Detail shown with --verbose only, on stderr. */
  debug(text: string): void {
    if (this.verbose && !this.json) this.err.write(this.color.dim(redact(text)) + '\n')
  }

  warn(text: string): void {
    const clean = redact(text)
    this.warnings.push(clean)
    this.err.write(this.color.yellow('Warning: ') + clean + '\n')
  }

  /** Text as it is on stdout (a rendered file, a report), silent under --json. */
  raw(text: string): void {
    if (!this.json) this.out.write(redact(text))
  }

  /** A status line on stderr for people (what is happening), silent under --json. */
  note(text: string): void {
    if (!this.json) this.err.write(redact(text) + '\n')
  }

  /**
   * A problem found, on stderr with a red label ("Problem:", "Failed:") and its fixes
   * indented below; silent under --json, where the result document carries it.
   */
  problem(label: string, text: string, suggestions: readonly string[] = []): void {
    if (this.json) return
    this.err.write(redact([`${this.color.red(label)} ${text}`, ...suggestions.map((s) => `  ${s}`)].join('\n')) + '\n')
  }

  /** One JSON object per line (event streams): stdout, or stderr under --json where stdout holds the result. */
  jsonLine(line: string): void {
    ;(this.json ? this.err : this.out).write(redact(line.endsWith('\n') ? line : line + '\n'))
  }

  /**
   * The one way past the redaction layer: a secret the user must see once (a new tenant's
   * initial password), on stdout, never under --json, never logged or audited.
   */
  revealOnce(text: string): void {
    if (!this.json) this.out.write(text + '\n')
  }

  /** What a remote command printed, passed through (redacted) to our own stdout and stderr. */
  passthrough(stdout: string, stderr: string): void {
    if (this.json) return
    this.out.write(redact(stdout))
    this.err.write(redact(stderr))
  }

  table<T extends object>(rows: T[], columns: Column<T>[]): void {
    if (this.json) return
    this.out.write(renderTable(rows, columns, {color: this.color, width: this.out.columns}) + '\n')
  }

  progress(label: string, options: ProgressOptions = {}): Progress {
    return createProgress(label, options, {
      stream: this.err,
      silent: this.json,
      tty: Boolean(this.err.isTTY) && !process.env.CI,
      color: this.color,
    })
  }

  private needInteractive(spec: {message: string; flag: string}): void {
    if (!this.interactive) {
      throw usageError('MISSING_VALUE', `${spec.message.replace(/[?:]\s*$/, '')}: no value given, and odoops does not prompt here (not a terminal, CI, --json or --yes).`, [
        `Pass ${spec.flag}.`,
      ])
    }
  }

  async input(spec: PromptSpec): Promise<string> {
    this.needInteractive(spec)
    const {input} = await import('@inquirer/prompts')
    return input({message: spec.message, default: spec.default, validate: spec.validate}, {output: this.err})
  }

  async password(spec: PromptSpec): Promise<string> {
    this.needInteractive(spec)
    const {password} = await import('@inquirer/prompts')
    return password({message: spec.message, mask: '*', validate: spec.validate}, {output: this.err})
  }

  async select<V extends string>(spec: {message: string; flag: string; choices: {value: V; name?: string; description?: string}[]; default?: V}): Promise<V> {
    this.needInteractive(spec)
    const {select} = await import('@inquirer/prompts')
    return select<V>({message: spec.message, choices: spec.choices, default: spec.default}, {output: this.err})
  }

  /**
   * A yes/no confirmation. With --yes (non-interactive) it counts as yes, since the
   * caller asked for that; destructive actions use `confirmName` instead.
   */
  async confirm(spec: {message: string; default?: boolean; assumeYes: boolean}): Promise<boolean> {
    if (spec.assumeYes || !this.interactive) return spec.assumeYes
    const {confirm} = await import('@inquirer/prompts')
    return confirm({message: spec.message, default: spec.default ?? false}, {output: this.err})
  }
}

/**
 * Destructive actions always need `--confirm <name>`; on a terminal without it the user
 * types the name instead. `--yes` never counts.
 */
export async function confirmName(ui: Ui, spec: {what: string; name: string; given?: string; command: string}): Promise<void> {
  if (spec.given !== undefined) {
    if (spec.given === spec.name) return
    throw usageError('CONFIRM_MISMATCH', `--confirm "${spec.given}" does not match ${spec.what} "${spec.name}". Nothing was changed.`, [
      `${spec.command} --confirm ${spec.name}`,
    ])
  }
  if (!ui.interactive) {
    throw usageError('CONFIRM_REQUIRED', `Removing ${spec.what} "${spec.name}" cannot be undone and needs --confirm ${spec.name}. Nothing was changed.`, [
      `${spec.command} --confirm ${spec.name}`,
    ])
  }
  const typed = await ui.input({message: `Type "${spec.name}" to confirm removing ${spec.what}`, flag: `--confirm ${spec.name}`})
  if (typed !== spec.name) throw usageError('CONFIRM_MISMATCH', `"${typed}" does not match "${spec.name}". Nothing was changed.`)
}

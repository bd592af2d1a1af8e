import {homedir} from 'node:os'
import {join} from 'node:path'
import {Command, Flags, Interfaces} from '@oclif/core'
import {ExitCode, isOdoopsError, OdoopsError} from '../lib/errors.js'
import {Ui} from '../lib/output/ui.js'
import {Settings} from '../lib/config/settings.js'
import {redact, redactValue, registerArgvSecrets, registerUrlPassword} from '../lib/secrets/redact.js'
import type {StateStore} from '../lib/state/store.js'
import type {OdoopsDirs} from '../lib/paths.js'
import {toOdoopsError} from './errors.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof OdoopsCommand)['baseFlags'] & T['flags']>

/** Shape of every error document under --json (schemas/error.json, docs/json-output.md). */
export interface JsonError {
  error: {code: string; message: string; exitCode: ExitCode; suggestions: string[]; data?: Record<string, unknown>}
}

/**
 * The base of every odoops command, and of every command a plugin pack adds.
 * - `run()` returns the command's typed result; under --json that object is the output.
 * - Global flags: --json, --state, --yes, --no-color, --verbose.
 * - Errors become `Error (CODE): message` + "Try this:" on stderr, or {"error": {...}}
 *   under --json, with the exit codes of lib/errors.ts.
 * - Commands that change state or a host set `static audited = true`; their runs are
 *   appended to the audit trail, arguments redacted.
 */
export abstract class OdoopsCommand<T = unknown> extends Command {
  static override enableJsonFlag = true
  /** Append an audit event for each run (commands that change state or a host). */
  static audited = false
  /**
   * The command reaches hosts over SSH: before run() the connection pool gets the user's
   * settings (timeouts, sessions) and, on a terminal, a passphrase prompt for encrypted keys.
   */
  static usesSsh = false

  static override baseFlags = {
    state: Flags.string({
      description: 'state store: a directory, file:///dir, or postgres://user@host/db',
      env: 'ODOOPS_STATE',
      helpGroup: 'GLOBAL',
    }),
    yes: Flags.boolean({char: 'y', description: 'never prompt; confirmations count as yes (destructive ones still need --confirm)', helpGroup: 'GLOBAL'}),
    'no-color': Flags.boolean({description: 'no colours (also NO_COLOR, or when stdout is not a terminal)', helpGroup: 'GLOBAL'}),
    verbose: Flags.boolean({description: 'show more detail on stderr', helpGroup: 'GLOBAL'}),
  }

  protected ui!: Ui
  protected settings!: Settings
  protected globalFlags!: {state?: string; yes: boolean; 'no-color': boolean; verbose: boolean; json: boolean}
  /** Aborted on Ctrl-C / SIGTERM; long-running domain work observes it and cleans up. */
  protected readonly abort = new AbortController()
  /** Set by commands to enrich their audit event. */
  protected auditContext: {tenant?: string; host?: string; details?: Record<string, unknown>} = {}
  /** Commands that watch `this.abort.signal` set this so Ctrl-C lets them clean up before exit 130. */
  protected handlesInterrupt = false

  private store?: StateStore
  /** oclif's own warnings from before the Ui exists (a deprecated command): kept for --json. */
  private earlyWarnings: string[] = []
  private startedAt = Date.now()
  private interruptCount = 0
  private readonly onSignal = (signal: NodeJS.Signals) => this.interrupted(signal)

  abstract override run(): Promise<T>

  override async init(): Promise<void> {
    // Before anything can echo them (parse errors quote unknown flags): secret flag values, URL passwords.
    registerArgvSecrets(this.argv)
    registerUrlPassword(process.env.ODOOPS_STATE)
    await super.init()
    this.startedAt = Date.now()
    process.on('SIGINT', this.onSignal)
    process.on('SIGTERM', this.onSignal)
    // Parse leniently here for the global flags only; run() parses strictly with its own class.
    const ctor = this.ctor as typeof OdoopsCommand
    const {flags} = await this.parse({flags: ctor.flags, baseFlags: ctor.baseFlags, enableJsonFlag: ctor.enableJsonFlag, strict: false, args: {}})
    const f = flags as Record<string, unknown>
    const json = this.jsonEnabled()
    const noColor = Boolean(f['no-color']) || 'NO_COLOR' in process.env || !process.stdout.isTTY
    this.globalFlags = {state: f.state as string | undefined, yes: Boolean(f.yes), 'no-color': noColor, verbose: Boolean(f.verbose), json}
    this.settings = new Settings(this.dirs.configDir)
    this.ui = new Ui({
      json,
      color: !noColor,
      verbose: Boolean(f.verbose),
      interactive: Boolean(process.stdin.isTTY) && !process.env.CI && !json && !f.yes,
    })
    this.ui.warnings.push(...this.earlyWarnings)
    if (ctor.usesSsh) {
      const {configureSshForCommand} = await import('./ssh-setup.js')
      configureSshForCommand(this.settings, this.ui)
    }
  }

  get dirs(): OdoopsDirs {
    return {configDir: this.config.configDir, dataDir: this.config.dataDir, cacheDir: this.config.cacheDir}
  }

  /** The state store, opened once per command run and closed when it ends. */
  protected async state(options: {requireCurrentSchema?: boolean} = {}): Promise<StateStore> {
    if (!this.store) {
      const {dataDirInvalid, openStore, parseStateLocation} = await import('../lib/state/open.js')
      const given = this.globalFlags.state
      const stored = given === undefined ? this.settings.get<string>('state') : undefined
      const value = given ?? stored
      try {
        const location = parseStateLocation(value, this.dirs.dataDir)
        this.store = await openStore(location, {...options, ...(value === undefined ? {invalidDir: (_dir: string, problem: string) => dataDirInvalid(this.dirs.dataDir, problem)} : {})})
      } catch (error) {
        const source = given === undefined ? 'config' : this.argv.some((a) => a === '--state' || a.startsWith('--state=')) ? 'flag' : 'env'
        throw stateSourceHint(error, value === undefined ? 'default' : source)
      }
    }
    return this.store
  }

  /**
   * What the addons code needs (store, dirs, the installed packs' repositories). `sync`
   * registers or re-pins the packs' repositories first: all of them (`true`) or those named.
   */
  protected async addonsEnv(options: {sync?: boolean | readonly string[]} = {}): Promise<import('../lib/addons/repos.js').AddonsEnv & {packs: import('../lib/addons/packs.js').PackAddonRepo[]}> {
    const {installedPackRepos, syncPackAddons} = await import('./pack-addons.js')
    const env = {store: await this.state(), dataDir: this.dirs.dataDir, cacheDir: this.dirs.cacheDir, packs: installedPackRepos(this.config)}
    if (options.sync) await syncPackAddons(this.ui, env, options.sync === true ? undefined : options.sync)
    return env
  }

  /** The key that seals secrets in the state store (ODOOPS_SECRET_KEY or <configDir>/secret.key). */
  protected async secretBox(): Promise<import('../lib/secrets/secret-box.js').SecretBox> {
    const {SecretBox} = await import('../lib/secrets/secret-box.js')
    return SecretBox.fromEnvOrFile(this.dirs.configDir)
  }

  override async catch(error: Interfaces.CommandError): Promise<void> {
    const failure = toOdoopsError(error)
    process.exitCode = failure.exit
    this.lastError = failure
    if (this.jsonEnabled()) {
      this.logJson({
        error: {code: failure.code, message: failure.message, exitCode: failure.exit, suggestions: failure.suggestions, ...(failure.data ? {data: failure.data} : {})},
      } satisfies JsonError)
      return
    }
    const ui = this.ui ?? new Ui({json: false, color: false, interactive: false, verbose: false})
    const lines = [ui.color.red(`Error (${failure.code}): `) + failure.message]
    if (failure.suggestions.length > 0) {
      lines.push('', ui.color.bold('Try this:'), ...failure.suggestions.map((s) => `  ${s}`))
    }
    if (this.globalFlags?.verbose && error.stack) lines.push('', ui.color.dim(error.stack))
    process.stderr.write(redact(lines.join('\n')) + '\n')
  }

  private lastError?: OdoopsError

  override async finally(error: Error | undefined): Promise<void> {
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    try {
      if ((this.ctor as typeof OdoopsCommand).audited && this.globalFlags) await this.writeAudit(error)
    } catch (auditError) {
      process.stderr.write(redact(`Warning: could not record the audit event: ${(auditError as Error).message}`) + '\n')
      if (!process.exitCode) process.exitCode = ExitCode.FAILURE
    } finally {
      await this.store?.close().catch(() => {})
      // SSH connections opened by the command (the pool registers itself when loaded).
      const sshPool = (globalThis as Record<symbol, {closeAll(): Promise<void>} | undefined>)[Symbol.for('odoops.sshPool')]
      await sshPool?.closeAll().catch(() => {})
      await super.finally(error)
    }
  }

  /**
   * The command line as the audit event records it (before the generic redaction of
   * secret-named flags and registered secrets). Commands whose arguments carry secrets the
   * generic rules cannot see override it (`onboard --answer <password question>=…`).
   */
  protected auditArgv(): string[] {
    return [...this.argv]
  }

  /**
   * Whether a run that failed before it opened the state store may open it (creating it when
   * it does not exist yet) to record its audit event. `state import` answers no for a store
   * that does not exist: a bad dump must leave nothing behind (exit 2: nothing was changed).
   */
  protected auditMayOpenStore(): boolean {
    return true
  }

  private async writeAudit(error: Error | undefined): Promise<void> {
    if (error !== undefined && !this.store && !this.auditMayOpenStore()) return
    let store: StateStore
    try {
      store = await this.state()
    } catch (openError) {
      // A failed run already reports why the store cannot be opened; a successful one
      // changed something that now goes unrecorded, which must not pass silently.
      if (error === undefined) throw openError
      return
    }
    const exitCode = Number(process.exitCode ?? 0)
    const {recordAudit} = await import('../lib/audit/audit.js')
    await recordAudit(store, {
      command: this.id ?? 'unknown',
      argv: this.auditArgv(),
      exitCode,
      durationMs: Date.now() - this.startedAt,
      tenant: this.auditContext.tenant,
      host: this.auditContext.host,
      details: this.auditContext.details,
      error: error ? (this.lastError?.message ?? error.message) : undefined,
    })
  }

  /** oclif's `this.warn` goes through the Ui too: redacted, and listed in the JSON result. */
  override warn(input: string | Error): string | Error {
    const text = typeof input === 'string' ? input : input.message
    if (this.ui) this.ui.warn(text)
    else {
      this.earlyWarnings.push(redact(text))
      process.stderr.write(`Warning: ${redact(text)}\n`)
    }
    return input
  }

  /**
   * Every JSON result object carries the run's warnings (`warnings: string[]`, maybe empty),
   * the same lines a person sees as `Warning: …` on stderr (docs/json-output.md).
   */
  protected override toSuccessJson(result: unknown): unknown {
    if (!result || typeof result !== 'object' || Array.isArray(result)) return result
    return {...result, warnings: [...(this.ui?.warnings ?? [])]}
  }

  override logJson(json: unknown): void {
    this.printJson(json)
  }

  /**
   * The JSON document on stdout. Secret-named fields are masked and registered secret values
   * replaced; a command whose document must keep a field named like a secret (a count keyed
   * `secrets`), or reach stdout byte for byte (an importable dump of ciphertext), says so.
   */
  protected printJson(json: unknown, options: {redactFields?: boolean; redactValues?: boolean} = {}): void {
    const text = JSON.stringify(options.redactFields === false ? json : redactValue(json), null, 2)
    process.stdout.write((options.redactValues === false ? text : redact(text)) + '\n')
  }

  /**
   * A check that ran and found problems (a backup that did not verify, a broken pack, a
   * demo whose tenant is unhealthy): exit 1 with the result document, which says what was
   * found (docs/json-output.md, "Checks"); people get `Error (CODE): message` on stderr.
   */
  protected reportProblems(code: string, message: string): void {
    process.exitCode = ExitCode.FAILURE
    this.auditContext.details = {...this.auditContext.details, problem: code}
    if (!this.ui.json) process.stderr.write(redact(this.ui.color.red(`Error (${code}): `) + message) + '\n')
  }

  /** First Ctrl-C: abort the work in hand (commands that watch the signal clean up). Second: exit at once. */
  private interrupted(signal: NodeJS.Signals): void {
    this.interruptCount++
    process.exitCode = ExitCode.INTERRUPTED
    this.abort.abort(new OdoopsError('INTERRUPTED', `Interrupted by ${signal}.`, {exit: ExitCode.INTERRUPTED}))
    if (!this.handlesInterrupt || this.interruptCount > 1) {
      process.stderr.write(`\nInterrupted (${signal}).\n`)
      process.exit(ExitCode.INTERRUPTED)
    }
    process.stderr.write(`\nInterrupted (${signal}): cleaning up; press Ctrl-C again to stop at once.\n`)
  }
}

/**
 * A STATE_URL_INVALID from a location the user did not type on this command line says where
 * it came from and how to get rid of it: the stored setting (`config unset state`), or
 * ODOOPS_STATE. Otherwise every later command would fail the same way with no way out shown.
 */
function stateSourceHint(error: unknown, source: 'flag' | 'env' | 'config' | 'default'): unknown {
  if (!isOdoopsError(error) || error.code !== 'STATE_URL_INVALID' || source === 'flag' || source === 'default') return error
  const fromConfig = source === 'config'
  return new OdoopsError(error.code, `${fromConfig ? 'The stored setting "state"' : 'ODOOPS_STATE'} is not usable: ${error.message}`, {
    exit: error.exit,
    suggestions: fromConfig
      ? ['odoops config unset state', `Or store a usable location: odoops config set state ${join(homedir(), 'odoops-state')}`]
      : ['unset ODOOPS_STATE', ...error.suggestions],
    data: {...error.data, source: fromConfig ? 'config' : 'ODOOPS_STATE'},
    cause: error,
  })
}

export {isOdoopsError}

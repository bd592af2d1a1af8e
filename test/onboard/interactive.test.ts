import {expect} from 'chai'
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'
import {BIN, ROOT, runCli} from '../helpers/cli.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS, type PreparedHost} from '../helpers/prepared-host.js'
import {requireSandboxes} from '../helpers/sandbox.js'
import {rememberOutput} from '../helpers/secrets.js'

const ONBOARD_TIMEOUT_MS = 300_000
const PROMPT_TIMEOUT_MS = 30_000

/** POSIX single-quoting for the small script tmux runs (values come from this test only). */
const sq = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`

/**
 * One program in a real pseudo-terminal: a private tmux server (its own socket, so it
 * never meets the user's tmux) running a detached session. Keys go in with send-keys, the
 * screen comes back with capture-pane — what a consultant would see and type.
 */
class TmuxTerminal {
  private readonly socket: string
  private readonly session = 'onboard'
  readonly exitFile: string

  constructor(private readonly dir: string) {
    this.exitFile = join(dir, 'exit-code')
    this.socket = join(dir, 'tmux.sock')
  }

  private tmux(args: string[]) {
    // -u: the pane speaks UTF-8 whatever the locale of the test runner.
    return execa('tmux', ['-u', '-S', this.socket, ...args], {env: {TERM: 'xterm-256color'}, extendEnv: true, stdin: 'ignore'})
  }

  /** Start `node bin/run.js …args` with exactly `env` (plus PATH/HOME/TERM): CI is not set. */
  async start(args: string[], env: Record<string, string>): Promise<void> {
    const script = join(this.dir, 'run.sh')
    const vars = {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8', ...env}
    writeFileSync(script, [
      `cd ${sq(ROOT)}`,
      `env -i ${Object.entries(vars).map(([k, v]) => sq(`${k}=${v}`)).join(' ')} node ${sq(BIN)} ${args.map(sq).join(' ')}`,
      `echo $? > ${sq(this.exitFile)}`,
      // Keep the pane (and its last screen) until the test has read it.
      'sleep 3600',
    ].join('\n') + '\n')
    await this.tmux(['new-session', '-d', '-s', this.session, '-x', '200', '-y', '50', `sh ${sq(script)}`])
  }

  /** The whole pane, scroll-back included, wrapped lines joined. */
  async screen(): Promise<string> {
    const result = await this.tmux(['capture-pane', '-p', '-J', '-t', this.session, '-S', '-3000'])
    return result.stdout
  }

  /** Wait until `text` is on the screen at least `times` times (an answered prompt stays visible). */
  async waitFor(text: string, times = 1, timeoutMs = PROMPT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let seen = ''
    while (Date.now() < deadline) {
      seen = await this.screen()
      if (seen.split(text).length - 1 >= times) return
      if (existsSync(this.exitFile)) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`no "${text}" (×${times}) on the terminal within ${timeoutMs / 1000} s${existsSync(this.exitFile) ? ' (the program exited)' : ''}. Screen:\n${seen}`)
  }

  /** Type `text` literally (quotes, $( ), unicode as they are), then the named keys. */
  async type(text: string, ...keys: string[]): Promise<void> {
    if (text) await this.tmux(['send-keys', '-t', this.session, '-l', text])
    if (keys.length) await this.tmux(['send-keys', '-t', this.session, ...keys])
  }

  /** The program's exit code once it ends. */
  async exitCode(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (existsSync(this.exitFile)) {
        const text = readFileSync(this.exitFile, 'utf8').trim()
        if (text) return Number(text)
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    throw new Error(`the program did not end within ${timeoutMs / 1000} s. Screen:\n${await this.screen()}`)
  }

  async close(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => undefined)
    rmSync(this.socket, {force: true})
  }
}

describe('interactive onboarding through a real pseudo-terminal (tmux) @host', function () {
  let host: PreparedHost
  const dir = mkdtempSync(join(tmpdir(), 'odoops-onboard-tty-'))
  const credentials = join(dir, 'logins.yaml')
  let terminal: TmuxTerminal | undefined

  // Typed at the prompts: quotes, $( ) and unicode must reach Odoo exactly as typed.
  const company = `Café "Zoë" & Fils $(id) O'Neil`
  const domain = 'tty-cafe.example.test'
  const slug = 'tty-cafe'
  const users = [
    {name: 'Ana Ölçer', login: 'ana@tty-cafe.example.test', role: 'salesperson'},
    {name: `Bob "B" O'Brien`, login: 'bob@tty-cafe.example.test', role: 'manager'},
  ]

  before(async function () {
    this.timeout(PREPARED_HOST_TIMEOUT_MS)
    requireSandboxes(this)
    const tmux = await execa('tmux', ['-V'], {reject: false, stdin: 'ignore'}).catch(() => undefined)
    if (!tmux || tmux.exitCode !== 0) throw new Error('tmux is needed for this test: apt-get install tmux (.ci/install-system-deps installs it)')
    host = await preparedHost()
  })

  after(async () => {
    await terminal?.close()
  })

  it('asks the starter template\'s questions, shows a summary, confirms, and onboards like the non-interactive path', async function () {
    this.timeout(ONBOARD_TIMEOUT_MS + 120_000)
    terminal = new TmuxTerminal(dir)
    const t = terminal
    try {
      await t.start(['onboard', '--template', 'starter', '--host', host.host, '--customer', slug, '--credentials-file', credentials], {...host.env, NO_COLOR: '1'})
      await t.waitFor('Company name (as on invoices)')
      await t.type(company, 'Enter')
      await t.waitFor('Domain the users will open')
      await t.type(domain, 'Enter')
      await t.waitFor('Country of the company')
      await t.type('', 'Enter') // default BE
      await t.waitFor('Company currency')
      await t.type('', 'Enter') // default EUR
      await t.waitFor('Language of the users')
      await t.type('', 'Down', 'Enter') // en_US → fr_BE (second choice)
      await t.waitFor('E-mail of the customer\'s main contact')
      await t.type('not-an-email', 'Enter')
      // Validation keeps the prompt open: clear the field and type a real address.
      await t.waitFor('"not-an-email" is not an e-mail address')
      await t.type('', 'C-u')
      await t.type('contact@tty-cafe.example.test', 'Enter')

      await t.waitFor('Add a user?')
      for (const [i, user] of users.entries()) {
        if (i > 0) await t.waitFor('Add another user?', i)
        await t.type('y', 'Enter')
        await t.waitFor('Full name', i + 1)
        await t.type(user.name, 'Enter')
        await t.waitFor('Login e-mail', i + 1)
        await t.type(user.login, 'Enter')
        await t.waitFor('Role', i + 1)
        // Choices in template order: manager, salesperson, billing.
        await t.type('', ...(user.role === 'salesperson' ? ['Down'] : []), 'Enter')
      }
      await t.waitFor('Add another user?', users.length)
      await t.type('n', 'Enter')

      await t.waitFor('Create this customer now?')
      const summary = await t.screen()
      expect(summary).to.include(`Onboarding ${company} (${slug}) from starter`)
      expect(summary).to.include(`Domain ${domain}, host ${host.host}`)
      // The refused answer was replaced, not appended to.
      expect(summary).to.match(/E-mail of the customer's main contact\s*\S?\s*contact@tty-cafe\.example\.test/)
      expect(summary).not.to.include('not-an-emailcontact')
      await t.type('y', 'Enter')

      const code = await t.exitCode(ONBOARD_TIMEOUT_MS)
      const screen = await t.screen()
      rememberOutput('tty screen of odoops onboard --template starter', screen)
      expect(code, screen).to.equal(0)
      expect(screen).to.include(`is onboarded: https://${domain}`)
      expect(screen).to.include(`Initial logins written to ${credentials}`)
    } catch (error) {
      console.log(`      terminal at the failure:\n${await t.screen().catch(() => '(no screen)')}`)
      throw error
    }

    // The same result as `onboard --answers … --yes`: a finished run, the users created, a healthy tenant.
    const list = await runCli(['onboard', 'list', '--json'], {env: host.env})
    const run = list.json.runs.find((r: {customer: string}) => r.customer === slug)
    expect(run, list.stdout).to.include({state: 'done', customerName: company, domain, host: host.host, template: 'starter'})
    expect(run.users.map((u: {login: string; name: string; role: string; created: boolean}) => ({login: u.login, name: u.name, role: u.role, created: u.created})))
      .to.deep.equal(users.map((u) => ({...u, created: true})))
    expect(run.steps.map((s: {name: string}) => s.name)).to.deep.equal(['place', 'create-tenant', 'company', 'settings', 'users', 'plan', 'post-main-contact', 'backup', 'health'])
    expect(run.steps.every((s: {state: string}) => s.state === 'done')).to.equal(true)

    const status = await runCli(['tenant', 'status', slug, '--json'], {env: host.env, timeoutMs: 120_000})
    expect(status.code, status.stdout + status.stderr).to.equal(0)
    expect(status.json.tenants[0]).to.include({slug, domain, state: 'active', verdict: 'healthy', healthy: true})

    // The health step logged each created user in with the password written here.
    const creds = parse(readFileSync(credentials, 'utf8')) as {url: string; logins: {login: string; password: string}[]}
    expect(creds.url).to.equal(`https://${domain}`)
    expect(creds.logins.map((l) => l.login)).to.deep.equal(['admin', ...users.map((u) => u.login)])
  })
})

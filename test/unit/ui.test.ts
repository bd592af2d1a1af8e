import {expect} from 'chai'
import {Writable} from 'node:stream'
import {confirmName, Ui, type UiOptions} from '../../src/lib/output/ui.js'
import {registerSecret, REDACTED} from '../../src/lib/secrets/redact.js'
import {OdoopsError} from '../../src/lib/errors.js'
import {newTestSecret} from '../helpers/secrets.js'

class Capture extends Writable {
  text = ''
  constructor(readonly isTTY = false) {
    super()
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

function makeUi(options: Partial<UiOptions> & {tty?: boolean} = {}) {
  const stdout = new Capture(options.tty)
  const stderr = new Capture(options.tty)
  const ui = new Ui({json: false, color: false, interactive: false, verbose: false, ...options, stdout, stderr})
  return {ui, stdout, stderr}
}

async function rejection(promise: Promise<unknown>): Promise<OdoopsError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(OdoopsError)
    return error as OdoopsError
  }
  throw new Error('expected a rejection')
}

// eslint-disable-next-line no-control-regex -- an ANSI escape sequence
const ANSI = /\u001B\[/
const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /

describe('Ui (output layer)', () => {
  let savedCi: string | undefined
  beforeEach(() => {
    savedCi = process.env.CI
    delete process.env.CI
  })
  afterEach(() => {
    if (savedCi === undefined) delete process.env.CI
    else process.env.CI = savedCi
  })

  it('is silent on stdout under --json (logs, tables, progress), and never interactive', () => {
    const {ui, stdout, stderr} = makeUi({json: true, interactive: true, verbose: true})
    ui.log('hello')
    ui.debug('detail')
    ui.table([{a: 1}], [{header: 'A', get: (r) => r.a}])
    const progress = ui.progress('Backing up', {total: 10})
    progress.update(5)
    progress.succeed()
    expect(stdout.text).to.equal('')
    expect(stderr.text).to.equal('')
    expect(ui.interactive).to.equal(false)
  })

  it('still warns on stderr under --json and collects the warnings', () => {
    const {ui, stdout, stderr} = makeUi({json: true})
    ui.warn('disk almost full')
    expect(stdout.text).to.equal('')
    expect(stderr.text).to.equal('Warning: disk almost full\n')
    expect(ui.warnings).to.deep.equal(['disk almost full'])
  })

  it('renders a borderless table with headers, and "(none)" when empty', () => {
    const {ui, stdout} = makeUi()
    ui.table(
      [{name: 'acme', users: 12}, {name: 'globex', users: 3}],
      [{header: 'Tenant', get: (r) => r.name}, {header: 'Users', get: (r) => r.users, align: 'right'}],
    )
    expect(stdout.text.split('\n')).to.deep.equal(['Tenant  Users', 'acme       12', 'globex      3', ''])
    stdout.text = ''
    ui.table([] as {a: number}[], [{header: 'A', get: (r) => r.a}])
    expect(stdout.text).to.equal('(none)\n')
  })

  it('redacts secrets in logs, tables and warnings', () => {
    const secret = newTestSecret()
    registerSecret(secret)
    const {ui, stdout, stderr} = makeUi()
    ui.log(`password is ${secret}`)
    ui.table([{v: secret}], [{header: 'V', get: (r) => r.v}])
    ui.warn(`leaked ${secret}?`)
    expect(stdout.text + stderr.text).to.not.contain(secret)
    expect(stdout.text).to.contain(`password is ${REDACTED}`)
  })

  it('uses colour only when asked', () => {
    const plain = makeUi({color: false})
    plain.ui.table([{a: 1}], [{header: 'A', get: (r) => r.a}])
    plain.ui.warn('w')
    expect(plain.stdout.text + plain.stderr.text).to.not.match(ANSI)
    const coloured = makeUi({color: true})
    coloured.ui.warn('w')
    expect(coloured.stderr.text).to.match(ANSI)
  })

  it('shows --verbose detail on stderr only when verbose', () => {
    const quiet = makeUi()
    quiet.ui.debug('detail')
    expect(quiet.stderr.text).to.equal('')
    const verbose = makeUi({verbose: true})
    verbose.ui.debug('detail')
    expect(verbose.stderr.text).to.equal('detail\n')
    expect(verbose.stdout.text).to.equal('')
  })

  describe('progress', () => {
    it('without a TTY: plain timestamped lines on stderr, start and end', () => {
      const {ui, stdout, stderr} = makeUi()
      const progress = ui.progress('Restoring acme', {total: 100})
      progress.update(50, 'filestore')
      progress.succeed('verified')
      const lines = stderr.text.trimEnd().split('\n')
      expect(stdout.text).to.equal('')
      for (const line of lines) expect(line).to.match(ISO_LINE)
      expect(lines[0]).to.match(/Restoring acme: started$/)
      expect(lines.at(-1)).to.match(/done: Restoring acme: verified \(\d+\.\ds\)$/)
      expect(stderr.text).to.not.contain('\r')
      expect(lines.length).to.be.at.most(3)
    })

    it('reports failure as such', () => {
      const {ui, stderr} = makeUi()
      const progress = ui.progress('Backing up')
      progress.fail('disk full')
      progress.succeed('ignored after the end')
      expect(stderr.text.trimEnd().split('\n').at(-1)).to.match(/failed: Backing up: disk full/)
      expect(stderr.text).to.not.contain('ignored')
    })

    it('on a TTY: redraws in place', () => {
      const {ui, stderr} = makeUi({tty: true})
      const progress = ui.progress('Uploading', {total: 4})
      progress.update(2)
      progress.succeed()
      expect(stderr.text).to.contain('\r')
      expect(stderr.text).to.match(/Uploading \(\d+\.\ds\)\n$/)
    })

    it('on a TTY with CI set: plain lines', () => {
      process.env.CI = 'true'
      const {ui, stderr} = makeUi({tty: true})
      ui.progress('Uploading').succeed()
      expect(stderr.text).to.not.contain('\r')
      expect(stderr.text).to.match(ISO_LINE)
    })
  })

  describe('prompts', () => {
    it('refuse to prompt when not interactive, naming the flag to pass', async () => {
      const {ui} = makeUi({interactive: false})
      const error = await rejection(ui.input({message: 'Customer domain?', flag: '--domain'}))
      expect(error).to.include({code: 'MISSING_VALUE', exit: 2})
      expect(error.message).to.match(/^Customer domain: no value given/)
      expect(error.suggestions).to.deep.equal(['Pass --domain.'])
      expect((await rejection(ui.password({message: 'Admin password:', flag: '--admin-password'}))).suggestions).to.deep.equal(['Pass --admin-password.'])
      expect((await rejection(ui.select({message: 'Plan?', flag: '--plan', choices: [{value: 'basic'}]}))).code).to.equal('MISSING_VALUE')
    })

    it('confirm: --yes answers yes; non-interactive without --yes answers no', async () => {
      const {ui} = makeUi({interactive: false})
      expect(await ui.confirm({message: 'Restart?', assumeYes: true})).to.equal(true)
      expect(await ui.confirm({message: 'Restart?', assumeYes: false, default: true})).to.equal(false)
    })
  })

  describe('confirmName (destructive actions)', () => {
    const spec = {what: 'tenant', name: 'acme', command: 'odoops tenant remove acme'}

    it('passes with the right --confirm', async () => {
      const {ui} = makeUi()
      await confirmName(ui, {...spec, given: 'acme'})
    })

    it('refuses a wrong --confirm, saying nothing changed', async () => {
      const {ui} = makeUi()
      const error = await rejection(confirmName(ui, {...spec, given: 'acm'}))
      expect(error).to.include({code: 'CONFIRM_MISMATCH', exit: 2})
      expect(error.message).to.contain('Nothing was changed')
      expect(error.suggestions).to.deep.equal(['odoops tenant remove acme --confirm acme'])
    })

    it('--yes never counts: without --confirm it is refused, naming the flag', async () => {
      // What the base command builds for --yes: a UI that never prompts.
      const {ui} = makeUi({interactive: false})
      const error = await rejection(confirmName(ui, spec))
      expect(error).to.include({code: 'CONFIRM_REQUIRED', exit: 2})
      expect(error.message).to.contain('needs --confirm acme')
      expect(error.suggestions).to.deep.equal(['odoops tenant remove acme --confirm acme'])
    })
  })
})

import {readFileSync} from 'node:fs'
import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {isOdoopsError, messageOf, usageError} from '../../lib/errors.js'
import {stepProgress} from '../../cli/step-progress.js'
import {prepareHost, type PrepareResult, type PrepareStepResult} from '../../lib/provision/prepare.js'
import {closeAllSsh} from '../../lib/ssh/index.js'

export type {PrepareResult}

type StepRow = Pick<PrepareStepResult, 'name' | 'detail'> & {change: string}

export default class HostPrepare extends OdoopsCommand<PrepareResult> {
  static override usesSsh = true
  static override summary = "install PostgreSQL, nginx and Odoo on a host and start its shared Odoo service"
  static override description = `Idempotent: every step reports changed or unchanged, and a second run changes nothing. Installs PostgreSQL and nginx from the distribution, adds the Odoo apt source (default: Odoo's nightly repository of the series, signed by its key) and installs the odoo package, stops and disables the package's own odoo.service, creates a PostgreSQL role that is not a superuser, and sets up the host's shared service for the series (config, systemd unit, ports, data directory). What the host has is recorded in the state store. Several series can share a host only when they come from different installs; one apt "odoo" package serves one series.`
  static override audited = true
  static override args = {host: Args.string({description: 'registered host name', required: true})}
  static override flags = {
    odoo: Flags.string({description: 'Odoo series, e.g. 17.0', required: true}),
    'apt-source': Flags.string({description: 'apt source line for the odoo package (default: deb [signed-by=…] https://nightly.odoo.com/<series>/nightly/deb/ ./)'}),
    'apt-key': Flags.string({description: "file with the repository's OpenPGP key (armored or binary), installed at the source's signed-by path"}),
    'with-wkhtmltopdf': Flags.boolean({description: "also install wkhtmltopdf (Odoo's PDF reports)"}),
    'acme-email': Flags.string({description: "set up ACME certificates: install certbot and register an account with this email (the CA's expiry notices); tenants then default to --tls acme"}),
    'acme-server': Flags.string({description: 'ACME directory: production (Let\'s Encrypt, default), staging, or an https:// directory URL', dependsOn: ['acme-email']}),
    'acme-ca-bundle': Flags.string({description: "PEM file of the CA the ACME server's TLS certificate chains to (a private or test CA); installed on the host for certbot", dependsOn: ['acme-email']}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web1 --odoo 17.0',
    '<%= config.bin %> <%= command.id %> web1 --odoo 17.0 --with-wkhtmltopdf --json',
    '<%= config.bin %> <%= command.id %> web1 --odoo 17.0 --acme-email ops@example.com',
    '<%= config.bin %> <%= command.id %> sbx-1 --odoo 17.0 --apt-source "deb [trusted=yes] file:/srv/odoops-fixture-apt ./"   # the fixture Odoo in a sandbox',
  ]

  async run(): Promise<PrepareResult> {
    const {args, flags} = await this.parse(HostPrepare)
    this.auditContext = {host: args.host, details: {series: flags.odoo}}
    let aptKey: Buffer | undefined
    if (flags['apt-key']) {
      try {
        aptKey = readFileSync(flags['apt-key'])
      } catch (error) {
        throw usageError('APT_KEY_UNREADABLE', `Cannot read --apt-key ${flags['apt-key']}: ${messageOf(error)}.`, ['Pass the path of the key file.'])
      }
    }
    let caBundle: string | undefined
    if (flags['acme-ca-bundle']) {
      try {
        caBundle = readFileSync(flags['acme-ca-bundle'], 'utf8')
      } catch (error) {
        throw usageError('ACME_CA_BUNDLE_UNREADABLE', `Cannot read --acme-ca-bundle ${flags['acme-ca-bundle']}: ${messageOf(error)}.`, ['Pass the path of a PEM file.'])
      }
    }
    const store = await this.state()
    const box = await this.secretBox()
    const progress = stepProgress(this.ui)
    try {
      const result = await prepareHost({
        store,
        box,
        host: args.host,
        series: flags.odoo,
        aptSource: flags['apt-source'],
        aptKey,
        withWkhtmltopdf: flags['with-wkhtmltopdf'],
        ...(flags['acme-email'] ? {acme: {email: flags['acme-email'], server: flags['acme-server'], caBundle}} : {}),
        signal: this.abort.signal,
        onStep: (step, done) => {
          if (!done) progress.started?.(step)
          else progress.finished?.(step, {name: done.name, state: 'done', change: done.change, detail: done.detail, durationMs: done.durationMs})
        },
      })
      this.auditContext.details = {series: result.series, odooVersion: result.odooVersion, changed: result.changed, httpPort: result.service.httpPort}
      this.renderSteps(result.steps)
      this.ui.log('')
      const s = result.service
      if (result.acme) this.ui.log(`ACME: account ${result.acme.email} at ${result.acme.server}; certbot.timer renews, nginx reloads after each renewal.`)
      this.ui.log(`${result.host}: Odoo ${result.odooVersion}, shared service ${s.unit} on 127.0.0.1:${s.httpPort} (gevent ${s.geventPort}); ${result.changed === 0 ? 'nothing changed' : `${result.changed} step${result.changed === 1 ? '' : 's'} changed`}.`)
      return result
    } catch (error) {
      const steps = isOdoopsError(error) ? (error.data?.steps as StepRow[] | undefined) : undefined
      const failedStep = steps?.find((s) => s.change === 'failed')
      if (failedStep) progress.finished?.({name: failedStep.name, title: failedStep.name}, {name: failedStep.name, state: 'failed', error: failedStep.detail})
      if (steps) this.renderSteps(steps)
      throw error
    } finally {
      await closeAllSsh()
    }
  }

  private renderSteps(steps: StepRow[]): void {
    this.ui.table(steps, [
      {header: 'Step', get: (s) => s.name},
      {header: 'Change', get: (s) => (s.change === 'changed' ? this.ui.color.yellow(s.change) : s.change === 'failed' ? this.ui.color.red(s.change) : this.ui.color.green(s.change))},
      {header: 'Detail', get: (s) => s.detail ?? ''},
    ])
  }
}

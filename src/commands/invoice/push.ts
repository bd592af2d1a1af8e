import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {parseSelection, selectInvoices, describeSelection} from '../../lib/billing/export/index.js'
import {connectOdoo, pushInvoices, type PushReport} from '../../lib/billing/push/index.js'
import {registerSecret} from '../../lib/secrets/redact.js'

export interface InvoicePushResult extends PushReport {
  selection: string
  url: string
  db: string
  /** The API used: json-2 (Odoo 19+ with an API key) or xml-rpc. */
  protocol: 'json-2' | 'xml-rpc'
  odooVersion: string
}

export default class InvoicePush extends OdoopsCommand<InvoicePushResult> {
  static override summary = "create issued invoices in the partner's own Odoo as customer invoices / credit notes (account.move)"
  static override description = `Each issued invoice becomes an account.move (out_invoice; credit notes out_refund) with ref = the odoops number: the customer is found by VAT number, then by name, or created; each line gets a product (found or created by Internal Reference ODOOPS-…) and the sales tax of its rate (which must exist in that Odoo). A line Odoo would round (a prorated quantity beyond its decimal precision) is sent as one unit at its net amount; each move's totals are read back and compared with the invoice's, and a move that differs is not posted (a draft just created is deleted) and fails with INVOICE_PUSH_MISMATCH. A move whose ref already exists is not created again, so pushing twice is safe; --post validates the moves (a draft found by a retry is posted too). Odoo 19+ with an API key is reached over the JSON-2 API, older versions (or a password) over XML-RPC. Give the secret in ODOOPS_ODOO_API_KEY or ODOOPS_ODOO_PASSWORD rather than on the command line. See docs/invoice-export.md.`
  static override audited = true
  static override args = {number: Args.string({description: 'one invoice or credit note by number (INV-2026-00042)'})}
  static override flags = {
    period: Flags.string({description: 'every issued invoice of a billing period, YYYY-MM'}),
    'odoo-url': Flags.string({description: "the partner's Odoo, e.g. https://erp.partner.example", required: true}),
    db: Flags.string({description: 'its database', required: true}),
    login: Flags.string({description: 'the user to act as (an accountant or a dedicated bot user)', required: true}),
    'api-key': Flags.string({description: 'API key of that user (Odoo 14+; required for the JSON-2 API of Odoo 19+)', env: 'ODOOPS_ODOO_API_KEY', exclusive: ['password']}),
    password: Flags.string({description: 'password of that user (XML-RPC only)', env: 'ODOOPS_ODOO_PASSWORD'}),
    post: Flags.boolean({description: 'post (validate) the moves, as the Confirm button does'}),
  }
  static override examples = [
    'ODOOPS_ODOO_API_KEY=… <%= config.bin %> <%= command.id %> --period 2026-03 --odoo-url https://erp.partner.example --db partner --login bot@partner.example',
    'ODOOPS_ODOO_PASSWORD=… <%= config.bin %> <%= command.id %> INV-2026-00042 --odoo-url https://erp.partner.example --db partner --login admin --post --json',
  ]

  async run(): Promise<InvoicePushResult> {
    const {args, flags} = await this.parse(InvoicePush)
    registerSecret(flags['api-key'])
    registerSecret(flags.password)
    const selection = parseSelection(flags.period, args.number, 'push')
    if (!flags['api-key'] && !flags.password) {
      throw usageError('ODOO_CREDENTIALS_MISSING', `No API key or password for "${flags.login}": set ODOOPS_ODOO_API_KEY or ODOOPS_ODOO_PASSWORD.`, [
        'ODOOPS_ODOO_API_KEY=<key> odoops invoice push …  (create the key in Odoo: Preferences → Account Security → New API Key)',
      ])
    }
    let url: URL
    try {
      url = new URL(flags['odoo-url'])
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)')
    } catch {
      throw usageError('ODOO_URL_INVALID', `"${flags['odoo-url']}" is not an http(s) URL.`, ['--odoo-url https://erp.partner.example'])
    }
    this.auditContext = {details: {selection: describeSelection(selection), url: url.origin, db: flags.db, login: flags.login, post: flags.post}}
    const invoices = await selectInvoices(await this.state(), selection)
    const connection = await connectOdoo({url: url.toString(), db: flags.db, login: flags.login, apiKey: flags['api-key'], password: flags.password})
    const progress = this.ui.progress(`pushing to ${url.origin}`, {total: invoices.length})
    let report: PushReport
    try {
      report = await pushInvoices(connection.api, invoices, {post: flags.post, onInvoice: (invoice, index) => progress.update(index, invoice)})
      progress.succeed(`${report.created} created, ${report.existing} already there, ${report.posted} posted`)
    } catch (error) {
      progress.fail()
      throw error
    } finally {
      await connection.close()
    }
    this.ui.table(report.results, [
      {header: 'Invoice', get: (r) => r.invoice},
      {header: 'Type', get: (r) => r.moveType},
      {header: 'Odoo move', get: (r) => `${r.moveId} ${r.name}`},
      {header: 'State', get: (r) => r.state},
      {header: 'Odoo total', get: (r) => `${r.amounts.total} ${r.amounts.currency}`},
      {header: 'Result', get: (r) => r.action},
    ])
    for (const s of report.skipped) this.ui.warn(`${s.invoice} skipped: ${s.reason}`)
    for (const c of report.createdRecords) this.ui.log(`Created ${c.model} ${c.id}: ${c.name}`)
    this.auditContext.details = {...this.auditContext.details, protocol: connection.api.protocol, moves: report.results.map((r) => ({invoice: r.invoice, moveId: r.moveId, action: r.action, state: r.state, total: r.amounts.total}))}
    return {selection: describeSelection(selection), url: url.origin, db: flags.db, protocol: connection.api.protocol, odooVersion: connection.version, ...report}
  }
}

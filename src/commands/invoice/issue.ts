import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {describeIncomplete, type IncompleteInvoice} from '../../lib/billing/einvoice.js'
import {issueInvoices, type InvoiceSummary, listInvoices} from '../../lib/billing/lifecycle.js'
import {parseDate, parsePeriod} from '../../lib/billing/period.js'
import {sellerFromSettings} from '../../lib/billing/tenant-billing.js'

export interface InvoiceIssueResult {
  period: string
  issueDate: string
  issued: InvoiceSummary[]
  /** With --allow-incomplete: invoices issued without what the e-invoice format needs (never exportable as UBL). */
  incomplete: IncompleteInvoice[]
}

export default class InvoiceIssue extends OdoopsCommand<InvoiceIssueResult> {
  static override summary = "finalise the period's drafts: numbers, dates, parties"
  static override description = `In one transaction, each draft of the period (customers in order) takes the next number of the gapless sequence of its issue year (INV-<year>-00001, …), the issue and due dates, the seller from config partner.* and the buyer from its tenants. Issued invoices never change again (generate skips them; correct with invoice credit), so when the partner sends Peppol invoices (config partner.endpointId is set) every draft is first checked for what a Peppol BIS Billing 3.0 document needs (buyer and seller name, country, Peppol endpoint, VAT ids): a draft that lacks any refuses the whole run before a number is taken, naming the fields and the tenant set-billing / config set commands that set them (--allow-incomplete issues them anyway, without a UBL form). Nothing to issue is not an error. Exit 2 when partner.name is not set or a draft is incomplete.`
  static override audited = true
  static override flags = {
    period: Flags.string({description: 'billing period, YYYY-MM', required: true}),
    date: Flags.string({description: 'issue date, YYYY-MM-DD (default: today, UTC)'}),
    'due-days': Flags.integer({description: 'payment term in days after the issue date', default: 30, min: 0}),
    'allow-incomplete': Flags.boolean({description: 'issue drafts that lack what a Peppol invoice needs (they can never be exported as UBL)'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> --period 2026-01']

  async run(): Promise<InvoiceIssueResult> {
    const {flags} = await this.parse(InvoiceIssue)
    parsePeriod(flags.period)
    const store = await this.state()
    const report = await issueInvoices(store, {
      period: flags.period,
      seller: sellerFromSettings((k) => this.settings.get(k)),
      issueDate: flags.date === undefined ? undefined : parseDate(flags.date, '--date'),
      dueDays: flags['due-days'],
      allowIncomplete: flags['allow-incomplete'],
    })
    const numbers = new Set(report.issued.map((i) => i.id))
    const issued = (await listInvoices(store, {period: flags.period})).filter((s) => numbers.has(s.id))
    this.auditContext = {details: {period: report.period, numbers: [...numbers]}}
    if (issued.length === 0) this.ui.log(`No draft to issue for ${report.period} (odoops invoice generate --period ${report.period}).`)
    else
      this.ui.table(issued, [
        {header: 'Number', get: (i) => i.number ?? ''},
        {header: 'Customer', get: (i) => i.customer},
        {header: 'Total', get: (i) => i.totalGross, align: 'right'},
        {header: 'Currency', get: (i) => i.currency},
      ])
    for (const i of report.incomplete) this.ui.warn(`Issued without a Peppol form: ${describeIncomplete(i)}; it can be exported as CSV or JSON, not UBL.`)
    return {period: report.period, issueDate: report.issueDate, issued, incomplete: report.incomplete}
  }
}

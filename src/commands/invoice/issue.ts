import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {issueInvoices, type InvoiceSummary, listInvoices} from '../../lib/billing/lifecycle.js'
import {parseDate, parsePeriod} from '../../lib/billing/period.js'
import {sellerFromSettings} from '../../lib/billing/tenant-billing.js'

export interface InvoiceIssueResult {
  period: string
  issueDate: string
  issued: InvoiceSummary[]
}

export default class InvoiceIssue extends OdoopsCommand<InvoiceIssueResult> {
  static override summary = "finalise the period's drafts: numbers, dates, parties"
  static override description = `In one transaction, each draft of the period (customers in order) takes the next number of the gapless sequence of its issue year (INV-<year>-00001, …), the issue and due dates, the seller from config partner.* and the buyer from its tenants. Issued invoices never change again (generate skips them; correct with invoice credit). Nothing to issue is not an error. Exit 2 when partner.name is not set.`
  static override audited = true
  static override flags = {
    period: Flags.string({description: 'billing period, YYYY-MM', required: true}),
    date: Flags.string({description: 'issue date, YYYY-MM-DD (default: today, UTC)'}),
    'due-days': Flags.integer({description: 'payment term in days after the issue date', default: 30, min: 0}),
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
    return {period: report.period, issueDate: report.issueDate, issued}
  }
}

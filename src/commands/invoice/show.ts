import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {getInvoice} from '../../lib/billing/lifecycle.js'
import type {Invoice} from '../../lib/billing/types.js'

export interface InvoiceShowResult extends Invoice {
  /** Issued invoices: the credit note that corrects it. */
  creditedBy?: string
}

export default class InvoiceShow extends OdoopsCommand<InvoiceShowResult> {
  static override summary = 'show an invoice or credit note with its lines and where each came from'
  static override args = {ref: Args.string({description: 'number (INV-2026-00042, CN-2026-00001), draft id (draft/<tenant>/<period>) or <customer>/<period>', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> INV-2026-00042', '<%= config.bin %> <%= command.id %> draft/acme/2026-01 --json']

  async run(): Promise<InvoiceShowResult> {
    const {args} = await this.parse(InvoiceShow)
    const invoice = await getInvoice(await this.state(), args.ref)
    const title = invoice.number ?? invoice.id
    this.ui.log(`${invoice.kind === 'credit-note' ? 'Credit note' : 'Invoice'} ${title} (${invoice.status})${invoice.creditOf ? `, credits ${invoice.creditOf}` : ''}${invoice.creditedBy ? `, credited by ${invoice.creditedBy}` : ''}`)
    this.ui.log(`Customer ${invoice.customer} (${invoice.buyer.name}), period ${invoice.periodStart} to ${invoice.periodEnd}${invoice.issueDate ? `, issued ${invoice.issueDate}, due ${invoice.dueDate}` : ''}`)
    this.ui.table(invoice.lines, [
      {header: '#', get: (l) => String(l.position), align: 'right'},
      {header: 'Description', get: (l) => l.description},
      {header: 'Qty', get: (l) => `${l.quantity} ${l.unitCode}`, align: 'right'},
      {header: 'Price', get: (l) => l.unitPrice, align: 'right'},
      {header: 'Net', get: (l) => l.netAmount, align: 'right'},
      {header: 'Tax', get: (l) => `${l.taxCategory} ${l.taxPercent}%`},
      {header: 'Source', get: (l) => `${l.source.plan}@${l.source.planVersion}${l.source.metric ? ` ${l.source.aggregation}(${l.source.metric})` : ''}`},
    ])
    for (const t of invoice.taxSubtotals) this.ui.log(`Tax ${t.taxCategory} ${t.taxPercent}% on ${t.taxableAmount}: ${t.taxAmount}`)
    this.ui.log(`Net ${invoice.totalNet}  Tax ${invoice.totalTax}  Total ${invoice.totalGross} ${invoice.currency}`)
    return invoice
  }
}

import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {listInvoices, type InvoiceSummary} from '../../lib/billing/lifecycle.js'

export interface InvoiceListResult {
  invoices: InvoiceSummary[]
}

export default class InvoiceList extends OdoopsCommand<InvoiceListResult> {
  static override summary = 'list invoices and credit notes (issued by number, then drafts)'
  static override flags = {
    period: Flags.string({description: 'only this period, YYYY-MM'}),
    status: Flags.string({description: 'only drafts or issued', options: ['draft', 'issued']}),
    kind: Flags.string({description: 'only invoices or credit notes', options: ['invoice', 'credit-note']}),
    customer: Flags.string({description: 'only this customer'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> --period 2026-01', '<%= config.bin %> <%= command.id %> --status issued --json']

  async run(): Promise<InvoiceListResult> {
    const {flags} = await this.parse(InvoiceList)
    const invoices = await listInvoices(await this.state(), {
      period: flags.period,
      status: flags.status as InvoiceSummary['status'] | undefined,
      kind: flags.kind as InvoiceSummary['kind'] | undefined,
      customer: flags.customer,
    })
    if (invoices.length === 0) this.ui.log('No invoices: odoops invoice generate --period YYYY-MM')
    else
      this.ui.table(invoices, [
        {header: 'Id', get: (i) => i.id},
        {header: 'Kind', get: (i) => i.kind + (i.creditOf ? ` of ${i.creditOf}` : '') + (i.creditedBy ? ` (credited ${i.creditedBy})` : '')},
        {header: 'Status', get: (i) => i.status},
        {header: 'Customer', get: (i) => i.customer},
        {header: 'Period', get: (i) => i.period},
        {header: 'Issued', get: (i) => i.issueDate ?? ''},
        {header: 'Total', get: (i) => i.totalGross, align: 'right'},
        {header: 'Currency', get: (i) => i.currency},
      ])
    return {invoices}
  }
}

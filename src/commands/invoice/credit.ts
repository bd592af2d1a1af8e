import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {creditInvoice} from '../../lib/billing/lifecycle.js'
import {parseDate} from '../../lib/billing/period.js'
import type {Invoice} from '../../lib/billing/types.js'

export type InvoiceCreditResult = Invoice

export default class InvoiceCredit extends OdoopsCommand<InvoiceCreditResult> {
  static override summary = 'correct an issued invoice with a credit note for its whole amount'
  static override description = `Issues a credit note (CN-<year>-00001, its own gapless sequence) with the invoice's lines and amounts and creditOf set to its number; the invoice itself never changes. An invoice is credited once (exit 2 otherwise). Once credited, its customer and period can be generated and issued again.`
  static override audited = true
  static override args = {number: Args.string({description: 'issued invoice number, e.g. INV-2026-00042', required: true})}
  static override flags = {
    reason: Flags.string({description: 'why (kept on the credit note)'}),
    date: Flags.string({description: 'issue date, YYYY-MM-DD (default: today, UTC)'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> INV-2026-00042 --reason "wrong user count"']

  async run(): Promise<InvoiceCreditResult> {
    const {args, flags} = await this.parse(InvoiceCredit)
    const note = await creditInvoice(await this.state(), args.number, {reason: flags.reason, issueDate: flags.date === undefined ? undefined : parseDate(flags.date, '--date')})
    this.auditContext = {details: {invoice: args.number, creditNote: note.number}}
    this.ui.log(`Credit note ${note.number} issued for ${args.number}: ${note.totalGross} ${note.currency}.`)
    return note
  }
}

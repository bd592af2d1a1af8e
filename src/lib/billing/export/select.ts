/**
 * Which invoices an export or a push works on: every invoice of a billing period, or one
 * invoice (or credit note) by its number. Shared by `invoice export` and `invoice push`.
 */
import {ExitCode, OdoopsError, usageError} from '../../errors.js'
import type {StateStore} from '../../state/store.js'
import type {Invoice} from '../types.js'

export type InvoiceSelection = {period: string} | {number: string}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/

/** From the command's flags: exactly one of --period and a number. */
export function parseSelection(period: string | undefined, number: string | undefined, command: string): InvoiceSelection {
  if (period !== undefined && number !== undefined) throw usageError('INVOICE_SELECTION', 'Give a period or an invoice number, not both.', [`odoops invoice ${command} --period 2026-03 …`, `odoops invoice ${command} INV-2026-00042 …`])
  if (period === undefined && number === undefined) throw usageError('INVOICE_SELECTION', 'Say which invoices: --period YYYY-MM or an invoice number.', [`odoops invoice ${command} --period 2026-03 …`, `odoops invoice ${command} INV-2026-00042 …`])
  if (period !== undefined) {
    if (!PERIOD.test(period)) throw usageError('INVOICE_PERIOD_INVALID', `"${period}" is not a billing period: use YYYY-MM, e.g. 2026-03.`, [`odoops invoice ${command} --period 2026-03 …`])
    return {period}
  }
  return {number: number!}
}

function byNumberThenId(a: Invoice, b: Invoice): number {
  return (a.number ?? '\uffff').localeCompare(b.number ?? '\uffff') || a.id.localeCompare(b.id)
}

/** The selected invoices, sorted by number (drafts last). A number that matches nothing is an error. */
export async function selectInvoices(store: Pick<StateStore, 'invoices'>, selection: InvoiceSelection): Promise<Invoice[]> {
  if ('period' in selection) {
    const records = await store.invoices.list({period: selection.period})
    return (records as unknown as Invoice[]).sort(byNumberThenId)
  }
  const records = (await store.invoices.list({number: selection.number})) as unknown as Invoice[]
  if (records.length === 0) {
    throw new OdoopsError('INVOICE_NOT_FOUND', `No invoice or credit note numbered "${selection.number}".`, {
      exit: ExitCode.USAGE,
      suggestions: ['List the issued invoices: odoops invoice list', 'Drafts have no number yet: issue them first (odoops invoice issue --period YYYY-MM).'],
      data: {number: selection.number},
    })
  }
  return records.sort(byNumberThenId)
}

export function describeSelection(selection: InvoiceSelection): string {
  return 'period' in selection ? `period ${selection.period}` : `invoice ${selection.number}`
}

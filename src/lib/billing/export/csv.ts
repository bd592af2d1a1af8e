/**
 * Invoices as CSV (RFC 4180): UTF-8 without a byte-order mark, CRLF line ends, a header row,
 * then one row per invoice line with the invoice's fields repeated. A field is quoted when it
 * holds a comma, a double quote, CR or LF (or starts/ends with a space), and quotes inside are
 * doubled. Dates are ISO 8601 (YYYY-MM-DD), amounts the stored decimal strings (`.` separator,
 * sign as stored: a credit note's amounts keep the sign it was issued with).
 */
import type {Invoice, InvoiceLine} from '../types.js'

type Column = [header: string, value: (invoice: Invoice, line: InvoiceLine) => string | number | undefined]

export const CSV_COLUMNS: Column[] = [
  ['invoice_number', (i) => i.number],
  ['invoice_id', (i) => i.id],
  ['kind', (i) => i.kind],
  ['status', (i) => i.status],
  ['customer', (i) => i.customer],
  ['period', (i) => i.period],
  ['period_start', (i) => i.periodStart],
  ['period_end', (i) => i.periodEnd],
  ['issue_date', (i) => i.issueDate],
  ['due_date', (i) => i.dueDate],
  ['currency', (i) => i.currency],
  ['credit_of', (i) => i.creditOf],
  ['seller_name', (i) => i.seller?.name],
  ['seller_vat', (i) => i.seller?.vat],
  ['buyer_name', (i) => i.buyer?.name],
  ['buyer_vat', (i) => i.buyer?.vat],
  ['buyer_country', (i) => i.buyer?.country],
  ['buyer_endpoint', (i) => i.buyer?.endpointId],
  ['total_net', (i) => i.totalNet],
  ['total_tax', (i) => i.totalTax],
  ['total_gross', (i) => i.totalGross],
  ['line_position', (_i, l) => l.position],
  ['line_description', (_i, l) => l.description],
  ['line_quantity', (_i, l) => l.quantity],
  ['line_unit_code', (_i, l) => l.unitCode],
  ['line_unit_price', (_i, l) => l.unitPrice],
  ['line_net_amount', (_i, l) => l.netAmount],
  ['line_tax_category', (_i, l) => l.taxCategory],
  ['line_tax_percent', (_i, l) => l.taxPercent],
  ['line_tenant', (_i, l) => l.source?.tenant],
  ['line_plan', (_i, l) => l.source?.plan],
  ['line_plan_version', (_i, l) => l.source?.planVersion],
  ['line_metric', (_i, l) => l.source?.metric],
]

/** One field, quoted only when RFC 4180 requires it (and around leading/trailing spaces, which some readers trim). */
export function csvField(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return ''
  const text = String(value)
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function csvRow(fields: (string | number | undefined | null)[]): string {
  return fields.map(csvField).join(',') + '\r\n'
}

/** The CSV document of the invoices (header only when there are none). */
export function renderCsv(invoices: Invoice[]): string {
  let out = csvRow(CSV_COLUMNS.map(([header]) => header))
  for (const invoice of invoices) {
    for (const line of [...invoice.lines].sort((a, b) => a.position - b.position)) out += csvRow(CSV_COLUMNS.map(([, value]) => value(invoice, line)))
  }
  return out
}

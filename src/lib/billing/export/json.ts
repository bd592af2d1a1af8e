/**
 * Invoices as JSON, in a stable documented shape (docs/invoice-export.md, "JSON"): a wrapper
 * naming the format and its version, then each invoice with a fixed set of keys in a fixed
 * order, optional values as null (never absent), amounts as decimal strings. Fields a record may
 * carry beyond the Invoice type are not exported. No timestamp of the export itself: exporting
 * the same invoices twice gives the same bytes.
 */
import type {Invoice, InvoiceParty} from '../types.js'

export const JSON_EXPORT_FORMAT = 'odoops-invoices'
export const JSON_EXPORT_VERSION = 1

export interface ExportedParty {
  name: string
  vat: string | null
  street: string | null
  city: string | null
  postcode: string | null
  country: string | null
  endpointId: string | null
  email: string | null
}

export interface ExportedLine {
  position: number
  description: string
  quantity: string
  unitCode: string
  unitPrice: string
  netAmount: string
  taxCategory: string
  taxPercent: string
  source: {tenant: string; plan: string; planVersion: number; metric: string | null; aggregation: string | null; measured: string | null; daysActive: number | null; daysInPeriod: number | null; snapshots: string[]}
}

export interface ExportedInvoice {
  number: string | null
  id: string
  kind: 'invoice' | 'credit-note'
  status: 'draft' | 'issued'
  creditOf: string | null
  customer: string
  period: string
  periodStart: string
  periodEnd: string
  issueDate: string | null
  dueDate: string | null
  currency: string
  seller: ExportedParty
  buyer: ExportedParty
  lines: ExportedLine[]
  taxSubtotals: {taxCategory: string; taxPercent: string; taxableAmount: string; taxAmount: string}[]
  totalNet: string
  totalTax: string
  totalGross: string
}

export interface InvoiceJsonExport {
  format: typeof JSON_EXPORT_FORMAT
  version: typeof JSON_EXPORT_VERSION
  invoices: ExportedInvoice[]
}

function party(p: InvoiceParty | undefined): ExportedParty {
  return {
    name: p?.name ?? '',
    vat: p?.vat ?? null,
    street: p?.street ?? null,
    city: p?.city ?? null,
    postcode: p?.postcode ?? null,
    country: p?.country ?? null,
    endpointId: p?.endpointId ?? null,
    email: p?.email ?? null,
  }
}

export function exportedInvoice(i: Invoice): ExportedInvoice {
  return {
    number: i.number ?? null,
    id: i.id,
    kind: i.kind,
    status: i.status,
    creditOf: i.creditOf ?? null,
    customer: i.customer,
    period: i.period,
    periodStart: i.periodStart,
    periodEnd: i.periodEnd,
    issueDate: i.issueDate ?? null,
    dueDate: i.dueDate ?? null,
    currency: i.currency,
    seller: party(i.seller),
    buyer: party(i.buyer),
    lines: [...i.lines]
      .sort((a, b) => a.position - b.position)
      .map((l) => ({
        position: l.position,
        description: l.description,
        quantity: l.quantity,
        unitCode: l.unitCode,
        unitPrice: l.unitPrice,
        netAmount: l.netAmount,
        taxCategory: l.taxCategory,
        taxPercent: l.taxPercent,
        source: {
          tenant: l.source.tenant,
          plan: l.source.plan,
          planVersion: l.source.planVersion,
          metric: l.source.metric ?? null,
          aggregation: l.source.aggregation ?? null,
          measured: typeof l.source.measured === 'string' ? l.source.measured : null,
          daysActive: l.source.daysActive ?? null,
          daysInPeriod: l.source.daysInPeriod ?? null,
          snapshots: l.source.snapshots ?? [],
        },
      })),
    taxSubtotals: i.taxSubtotals.map((s) => ({taxCategory: s.taxCategory, taxPercent: s.taxPercent, taxableAmount: s.taxableAmount, taxAmount: s.taxAmount})),
    totalNet: i.totalNet,
    totalTax: i.totalTax,
    totalGross: i.totalGross,
  }
}

export function renderJson(invoices: Invoice[]): string {
  const doc: InvoiceJsonExport = {format: JSON_EXPORT_FORMAT, version: JSON_EXPORT_VERSION, invoices: invoices.map(exportedInvoice)}
  return JSON.stringify(doc, null, 2) + '\n'
}

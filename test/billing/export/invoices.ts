/**
 * Invoices built directly in the `Invoice` shape of src/lib/billing/types.ts (not through
 * `invoice generate`), with hand-computed amounts: the export tests do not depend on rating.
 */
import type {Invoice, InvoiceLine, InvoiceParty} from '../../../src/lib/billing/types.js'

/** Belgian enterprise numbers with valid mod-97 check digits (PEPPOL-COMMON-R043 for scheme 0208). */
export const SELLER: InvoiceParty = {
  name: 'Hosting Partner SRL',
  vat: 'BE0123456749',
  street: 'Rue de la Loi 16',
  city: 'Bruxelles',
  postcode: '1000',
  country: 'BE',
  endpointId: '0208:0123456749',
  email: 'billing@partner.example',
}

export const BUYER: InvoiceParty = {
  name: 'Acme & Sons "Brewery" NV',
  vat: 'BE0987654394',
  street: 'Meir 1',
  city: 'Antwerpen',
  postcode: '2000',
  country: 'BE',
  endpointId: '0208:0987654394',
}

export const DUTCH_BUYER: InvoiceParty = {
  name: 'Tulp BV',
  vat: 'NL123456789B01',
  street: 'Damrak 1',
  city: 'Amsterdam',
  postcode: '1012 LG',
  country: 'NL',
  endpointId: '9944:NL123456789B01',
}

export function line(position: number, fields: Partial<InvoiceLine> = {}): InvoiceLine {
  return {
    position,
    description: 'Odoo users (internal), per user per month',
    quantity: '12',
    unitCode: 'C62',
    unitPrice: '10.00',
    netAmount: '120.00',
    taxCategory: 'S',
    taxPercent: '21',
    source: {tenant: 'acme', plan: 'per-user', planVersion: 3, metric: 'users.internal', aggregation: 'max', snapshots: ['acme/2026-03-01/users.internal', 'acme/2026-03-31/users.internal']},
    ...fields,
  }
}

/** An issued invoice: 12 users × 10.00 at 21 % plus hosting 49.00 at 21 % = 169.00 + 35.49 VAT. */
export function standardInvoice(fields: Partial<Invoice> = {}): Invoice {
  return {
    id: 'INV-2026-00001',
    kind: 'invoice',
    status: 'issued',
    number: 'INV-2026-00001',
    customer: 'acme',
    period: '2026-03',
    periodStart: '2026-03-01',
    periodEnd: '2026-03-31',
    issueDate: '2026-04-01',
    dueDate: '2026-05-01',
    currency: 'EUR',
    seller: SELLER,
    buyer: BUYER,
    lines: [line(1), line(2, {description: 'Managed hosting', quantity: '1', unitCode: 'MON', unitPrice: '49.00', netAmount: '49.00', source: {tenant: 'acme', plan: 'per-user', planVersion: 3}})],
    taxSubtotals: [{taxCategory: 'S', taxPercent: '21', taxableAmount: '169.00', taxAmount: '35.49'}],
    totalNet: '169.00',
    totalTax: '35.49',
    totalGross: '204.49',
    generatedAt: '2026-04-01T06:00:00.000Z',
    ...fields,
  }
}

/**
 * Two rates and a prorated line: users 12 × 10.00 = 120.00 at 21 %; a support add-on 30.00/month
 * active 17 of 30 days = 17.00 at 6 %; storage 2.5 GB × 0.40 = 1.00 at 21 %.
 */
export function mixedRatesInvoice(): Invoice {
  return standardInvoice({
    id: 'INV-2026-00002',
    number: 'INV-2026-00002',
    period: '2026-04',
    periodStart: '2026-04-01',
    periodEnd: '2026-04-30',
    issueDate: '2026-05-01',
    dueDate: '2026-05-31',
    lines: [
      line(1),
      line(2, {description: 'Support tier Gold (prorated)', quantity: '1', unitCode: 'MON', unitPrice: '30.00', netAmount: '17.00', taxPercent: '6', source: {tenant: 'acme', plan: 'hybrid', planVersion: 1, daysActive: 17, daysInPeriod: 30}}),
      line(3, {description: 'Storage above fair use', quantity: '2.5', unitCode: 'GB', unitPrice: '0.40', netAmount: '1.00', source: {tenant: 'acme', plan: 'hybrid', planVersion: 1, metric: 'storage.database'}}),
    ],
    taxSubtotals: [
      {taxCategory: 'S', taxPercent: '21', taxableAmount: '121.00', taxAmount: '25.41'},
      {taxCategory: 'S', taxPercent: '6', taxableAmount: '17.00', taxAmount: '1.02'},
    ],
    totalNet: '138.00',
    totalTax: '26.43',
    totalGross: '164.43',
  })
}

/** Intra-EU B2B service: reverse charge (AE), no VAT charged. */
export function reverseChargeInvoice(): Invoice {
  return standardInvoice({
    id: 'INV-2026-00003',
    number: 'INV-2026-00003',
    customer: 'tulp',
    buyer: DUTCH_BUYER,
    lines: [line(1, {taxCategory: 'AE', taxPercent: '0', source: {tenant: 'tulp', plan: 'per-user', planVersion: 3, metric: 'users.internal'}})],
    taxSubtotals: [{taxCategory: 'AE', taxPercent: '0', taxableAmount: '120.00', taxAmount: '0.00'}],
    totalNet: '120.00',
    totalTax: '0.00',
    totalGross: '120.00',
  })
}

/** A zero-rated line (Z) beside a standard one. */
export function zeroRatedInvoice(): Invoice {
  return standardInvoice({
    id: 'INV-2026-00004',
    number: 'INV-2026-00004',
    lines: [line(1), line(2, {description: 'Training voucher', quantity: '1', unitCode: 'C62', unitPrice: '0.50', netAmount: '0.50', taxCategory: 'Z', taxPercent: '0'})],
    taxSubtotals: [
      {taxCategory: 'S', taxPercent: '21', taxableAmount: '120.00', taxAmount: '25.20'},
      {taxCategory: 'Z', taxPercent: '0', taxableAmount: '0.50', taxAmount: '0.00'},
    ],
    totalNet: '120.50',
    totalTax: '25.20',
    totalGross: '145.70',
  })
}

/** Credit note for 2 of the 12 users of INV-2026-00001, stored with negative amounts. */
export function creditNote(fields: Partial<Invoice> = {}): Invoice {
  return standardInvoice({
    id: 'CN-2026-00001',
    kind: 'credit-note',
    number: 'CN-2026-00001',
    creditOf: 'INV-2026-00001',
    issueDate: '2026-04-10',
    dueDate: undefined,
    lines: [line(1, {description: 'Correction: Odoo users (internal)', quantity: '-2', netAmount: '-20.00'})],
    taxSubtotals: [{taxCategory: 'S', taxPercent: '21', taxableAmount: '-20.00', taxAmount: '-4.20'}],
    totalNet: '-20.00',
    totalTax: '-4.20',
    totalGross: '-24.20',
    ...fields,
  })
}

/** The part of the state store an export reads: the `invoices` collection with equality filters. */
export function storeOf(invoices: Invoice[]) {
  return {
    invoices: {
      async list(filter: Record<string, unknown> = {}) {
        return invoices.filter((i) => Object.entries(filter).every(([k, v]) => (i as Record<string, unknown>)[k] === v)) as never
      },
    },
  } as never
}

/**
 * The shapes shared by metering, rating, invoicing and the invoice exports. Amounts are
 * decimal strings ("123.45"), never binary floats: arithmetic happens in decimal.js and
 * only the rounded results are stored.
 */

/** One metric's value for one tenant on one day (store collection `usageSnapshots`). */
export interface UsageSnapshot {
  /** `<tenant>/<date>/<metric>`: re-collecting a day replaces, never duplicates. */
  id: string
  tenant: string
  /** YYYY-MM-DD (the day measured). */
  date: string
  /** Namespaced for plugin metrics (`wholesale.pricelists`), bare for core ones (`users.internal`). */
  metric: string
  value: number
  unit: string
  /** Version of the collector's query: a changed query changes its version. */
  queryVersion: number
  /** The tenant's Odoo version that answered (`17.0-20261120`), or its series when unknown. */
  odooVersion: string
  collectedAt: string
  [key: string]: unknown
}

/** A party on an invoice: the partner (seller, from config `partner.*`) or the customer (from the tenant). */
export interface InvoiceParty {
  name: string
  vat?: string
  street?: string
  city?: string
  postcode?: string
  /** ISO 3166-1 alpha-2. */
  country?: string
  /** Peppol endpoint `scheme:value`, e.g. `0208:0123456789`. */
  endpointId?: string
  email?: string
}

/** Where a line's quantity came from: the snapshots (metric, days, aggregation) and the plan version. */
export interface LineSource {
  tenant: string
  plan: string
  planVersion: number
  metric?: string
  /** `sum` adds per-day counts (e.g. invoices posted in the day) over the days in force. */
  aggregation?: 'max' | 'latest' | 'average' | 'sum'
  /** The aggregated value of the metric, before minimums, thresholds, bands and proration. */
  measured?: string
  /** Snapshot ids used (or the first and last when many). */
  snapshots?: string[]
  /** Days of the period the plan was in force for this tenant, and the days in the period. */
  daysActive?: number
  daysInPeriod?: number
}

export interface InvoiceLine {
  /** 1-based, stable within an invoice. */
  position: number
  description: string
  /** Decimal string, already prorated (12 users for 14 of 30 days: 5.6); up to 6 decimals. */
  quantity: string
  /** UN/ECE rec. 20 unit code: `C62` (one), `MON` (month), `GB` (gigabyte)… */
  unitCode: string
  unitPrice: string
  /** The exact (prorated) quantity × unitPrice, rounded half-up to the currency's minor unit. */
  netAmount: string
  /** Tax category (UNCL5305: S standard, Z zero, E exempt, AE reverse charge…) and percent. */
  taxCategory: string
  taxPercent: string
  source: LineSource
}

export interface InvoiceTaxSubtotal {
  taxCategory: string
  taxPercent: string
  taxableAmount: string
  taxAmount: string
}

/** An invoice or credit note (store collection `invoices`). */
export interface Invoice {
  /** Drafts: `draft/<first tenant slug of the customer>/<period>` (older drafts: `draft/<customer>/<period>`); issued: the number (`INV-2026-00042`, `CN-2026-00003`). */
  id: string
  kind: 'invoice' | 'credit-note'
  status: 'draft' | 'issued'
  /** Set on issue, gapless per sequence. */
  number?: string
  /** Customer key (the tenant's `customer`, or the slug when none). */
  customer: string
  /** YYYY-MM. */
  period: string
  periodStart: string
  periodEnd: string
  issueDate?: string
  dueDate?: string
  /** ISO 4217. */
  currency: string
  seller: InvoiceParty
  buyer: InvoiceParty
  lines: InvoiceLine[]
  taxSubtotals: InvoiceTaxSubtotal[]
  totalNet: string
  totalTax: string
  totalGross: string
  /** Credit notes: the number of the invoice they correct. */
  creditOf?: string
  generatedAt: string
  [key: string]: unknown
}

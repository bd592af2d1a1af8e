import {dec, formatMoney, sum} from './money.js'
import type {BillingPeriod} from './period.js'
import type {RatedLine} from './rate.js'
import type {Invoice, InvoiceParty, InvoiceTaxSubtotal} from './types.js'

/**
 * A draft's id, `draft/<key>/<period>`: the key is the slug of the customer's first tenant (by
 * slug), so an id a user types has no spaces or quotes even when the customer is a company name
 * ("Acme & Co"). Tenant slugs are unique and every tenant belongs to one customer, so two
 * customers never share an id. Drafts stored before carry the customer key instead
 * (`draft/Acme & Co/2026-10`); getInvoice finds both (lifecycle.ts).
 */
export const draftId = (key: string, period: string): string => `draft/${key}/${period}`

/** The key of a customer's draft ids: its first tenant's slug. */
export function draftKeyOf(tenantSlugs: string[], customer: string): string {
  return [...tenantSlugs].sort((a, b) => a.localeCompare(b))[0] ?? customer
}

/**
 * Tax per category and rate on the sum of its lines' net amounts, rounded half-up once
 * (EN 16931 BR-CO-17: category tax = taxable amount × rate, rounded).
 */
export function taxSubtotals(lines: Pick<RatedLine, 'netAmount' | 'taxCategory' | 'taxPercent'>[], currency: string): InvoiceTaxSubtotal[] {
  const groups = new Map<string, {taxCategory: string; taxPercent: string; amounts: string[]}>()
  for (const l of lines) {
    const key = `${l.taxCategory}\0${dec(l.taxPercent).toFixed()}`
    const group = groups.get(key) ?? {taxCategory: l.taxCategory, taxPercent: dec(l.taxPercent).toFixed(), amounts: []}
    group.amounts.push(l.netAmount)
    groups.set(key, group)
  }
  return [...groups.values()]
    .sort((a, b) => a.taxCategory.localeCompare(b.taxCategory) || dec(a.taxPercent).comparedTo(dec(b.taxPercent)))
    .map((g) => {
      const taxable = sum(g.amounts)
      return {taxCategory: g.taxCategory, taxPercent: g.taxPercent, taxableAmount: formatMoney(taxable, currency), taxAmount: formatMoney(taxable.times(g.taxPercent).div(100), currency)}
    })
}

export interface DraftInput {
  customer: string
  /** The id key (draftKeyOf: the customer's first tenant slug); default the customer key. */
  key?: string
  period: BillingPeriod
  currency: string
  seller: InvoiceParty
  buyer: InvoiceParty
  lines: RatedLine[]
  now: Date
}

/** A draft invoice in the shared Invoice shape: lines numbered, taxes and totals summed from the rounded lines. */
export function buildDraft(input: DraftInput): Invoice {
  const lines = input.lines.map((l, i) => ({position: i + 1, ...l}))
  const subtotals = taxSubtotals(lines, input.currency)
  const totalNet = sum(lines.map((l) => l.netAmount))
  const totalTax = sum(subtotals.map((s) => s.taxAmount))
  return {
    id: draftId(input.key ?? input.customer, input.period.period),
    kind: 'invoice',
    status: 'draft',
    customer: input.customer,
    period: input.period.period,
    periodStart: input.period.start,
    periodEnd: input.period.end,
    currency: input.currency,
    seller: input.seller,
    buyer: input.buyer,
    lines,
    taxSubtotals: subtotals,
    totalNet: formatMoney(totalNet, input.currency),
    totalTax: formatMoney(totalTax, input.currency),
    totalGross: formatMoney(totalNet.plus(totalTax), input.currency),
    generatedAt: input.now.toISOString(),
  }
}

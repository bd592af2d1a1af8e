/**
 * Is an invoice complete for the partner's e-invoice format before it takes a number? Issued
 * invoices never change, so a buyer without a country or a Peppol endpoint at `invoice issue`
 * would make `invoice export --format ubl` refuse that invoice for ever (credit it and issue
 * again is the only way out). `invoice issue` refuses such drafts, `invoice generate` warns.
 *
 * Which format is configured: no setting names an e-invoice format; a partner that set its
 * own Peppol endpoint (`partner.endpointId`) sends Peppol BIS Billing 3.0, so its invoices
 * must carry what the UBL export requires (export/requirements.ts). Without a seller endpoint
 * nothing is required beyond the seller's name (CSV, JSON and the push into Odoo take any data).
 */
import {missingPeppolFields} from './export/requirements.js'
import type {Invoice, InvoiceParty} from './types.js'

export type EInvoiceFormat = 'peppol'

/** The e-invoice format the partner is configured for: Peppol when partner.endpointId is set. */
export function einvoiceFormatOf(seller: InvoiceParty): EInvoiceFormat | undefined {
  return typeof seller.endpointId === 'string' && seller.endpointId.trim() !== '' ? 'peppol' : undefined
}

export interface EInvoiceGap {
  /** `buyer.endpointId`, `buyer.country`, `seller.vat`… */
  field: string
  /** Why, with the business term and rule (export/requirements.ts). */
  reason: string
  /** What sets it: a flag of `odoops tenant set-billing` (`--endpoint-id`) or a config key (`partner.vat`). */
  setBy: string
}

export interface IncompleteInvoice {
  customer: string
  /** The draft's id. */
  invoice: string
  format: EInvoiceFormat
  /** The tenant whose billing data makes the buyer: the one to give `tenant set-billing`. */
  tenant?: string
  missing: EInvoiceGap[]
  /** The commands that fill the gaps, with placeholders (`<CC>`) for the values. */
  commands: string[]
}

/** Fields `invoice issue` sets itself: never missing from a draft about to be issued. */
const SET_BY_ISSUE = new Set(['number', 'issueDate', 'dueDate'])

/** `tenant set-billing` flags and placeholders of the buyer's fields. */
const BUYER_FLAGS: Record<string, [flag: string, placeholder: string]> = {
  name: ['--name', '"<legal name>"'],
  vat: ['--vat', '<VAT id>'],
  country: ['--country', '<CC>'],
  endpointId: ['--endpoint-id', '<scheme:id>'],
}

const SELLER_PLACEHOLDERS: Record<string, string> = {
  name: '"<your legal name>"',
  vat: '<VAT id>',
  country: '<CC>',
  endpointId: '<scheme:id>',
}

function quoteArg(value: string): string {
  return /^[A-Za-z0-9._:/@-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`
}

/**
 * What the configured e-invoice format still needs from a draft (or a draft about to be issued
 * with today's parties), and the commands that set it; undefined when nothing is missing or no
 * format is configured.
 */
export function einvoiceGaps(invoice: Invoice, billingTenant: string | undefined, format: EInvoiceFormat | undefined = einvoiceFormatOf(invoice.seller)): IncompleteInvoice | undefined {
  if (!format) return undefined
  const asIssued: Invoice = {...invoice, status: 'issued', number: invoice.number ?? 'pending', issueDate: invoice.issueDate ?? 'pending', dueDate: invoice.dueDate ?? 'pending'}
  const missing: EInvoiceGap[] = []
  const buyerFlags: string[] = []
  const sellerKeys: string[] = []
  for (const m of missingPeppolFields(asIssued)) {
    if (SET_BY_ISSUE.has(m.field)) continue
    const [party, key] = m.field.split('.') as [string, string | undefined]
    if (party === 'buyer' && key && BUYER_FLAGS[key]) {
      const [flag, placeholder] = BUYER_FLAGS[key]
      missing.push({field: m.field, reason: m.reason, setBy: flag})
      buyerFlags.push(`${flag} ${placeholder}`)
    } else if (party === 'seller' && key) {
      missing.push({field: m.field, reason: m.reason, setBy: `partner.${key}`})
      sellerKeys.push(key)
    } else missing.push({field: m.field, reason: m.reason, setBy: m.source})
  }
  if (missing.length === 0) return undefined
  const commands: string[] = []
  if (buyerFlags.length > 0) commands.push(`odoops tenant set-billing ${quoteArg(billingTenant ?? '<tenant>')} ${buyerFlags.join(' ')}`)
  for (const key of sellerKeys) commands.push(`odoops config set partner.${key} ${SELLER_PLACEHOLDERS[key] ?? `<${key}>`}`)
  return {customer: invoice.customer, invoice: invoice.id, format, ...(billingTenant ? {tenant: billingTenant} : {}), missing, commands}
}

/** One line per incomplete invoice: `acme-corp (draft/acme/2026-10): buyer.country, buyer.endpointId`. */
export function describeIncomplete(i: IncompleteInvoice): string {
  return `${i.customer} (${i.invoice}): ${i.missing.map((m) => m.field).join(', ')}`
}

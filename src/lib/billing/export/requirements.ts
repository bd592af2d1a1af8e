/**
 * What a Peppol BIS Billing 3.0 document needs from an invoice before it can be built, checked up
 * front so that a missing address or identifier is reported as a list of fields to fill rather
 * than as one Schematron rule at a time. Each entry names the business term (EN 16931) and the
 * rule requiring it.
 */
import type {Invoice, InvoiceParty} from '../types.js'

export interface MissingField {
  /** Dotted path in the invoice: `seller.endpointId`, `buyer.country`, `dueDate`. */
  field: string
  /** Why, with the business term and rule: `Buyer electronic address (BT-49, PEPPOL-EN16931-R010)`. */
  reason: string
  /** Where odoops takes it from. */
  source: string
}

/** Categories whose breakdown needs the buyer's VAT identifier (BR-AE-02, BR-IC-02…). */
const BUYER_VAT_CATEGORIES = new Set(['AE', 'K'])
/** Every category but "not subject to VAT" needs the seller's VAT identifier (BR-S-02, BR-Z-02, BR-E-02, BR-AE-02, BR-IC-02, BR-G-02). */
const SELLER_VAT_EXEMPT_CATEGORIES = new Set(['O'])

const ENDPOINT = /^[0-9]{4}:\S+$/

function partyFields(party: InvoiceParty | undefined, role: 'seller' | 'buyer'): MissingField[] {
  const source = role === 'seller' ? 'config partner.*' : "the tenant's customer record"
  const key = (name: string) => (role === 'seller' ? `partner.${name}` : name)
  const missing: MissingField[] = []
  const blank = (value: string | undefined) => value === undefined || value.trim() === ''
  if (blank(party?.name)) missing.push({field: `${role}.name`, reason: role === 'seller' ? 'Seller name (BT-27, BR-6)' : 'Buyer name (BT-44, BR-7)', source: `${source} (${key('name')})`})
  if (blank(party?.country)) missing.push({field: `${role}.country`, reason: role === 'seller' ? 'Seller country code (BT-40, BR-9)' : 'Buyer country code (BT-55, BR-11)', source: `${source} (${key('country')})`})
  else if (!/^[A-Z]{2}$/.test(party!.country!)) missing.push({field: `${role}.country`, reason: 'ISO 3166-1 alpha-2 country code such as BE (BR-CL-14)', source: `${source} (${key('country')})`})
  if (blank(party?.endpointId)) {
    missing.push({field: `${role}.endpointId`, reason: role === 'seller' ? 'Seller electronic address (BT-34, PEPPOL-EN16931-R020)' : 'Buyer electronic address (BT-49, PEPPOL-EN16931-R010)', source: `${source} (${key('endpointId')})`})
  } else if (!ENDPOINT.test(party!.endpointId!)) {
    missing.push({field: `${role}.endpointId`, reason: 'Peppol endpoint as <scheme>:<identifier>, e.g. 0208:0123456789 (EAS code list, BR-CL-25)', source: `${source} (${key('endpointId')})`})
  }
  return missing
}

/** Every missing or malformed field; empty when a document can be built. */
export function missingPeppolFields(invoice: Invoice): MissingField[] {
  const missing = [...partyFields(invoice.seller, 'seller'), ...partyFields(invoice.buyer, 'buyer')]
  const categories = new Set([...invoice.lines.map((l) => l.taxCategory), ...invoice.taxSubtotals.map((s) => s.taxCategory)])
  const blank = (value: unknown) => typeof value !== 'string' || value.trim() === ''
  if ([...categories].some((c) => !SELLER_VAT_EXEMPT_CATEGORIES.has(c)) && blank(invoice.seller?.vat)) {
    missing.push({field: 'seller.vat', reason: 'Seller VAT identifier (BT-31, BR-S-02 and the other VAT categories)', source: 'config partner.vat'})
  }
  const buyerVatFor = [...categories].filter((c) => BUYER_VAT_CATEGORIES.has(c))
  if (buyerVatFor.length > 0 && blank(invoice.buyer?.vat)) {
    missing.push({field: 'buyer.vat', reason: `Buyer VAT identifier (BT-48), required by VAT category ${buyerVatFor.join(', ')} (BR-AE-02 / BR-IC-02)`, source: "the tenant's customer record (vat)"})
  }
  if (invoice.status !== 'issued' || blank(invoice.number)) missing.push({field: 'number', reason: 'Invoice number (BT-1, BR-2): only issued invoices are exported as UBL', source: 'odoops invoice issue'})
  if (blank(invoice.issueDate)) missing.push({field: 'issueDate', reason: 'Invoice issue date (BT-2, BR-3)', source: 'odoops invoice issue'})
  if (blank(invoice.currency)) missing.push({field: 'currency', reason: 'Invoice currency code (BT-5, BR-5)', source: 'the plan'})
  if (invoice.lines.length === 0) missing.push({field: 'lines', reason: 'At least one invoice line (BG-25, BR-16)', source: 'odoops invoice generate'})
  if (invoice.kind === 'credit-note' && blank(invoice.creditOf)) missing.push({field: 'creditOf', reason: 'Preceding invoice reference (BT-25) of a credit note', source: 'odoops invoice credit'})
  if (invoice.kind === 'invoice' && blank(invoice.dueDate) && blank(invoice.paymentTerms)) {
    missing.push({field: 'dueDate', reason: 'Payment due date (BT-9) or payment terms (BT-20) when an amount is due (BR-CO-25)', source: 'odoops invoice issue'})
  }
  return missing
}

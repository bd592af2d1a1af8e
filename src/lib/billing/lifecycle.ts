import {ExitCode, OdoopsError, usageError} from '../errors.js'
import type {InvoiceRecord} from '../state/records.js'
import type {StateStore, StateTx} from '../state/store.js'
import {addDays, dayOf, parsePeriod} from './period.js'
import {standingIssued} from './generate.js'
import {describeIncomplete, einvoiceFormatOf, einvoiceGaps, type IncompleteInvoice} from './einvoice.js'
import {billingTenantOf, buyerOf, customerOf, type BillableTenant} from './tenant-billing.js'
import type {Invoice, InvoiceParty} from './types.js'

/**
 * Issue and credit: the only ways an invoice becomes final. Numbers come from gapless
 * sequences (StateTx.nextSequence) taken in the same transaction that writes the issued
 * record, so a failure rolls the number back with it: no gaps, no duplicates. Issued
 * records are never rewritten; a correction is a credit note.
 */
export const INVOICE_PREFIX = 'INV'
export const CREDIT_NOTE_PREFIX = 'CN'

export function formatNumber(prefix: string, year: string, n: number): string {
  return `${prefix}-${year}-${String(n).padStart(5, '0')}`
}

/** One gapless sequence per document type and issue year. */
export const sequenceName = (prefix: string, year: string): string => `invoice-number/${prefix}/${year}`

const asInvoice = (r: InvoiceRecord | undefined): Invoice | undefined => r as unknown as Invoice | undefined

export interface IssueOptions {
  period: string
  seller: InvoiceParty
  /** YYYY-MM-DD, default today. */
  issueDate?: string
  /** Payment term in days after the issue date. */
  dueDays?: number
  /**
   * Issue drafts that lack what the configured e-invoice format needs (einvoice.ts) instead of
   * refusing the run: they can be exported as CSV/JSON and pushed, never as UBL.
   */
  allowIncomplete?: boolean
  now?: Date
}

export interface IssueReport {
  period: string
  issueDate: string
  issued: Invoice[]
  /** With allowIncomplete: the invoices issued without what the e-invoice format needs. */
  incomplete: IncompleteInvoice[]
}

/** Exit 2 before any number is taken: every incomplete draft, its missing fields and the commands that set them. */
function incompleteError(period: string, incomplete: IncompleteInvoice[]): OdoopsError {
  const lines = incomplete.map((i) => `  ${describeIncomplete(i)}`)
  return usageError(
    'INVOICE_EINVOICE_INCOMPLETE',
    `${incomplete.length} draft${incomplete.length === 1 ? '' : 's'} of ${period} lack${incomplete.length === 1 ? 's' : ''} what a Peppol invoice needs (partner.endpointId is set, so invoices are sent as Peppol BIS Billing 3.0); issued, ${incomplete.length === 1 ? 'it' : 'they'} could never be exported as UBL. Nothing was issued:\n${lines.join('\n')}`,
    [...new Set(incomplete.flatMap((i) => i.commands)), `Then issue again: odoops invoice issue --period ${period} (or --allow-incomplete to issue them without a UBL form).`],
    {incomplete},
  )
}

function requireSeller(seller: InvoiceParty): void {
  if (!seller.name) {
    throw usageError('INVOICE_SELLER_MISSING', 'The seller has no name: an invoice cannot be issued without it.', [
      'odoops config set partner.name "Your Company SRL" (and partner.vat, partner.street, partner.city, partner.postcode, partner.country, partner.endpointId).',
    ])
  }
}

/**
 * Finalise every draft of the period, customers in order: each gets the next number,
 * today's parties (seller from config, buyer from its tenants), issue and due dates.
 */
export async function issueInvoices(store: StateStore, options: IssueOptions): Promise<IssueReport> {
  const period = parsePeriod(options.period)
  requireSeller(options.seller)
  const issueDate = options.issueDate ?? dayOf(options.now ?? new Date())
  const dueDate = addDays(issueDate, options.dueDays ?? 30)
  const year = issueDate.slice(0, 4)
  const tenants = (await store.tenants.list()) as BillableTenant[]
  const format = einvoiceFormatOf(options.seller)
  const issued: Invoice[] = []
  const incomplete: IncompleteInvoice[] = []
  await store.transaction(async (tx) => {
    const all = (await tx.invoices.list({period: period.period})) as unknown as Invoice[]
    const standing = standingIssued(all)
    const drafts = all.filter((i) => i.status === 'draft').sort((a, b) => a.customer.localeCompare(b.customer))
    // Today's parties first, and every draft checked for the e-invoice format before a number is taken.
    const ready: {draft: Invoice; buyer: InvoiceParty}[] = []
    for (const draft of drafts) {
      // generate never drafts an issued customer/period; a draft written by an older run is dropped here.
      if (standing.has(draft.customer)) {
        await tx.invoices.delete(draft.id)
        continue
      }
      const own = tenants.filter((t) => customerOf(t) === draft.customer)
      const buyer = own.length > 0 ? buyerOf(draft.customer, own).party : draft.buyer
      const gaps = einvoiceGaps({...draft, seller: options.seller, buyer}, billingTenantOf(own)?.id, format)
      if (gaps) incomplete.push(gaps)
      ready.push({draft, buyer})
    }
    if (incomplete.length > 0 && !options.allowIncomplete) throw incompleteError(period.period, incomplete)
    for (const {draft, buyer} of ready) {
      const number = formatNumber(INVOICE_PREFIX, year, await tx.nextSequence(sequenceName(INVOICE_PREFIX, year)))
      const invoice: Invoice = {
        ...draft,
        id: number,
        number,
        status: 'issued',
        issueDate,
        dueDate,
        seller: options.seller,
        buyer,
      }
      delete invoice.createdAt
      delete invoice.updatedAt
      await tx.invoices.insert(invoice)
      await tx.invoices.delete(draft.id)
      issued.push(invoice)
    }
  })
  // Incomplete drafts were issued (allowIncomplete): name them by their numbers now.
  const numberOf = new Map(issued.map((i) => [i.customer, i.number!]))
  return {period: period.period, issueDate, issued, incomplete: incomplete.map((i) => ({...i, invoice: numberOf.get(i.customer) ?? i.invoice}))}
}

export function invoiceNotFound(ref: string) {
  return usageError('INVOICE_NOT_FOUND', `No invoice "${ref}".`, ['odoops invoice list shows the invoices: give an issued number (INV-2026-00001), a draft id (draft/<tenant>/<period>) or <customer>/<period>.'])
}

async function creditNoteOf(tx: StateTx | StateStore, number: string): Promise<Invoice | undefined> {
  return ((await tx.invoices.list({creditOf: number})) as unknown as Invoice[])[0]
}

export interface CreditOptions {
  reason?: string
  issueDate?: string
  now?: Date
}

/** An issued credit note for the whole of an issued invoice (its own gapless `CN-` sequence). */
export async function creditInvoice(store: StateStore, number: string, options: CreditOptions = {}): Promise<Invoice> {
  const now = options.now ?? new Date()
  const issueDate = options.issueDate ?? dayOf(now)
  const year = issueDate.slice(0, 4)
  return store.transaction(async (tx) => {
    const original = asInvoice(await tx.invoices.get(number))
    if (!original) throw invoiceNotFound(number)
    if (original.kind !== 'invoice' || original.status !== 'issued') {
      throw usageError('INVOICE_NOT_CREDITABLE', `${number} is ${original.status === 'draft' ? 'a draft' : 'a credit note'}: only issued invoices are credited.`, [
        original.status === 'draft' ? 'A draft changes by generating again: odoops invoice generate --period ' + original.period : 'Credit the invoice it corrects instead.',
      ])
    }
    const existing = await creditNoteOf(tx, number)
    if (existing) {
      throw new OdoopsError('INVOICE_ALREADY_CREDITED', `${number} is already credited by ${existing.number}.`, {exit: ExitCode.USAGE, suggestions: [`odoops invoice show ${existing.number}`], data: {creditNote: existing.number}})
    }
    const cn = formatNumber(CREDIT_NOTE_PREFIX, year, await tx.nextSequence(sequenceName(CREDIT_NOTE_PREFIX, year)))
    const note: Invoice = {
      ...original,
      id: cn,
      kind: 'credit-note',
      status: 'issued',
      number: cn,
      issueDate,
      dueDate: issueDate,
      creditOf: number,
      generatedAt: now.toISOString(),
      ...(options.reason ? {reason: options.reason} : {}),
    }
    delete note.createdAt
    delete note.updatedAt
    await tx.invoices.insert(note)
    return note
  })
}

export interface InvoiceSummary {
  id: string
  number?: string
  kind: Invoice['kind']
  status: Invoice['status']
  customer: string
  period: string
  currency: string
  totalNet: string
  totalTax: string
  totalGross: string
  lines: number
  issueDate?: string
  creditOf?: string
  /** Invoices: the credit note that corrects it. */
  creditedBy?: string
}

export interface InvoiceFilter {
  period?: string
  status?: 'draft' | 'issued'
  kind?: Invoice['kind']
  customer?: string
}

function summaryOf(i: Invoice, creditedBy: Map<string, string>): InvoiceSummary {
  const credit = i.number ? creditedBy.get(i.number) : undefined
  return {
    id: i.id,
    ...(i.number ? {number: i.number} : {}),
    kind: i.kind,
    status: i.status,
    customer: i.customer,
    period: i.period,
    currency: i.currency,
    totalNet: i.totalNet,
    totalTax: i.totalTax,
    totalGross: i.totalGross,
    lines: i.lines.length,
    ...(i.issueDate ? {issueDate: i.issueDate} : {}),
    ...(i.creditOf ? {creditOf: i.creditOf} : {}),
    ...(credit ? {creditedBy: credit} : {}),
  }
}

/** Invoices and credit notes: issued ones by number, then drafts by id. */
export async function listInvoices(store: StateStore, filter: InvoiceFilter = {}): Promise<InvoiceSummary[]> {
  if (filter.period) parsePeriod(filter.period)
  const all = (await store.invoices.list()) as unknown as Invoice[]
  const creditedBy = new Map(all.filter((i) => i.kind === 'credit-note' && i.creditOf).map((i) => [i.creditOf!, i.number!]))
  return all
    .filter((i) => (!filter.period || i.period === filter.period) && (!filter.status || i.status === filter.status) && (!filter.kind || i.kind === filter.kind) && (!filter.customer || i.customer === filter.customer))
    .sort((a, b) => (a.status === b.status ? a.id.localeCompare(b.id) : a.status === 'issued' ? -1 : 1))
    .map((i) => summaryOf(i, creditedBy))
}

/**
 * A period's draft by `[draft/]<key>/<period>`, the key being the tenant slug of the id
 * (`draft/acme/2026-10`) or the customer key (`acme-corp/2026-10`, `draft/Acme & Co/2026-10`):
 * ids stored before drafts were keyed by slug, and references written then, still resolve
 * after the draft is generated again under its new id.
 */
async function findDraft(store: StateStore, ref: string): Promise<Invoice | undefined> {
  const match = /^(?:draft\/)?(.+)\/(\d{4}-\d{2})$/.exec(ref)
  if (!match) return undefined
  const [, key, period] = match
  const drafts = (await store.invoices.list({period, status: 'draft'})) as unknown as Invoice[]
  return drafts.find((d) => d.id === `draft/${key}/${period}`) ?? drafts.find((d) => d.customer === key)
}

/** One invoice by number or id (`draft/<tenant>/<period>`), or a draft by `<customer or tenant>/<period>`. */
export async function getInvoice(store: StateStore, ref: string): Promise<Invoice & {creditedBy?: string}> {
  const found = asInvoice(await store.invoices.get(ref)) ?? (await findDraft(store, ref))
  if (!found) throw invoiceNotFound(ref)
  const credit = found.kind === 'invoice' && found.number ? await creditNoteOf(store, found.number) : undefined
  return credit ? {...found, creditedBy: credit.number} : found
}

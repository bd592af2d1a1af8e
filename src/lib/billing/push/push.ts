/**
 * `odoops invoice push`: each issued invoice becomes an `account.move` in the partner's own Odoo
 * (`out_invoice`, or `out_refund` for a credit note), with `ref` = our number. Idempotent: the
 * move is searched by `ref` and type first, so a retry or a second run never duplicates it; with
 * `post`, a move found in draft is posted then. Moves are created one at a time in number order
 * (each JSON-2 / XML-RPC call is its own transaction in Odoo).
 *
 * Odoo recomputes what it is given: it rounds a line's quantity and unit price to their decimal
 * precisions, computes the subtotal, and the taxes by its own rounding method. So a line is sent
 * in a form Odoo keeps exactly (see lineEncoding), and every move's totals are read back and
 * compared with the invoice's to the cent before anything is posted: a move that differs is never
 * posted (a draft this run created is deleted) and the push fails with INVOICE_PUSH_MISMATCH.
 */
import {ExitCode, OdoopsError, messageOf} from '../../errors.js'
import {Decimal, minorUnits} from '../money.js'
import type {Invoice, InvoiceLine} from '../types.js'
import {documentAmounts} from '../export/amounts.js'
import type {OdooApi} from './api.js'
import {OdooResolver, type LinePrecision} from './resolve.js'

export interface PushOptions {
  /** Post (validate) the moves with action_post. */
  post?: boolean
  onInvoice?: (invoice: string, index: number, total: number) => void
}

export interface PushedInvoice {
  invoice: string
  moveId: number
  moveType: 'out_invoice' | 'out_refund'
  /** created: this run created it; existing: found by ref (nothing created). */
  action: 'created' | 'existing'
  /** The move's state after the run (draft, posted, cancel). */
  state: string
  /** The move's name in Odoo (`INV/2026/00001` once posted, `/` in draft). */
  name: string
  partnerId: number
  /** The move's totals as Odoo computed them, read back after creating (or finding) it. */
  amounts: PushedAmounts
  /**
   * Odoo's totals and currency equal the invoice's to the cent. Always true in a report: a move
   * that differs is not posted and fails the push (INVOICE_PUSH_MISMATCH).
   */
  matches: boolean
}

/** Totals as decimal strings with the currency's minor unit ("204.49"). */
export interface PushedAmounts {
  /** ISO 4217 code of the move's currency in Odoo. */
  currency: string
  untaxed: string
  tax: string
  total: string
}

export interface PushReport {
  results: PushedInvoice[]
  skipped: {invoice: string; reason: string}[]
  /** Partners and products this run created in the target Odoo. */
  createdRecords: {model: string; id: number; name: string}[]
  created: number
  existing: number
  posted: number
}

interface MoveRow {
  id: number
  state: string
  name: string | false
  partner_id: [number, string] | false
  currency_id: [number, string] | false
  amount_untaxed: number
  amount_tax: number
  amount_total: number
}

const MOVE_FIELDS = ['id', 'state', 'name', 'partner_id', 'currency_id', 'amount_untaxed', 'amount_tax', 'amount_total']

function moveType(invoice: Invoice): 'out_invoice' | 'out_refund' {
  return invoice.kind === 'credit-note' ? 'out_refund' : 'out_invoice'
}

/** How a line goes into Odoo: as stated (quantity × unit price) or as one unit at its net amount. */
export interface LineEncoding {
  asStated: boolean
  quantity: number
  priceUnit: number
  name: string
}

function fits(value: string, scale: number | null): boolean {
  return scale === null || new Decimal(value).decimalPlaces() <= scale
}

/**
 * Odoo rounds a line's quantity and unit price half-up to their decimal precisions when writing
 * them, then computes price_subtotal = quantity × price_unit rounded to the currency. A line is
 * sent as quantity × unit price only when Odoo keeps both as they are (no more decimals than the
 * precisions fields_get announced) and their product rounded half-up to the currency is the net
 * amount; otherwise (a prorated quantity such as 2.806452, proration folded into the net amount)
 * as one unit at the net amount, its label saying what it stands for. Either way Odoo's subtotal
 * is our net amount.
 */
export function lineEncoding(line: InvoiceLine, precision: LinePrecision, currency: string): LineEncoding {
  const product = new Decimal(line.quantity).times(line.unitPrice).toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_UP)
  const asStated = fits(line.quantity, precision.quantity) && fits(line.unitPrice, precision.priceUnit) && product.eq(line.netAmount)
  if (asStated) return {asStated, quantity: Number(line.quantity), priceUnit: Number(line.unitPrice), name: line.description}
  const days = line.source?.daysActive !== undefined && line.source?.daysInPeriod !== undefined ? `, ${line.source.daysActive}/${line.source.daysInPeriod} days` : ''
  return {asStated, quantity: 1, priceUnit: Number(line.netAmount), name: `${line.description} (${line.quantity} × ${line.unitPrice}${days})`}
}

async function moveLine(line: InvoiceLine, resolver: OdooResolver, precision: LinePrecision, currency: string): Promise<Record<string, unknown>> {
  const [productId, tax] = await Promise.all([resolver.productId(line), resolver.taxFor(line.taxCategory, line.taxPercent)])
  const encoding = lineEncoding(line, precision, currency)
  return {product_id: productId, name: encoding.name, quantity: encoding.quantity, price_unit: encoding.priceUnit, tax_ids: [[6, 0, [tax.id]]]}
}

/** Odoo's totals of a move next to the invoice's (credit notes with positive amounts, as Odoo states them). */
function compareTotals(move: MoveRow, invoice: Invoice): {odoo: PushedAmounts; odoops: PushedAmounts; matches: boolean} {
  const digits = minorUnits(invoice.currency)
  const fmt = (value: number | string) => new Decimal(String(value ?? 0)).toFixed(digits, Decimal.ROUND_HALF_UP)
  const odoo = {currency: Array.isArray(move.currency_id) ? move.currency_id[1] : '', untaxed: fmt(move.amount_untaxed), tax: fmt(move.amount_tax), total: fmt(move.amount_total)}
  const odoops = {currency: invoice.currency, untaxed: fmt(invoice.totalNet), tax: fmt(invoice.totalTax), total: fmt(invoice.totalGross)}
  const matches = odoo.currency === odoops.currency && odoo.untaxed === odoops.untaxed && odoo.tax === odoops.tax && odoo.total === odoops.total
  return {odoo, odoops, matches}
}

/** Odoo's totals differ from the invoice's: the move is not posted. */
export class InvoicePushMismatchError extends OdoopsError {
  constructor(invoice: string, move: {id: number; state: string; action: 'created' | 'existing'}, odoo: PushedAmounts, odoops: PushedAmounts, deleted: {ok: boolean; error?: string}) {
    const show = (a: PushedAmounts) => `untaxed ${a.untaxed}, tax ${a.tax}, total ${a.total} ${a.currency || '(no currency)'}`
    const causes: string[] = []
    if (odoo.currency !== odoops.currency) causes.push(`the move is in ${odoo.currency || 'another currency'}, not ${odoops.currency} (is ${odoops.currency} active in that Odoo?)`)
    if (odoo.untaxed !== odoops.untaxed) causes.push("a line's quantity or unit price was rounded to Odoo's decimal precision (Product Unit of Measure / Product Price), or the move's lines were changed in Odoo")
    if (odoo.tax !== odoops.tax) {
      causes.push(
        "Odoo rounds taxes per line (the company's tax_calculation_rounding_method is round_per_line, Odoo's default) while the invoice rounds each rate's total once (EN 16931), or the sales tax of the rate computes differently (another amount, price included, child taxes)",
      )
    }
    let fate: string
    if (move.action === 'existing') fate = `The move ${move.id} (${move.state}), found by its reference, was left as it is${move.state === 'draft' ? ' and not posted' : ''}.`
    else if (deleted.ok) fate = `The draft move ${move.id} was deleted; nothing was posted.`
    else fate = `The draft move ${move.id} could not be deleted (${deleted.error}): delete it in Odoo before pushing again; nothing was posted.`
    super('INVOICE_PUSH_MISMATCH', `Odoo computed other totals for ${invoice} than the invoice: ${show(odoo)} in Odoo, ${show(odoops)} on the invoice. Likely cause: ${causes.join('; ') || 'unknown'}. ${fate}`, {
      suggestions: [
        ...(odoo.tax === odoops.tax ? [] : ['In Odoo, Accounting → Configuration → Settings → Taxes → Rounding Method: "Round Globally" (tax_calculation_rounding_method = round_globally on the company), then push again.']),
        'Check the sales taxes the lines use (Accounting → Configuration → Taxes): percentage, price excluded, no child taxes, the same rate as the invoice.',
        "Check Settings → Technical → Database Structure → Decimal Accuracy: 'Product Unit of Measure' (19.0: 'Product Unit') and 'Product Price'.",
        ...(move.action === 'existing' ? [`Correct move ${move.id} in Odoo so that its totals are the invoice's (a draft can be deleted and pushed again), then push again.`] : []),
      ],
      data: {invoice, moveId: move.id, moveState: move.state, action: move.action, odoo, odoops, deleted: move.action === 'created' ? deleted.ok : false},
    })
  }
}

export async function pushInvoices(api: OdooApi, invoices: Invoice[], options: PushOptions = {}): Promise<PushReport> {
  const resolver = new OdooResolver(api)
  const report: PushReport = {results: [], skipped: [], createdRecords: resolver.created, created: 0, existing: 0, posted: 0}
  const issued = invoices.filter((invoice) => {
    if (invoice.status === 'issued' && invoice.number) return true
    report.skipped.push({invoice: invoice.number ?? invoice.id, reason: 'draft: only issued invoices are pushed (odoops invoice issue)'})
    return false
  })
  for (const [index, stored] of issued.entries()) {
    const number = stored.number!
    options.onInvoice?.(number, index, issued.length)
    try {
      report.results.push(await pushOne(api, resolver, stored, number, options, report))
    } catch (error) {
      throw partialFailure(error, number, report)
    }
  }
  return report
}

/** A failure after some moves were pushed says which ones (exit 3); a retry skips them (search by ref). */
function partialFailure(error: unknown, number: string, report: PushReport): unknown {
  if (report.results.length === 0) return error
  const done = report.results.map((r) => r.invoice)
  const base = error instanceof OdoopsError ? error : undefined
  return new OdoopsError(base?.code ?? 'INVOICE_PUSH_FAILED', `${messageOf(error)} (while pushing ${number}; already pushed: ${done.join(', ')})`, {
    exit: ExitCode.PARTIAL,
    suggestions: [...(base?.suggestions ?? []), 'Fix the cause and run the same push again: invoices already in Odoo are found by their reference and not created twice.'],
    data: {...(base?.data ?? {}), failedAt: number, pushed: report.results},
    cause: error,
  })
}

async function readMove(api: OdooApi, id: number): Promise<MoveRow> {
  const [row] = await api.searchRead<MoveRow>('account.move', [['id', '=', id]], MOVE_FIELDS, {limit: 1})
  if (!row) throw new OdoopsError('INVOICE_PUSH_FAILED', `Odoo created account.move ${id} but does not show it to this user.`, {suggestions: ['Check the access rights of the user to customer invoices (Accounting / Billing).']})
  return row
}

async function pushOne(api: OdooApi, resolver: OdooResolver, stored: Invoice, number: string, options: PushOptions, report: PushReport): Promise<PushedInvoice> {
  const type = moveType(stored)
  const invoice = documentAmounts(stored)
  const found = await api.searchRead<MoveRow>('account.move', [['ref', '=', number], ['move_type', '=', type]], MOVE_FIELDS, {limit: 1})
  let move: MoveRow
  let action: PushedInvoice['action']
  let totals: ReturnType<typeof compareTotals>
  if (found.length > 0) {
    move = found[0]
    action = 'existing'
    totals = compareTotals(move, invoice)
    if (!totals.matches) throw new InvoicePushMismatchError(number, {id: move.id, state: move.state, action}, totals.odoo, totals.odoops, {ok: false})
    report.existing++
  } else {
    const precision = await resolver.linePrecision()
    const partnerId = await resolver.partnerId(invoice.buyer)
    const currencyId = await resolver.currencyId(invoice.currency)
    const lines = []
    for (const line of [...invoice.lines].sort((a, b) => a.position - b.position)) lines.push([0, 0, await moveLine(line, resolver, precision, invoice.currency)])
    const id = await api.create('account.move', {
      move_type: type,
      partner_id: partnerId,
      ref: number,
      invoice_date: invoice.issueDate,
      ...(invoice.dueDate && type === 'out_invoice' ? {invoice_date_due: invoice.dueDate} : {}),
      ...(currencyId ? {currency_id: currencyId} : {}),
      invoice_origin: invoice.creditOf ? `${invoice.creditOf} (odoops ${invoice.period})` : `odoops ${invoice.period}`,
      invoice_line_ids: lines,
    })
    action = 'created'
    move = await readMove(api, id)
    totals = compareTotals(move, invoice)
    if (!totals.matches) {
      let deleted: {ok: boolean; error?: string} = {ok: true}
      try {
        await api.unlink('account.move', [id])
      } catch (error) {
        deleted = {ok: false, error: messageOf(error)}
      }
      throw new InvoicePushMismatchError(number, {id, state: move.state, action}, totals.odoo, totals.odoops, deleted)
    }
    report.created++
  }
  if (options.post && move.state === 'draft') {
    await api.callOnRecords('account.move', 'action_post', [move.id])
    const [after] = await api.searchRead<MoveRow>('account.move', [['id', '=', move.id]], MOVE_FIELDS, {limit: 1})
    move = after ?? {...move, state: 'posted'}
    report.posted++
  }
  return {
    invoice: number,
    moveId: move.id,
    moveType: type,
    action,
    state: move.state,
    name: move.name || '/',
    partnerId: Array.isArray(move.partner_id) ? move.partner_id[0] : 0,
    amounts: totals.odoo,
    matches: totals.matches,
  }
}

/**
 * `odoops invoice push`: each issued invoice becomes an `account.move` in the partner's own Odoo
 * (`out_invoice`, or `out_refund` for a credit note), with `ref` = our number. Idempotent: the
 * move is searched by `ref` and type first, so a retry or a second run never duplicates it; with
 * `post`, a move found in draft is posted then. Moves are created one at a time in number order
 * (each JSON-2 / XML-RPC call is its own transaction in Odoo).
 */
import {ExitCode, OdoopsError, messageOf} from '../../errors.js'
import type {Invoice, InvoiceLine} from '../types.js'
import {documentAmounts, lineAdjustment} from '../export/amounts.js'
import type {OdooApi} from './api.js'
import {OdooResolver} from './resolve.js'

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
}

function moveType(invoice: Invoice): 'out_invoice' | 'out_refund' {
  return invoice.kind === 'credit-note' ? 'out_refund' : 'out_invoice'
}

/**
 * A line as Odoo computes it: price_subtotal = quantity × price_unit. When rating prorated the
 * line (net ≠ quantity × price), the net amount is sent as one unit at that price, and the
 * description says what it stands for, so Odoo's totals equal ours to the cent.
 */
async function moveLine(line: InvoiceLine, resolver: OdooResolver): Promise<Record<string, unknown>> {
  const [productId, tax] = await Promise.all([resolver.productId(line), resolver.taxFor(line.taxCategory, line.taxPercent)])
  const {adjustment} = lineAdjustment(line)
  const exact = adjustment.isZero()
  const days = line.source?.daysActive !== undefined && line.source?.daysInPeriod !== undefined ? `, ${line.source.daysActive}/${line.source.daysInPeriod} days` : ''
  return {
    product_id: productId,
    name: exact ? line.description : `${line.description} (${line.quantity} × ${line.unitPrice}${days})`,
    quantity: exact ? Number(line.quantity) : 1,
    price_unit: exact ? Number(line.unitPrice) : Number(line.netAmount),
    tax_ids: [[6, 0, [tax.id]]],
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

async function pushOne(api: OdooApi, resolver: OdooResolver, stored: Invoice, number: string, options: PushOptions, report: PushReport): Promise<PushedInvoice> {
  const type = moveType(stored)
  const found = await api.searchRead<MoveRow>('account.move', [['ref', '=', number], ['move_type', '=', type]], ['id', 'state', 'name', 'partner_id'], {limit: 1})
  let move: MoveRow
  let action: PushedInvoice['action']
  if (found.length > 0) {
    move = found[0]
    action = 'existing'
    report.existing++
  } else {
    const invoice = documentAmounts(stored)
    const partnerId = await resolver.partnerId(invoice.buyer)
    const currencyId = await resolver.currencyId(invoice.currency)
    const lines = []
    for (const line of [...invoice.lines].sort((a, b) => a.position - b.position)) lines.push([0, 0, await moveLine(line, resolver)])
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
    move = {id, state: 'draft', name: '/', partner_id: [partnerId, invoice.buyer.name]}
    action = 'created'
    report.created++
  }
  if (options.post && move.state === 'draft') {
    await api.callOnRecords('account.move', 'action_post', [move.id])
    const [after] = await api.searchRead<MoveRow>('account.move', [['id', '=', move.id]], ['id', 'state', 'name', 'partner_id'], {limit: 1})
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
  }
}

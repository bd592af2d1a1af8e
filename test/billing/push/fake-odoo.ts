/**
 * A small in-memory stand-in for the partner's Odoo behind nock: the few models `invoice push`
 * touches, with `search_read` over conjunctions of `=` leaves, `create`, `unlink`, `fields_get`,
 * and `account.move` `action_post`. It answers the same ORM calls whether they arrive over JSON-2
 * or XML-RPC, so both protocol tests check the same behaviour.
 *
 * Amounts are computed as Odoo computes them, not echoed: each `account.move.line`'s quantity and
 * price_unit are rounded half-up to the digits `fields_get` announces (odoo/fields.py
 * Float.convert_to_column; 17.0/18.0: [16, 2] for both, "Product Unit of Measure" and "Product
 * Price"; 19.0: [16, 2] for quantity, "Product Unit", and false for price_unit, a numeric column
 * that keeps every digit), price_subtotal = quantity × price_unit rounded to the currency, taxes
 * by the company's tax_calculation_rounding_method (round_per_line, Odoo's default: each line's
 * tax rounded; round_globally: each tax's total rounded once), amount_untaxed = Σ subtotals,
 * amount_total = untaxed + tax (addons/account/models/account_move.py).
 */
import nock from 'nock'
import {Decimal} from '../../../src/lib/billing/money.js'
import {parseMethodCall, serializeFault, serializeMethodResponse} from '../../../src/lib/odoo/xmlrpc.js'

type Row = {id: number; [key: string]: unknown}
type Digits = [number, number] | false

export const ODOO_URL = 'https://erp.partner.example'

export interface FakeOdooOptions {
  /** What fields_get answers as `digits` of account.move.line quantity / price_unit; undefined: left out. */
  quantityDigits?: Digits
  priceDigits?: Digits
  taxRounding?: 'round_per_line' | 'round_globally'
}

function round(value: string | number | Decimal, digits: Digits | undefined): Decimal {
  const d = new Decimal(value)
  return digits ? d.toDecimalPlaces(digits[1], Decimal.ROUND_HALF_UP) : d
}

const CURRENCY: Digits = [16, 2]

export class FakeOdoo {
  readonly tables: Record<string, Row[]> = {
    'res.country': [
      {id: 20, code: 'BE', display_name: 'Belgium'},
      {id: 165, code: 'NL', display_name: 'Netherlands'},
    ],
    'res.currency': [{id: 1, name: 'EUR', active: true, display_name: 'EUR'}],
    'res.partner': [],
    'product.product': [],
    'account.tax': [
      {id: 1, name: '21%', amount: 21, amount_type: 'percent', type_tax_use: 'sale', price_include: false},
      {id: 2, name: '21% purchase', amount: 21, amount_type: 'percent', type_tax_use: 'purchase', price_include: false},
      {id: 3, name: '6%', amount: 6, amount_type: 'percent', type_tax_use: 'sale', price_include: false},
      {id: 4, name: '0% EU', amount: 0, amount_type: 'percent', type_tax_use: 'sale', price_include: false},
    ],
    'account.move': [],
  }
  /** Every ORM call, `model.method`, in order. */
  readonly calls: string[] = []
  private nextId = 100
  private posted = 0
  readonly options: Required<Pick<FakeOdooOptions, 'taxRounding'>> & FakeOdooOptions

  constructor(
    readonly series: string,
    options: FakeOdooOptions = {},
  ) {
    const major = Number.parseInt(series, 10)
    this.options = {quantityDigits: [16, 2], priceDigits: major >= 19 ? false : [16, 2], taxRounding: 'round_per_line', ...options}
    this.tables['account.move.line'] = []
  }

  /** The move's lines as Odoo stored them (rounded quantity and price, computed subtotal). */
  linesOf(moveId: number): Row[] {
    return this.tables['account.move.line'].filter((l) => l.move_id === moveId)
  }

  /** account.move.line rows from the (0, 0, vals) commands, and the move's totals. */
  private computeMove(move: Row): void {
    const commands = (move.invoice_line_ids ?? []) as [number, number, Record<string, unknown>][]
    const taxes = new Map<number, Decimal>()
    let untaxed = new Decimal(0)
    let perLineTax = new Decimal(0)
    for (const [command, , vals] of commands) {
      if (command !== 0) throw new Error(`unsupported x2many command ${command}`)
      const quantity = round(Number(vals.quantity ?? 1), this.options.quantityDigits)
      const priceUnit = round(Number(vals.price_unit ?? 0), this.options.priceDigits)
      const subtotal = round(quantity.times(priceUnit), CURRENCY)
      untaxed = untaxed.plus(subtotal)
      const taxIds = ((vals.tax_ids ?? []) as [number, number, number[]][]).flatMap(([c, , ids]) => (c === 6 ? ids : []))
      let lineTax = new Decimal(0)
      for (const taxId of taxIds) {
        const tax = this.tables['account.tax'].find((t) => t.id === taxId)
        if (!tax) throw new Error(`Record does not exist or has been deleted. (Record: account.tax(${taxId},))`)
        const amount = subtotal.times(tax.amount as number).div(100)
        taxes.set(taxId, (taxes.get(taxId) ?? new Decimal(0)).plus(amount))
        lineTax = lineTax.plus(round(amount, CURRENCY))
      }
      perLineTax = perLineTax.plus(lineTax)
      this.tables['account.move.line'].push({
        id: this.nextId++,
        move_id: move.id,
        name: vals.name,
        product_id: vals.product_id,
        quantity: quantity.toNumber(),
        price_unit: priceUnit.toNumber(),
        price_subtotal: subtotal.toNumber(),
        price_total: subtotal.plus(lineTax).toNumber(),
        tax_ids: taxIds,
      })
    }
    const tax = this.options.taxRounding === 'round_per_line' ? perLineTax : [...taxes.values()].reduce((a, b) => a.plus(round(b, CURRENCY)), new Decimal(0))
    Object.assign(move, {amount_untaxed: untaxed.toNumber(), amount_tax: tax.toNumber(), amount_total: untaxed.plus(tax).toNumber()})
  }

  /** many2one fields as Odoo reads them: [id, display name]. */
  private present(model: string, row: Row): Row {
    const out: Row = {display_name: row.name, ...row}
    if (model === 'account.move') {
      const currency = this.tables['res.currency'].find((c) => c.id === (row.currency_id ?? 1))
      out.currency_id = currency ? [currency.id, currency.name] : false
    }
    return out
  }

  call(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    this.calls.push(`${model}.${method}`)
    const table = this.tables[model]
    if (!table) throw new Error(`Object ${model} doesn't exist`)
    if (method === 'search_read') {
      const domain = (args[0] ?? kwargs.domain ?? []) as [string, string, unknown][]
      const rows = table.filter((row) => domain.every(([field, op, value]) => op === '=' && (row[field] ?? false) === value))
      const limit = kwargs.limit as number | undefined
      return (limit ? rows.slice(0, limit) : rows).map((row) => this.present(model, row))
    }
    if (method === 'create') {
      const raw = args[0] ?? kwargs.vals_list
      const list = (Array.isArray(raw) ? raw : [raw]) as Record<string, unknown>[]
      const ids = list.map((vals) => {
        const id = this.nextId++
        const row: Row = {id, ...vals}
        if (model === 'account.move') {
          Object.assign(row, {state: 'draft', name: '/', partner_id: [vals.partner_id, 'partner'], posted_before: false})
          this.computeMove(row)
        }
        table.push(row)
        return id
      })
      return Array.isArray(raw) ? ids : ids[0]
    }
    if (model === 'account.move' && method === 'action_post') {
      const ids = (args[0] ?? kwargs.ids) as number[]
      for (const row of table.filter((r) => ids.includes(r.id))) {
        if (row.state !== 'draft') throw new Error('Only draft journal entries can be posted.')
        row.state = 'posted'
        row.posted_before = true
        row.name = `${row.move_type === 'out_refund' ? 'RINV' : 'INV'}/2026/${String(++this.posted).padStart(5, '0')}`
      }
      return false
    }
    if (method === 'unlink') {
      const ids = (args[0] ?? kwargs.ids) as number[]
      const rows = table.filter((r) => ids.includes(r.id))
      // addons/account/models/account_move.py _unlink_forbid_parts_of_chain / posted_before.
      if (model === 'account.move' && rows.some((r) => r.posted_before)) throw new Error('You cannot delete an entry which has been posted once.')
      this.tables[model] = table.filter((r) => !ids.includes(r.id))
      if (model === 'account.move') this.tables['account.move.line'] = this.tables['account.move.line'].filter((l) => !ids.includes(l.move_id as number))
      return true
    }
    if (method === 'fields_get') {
      const allfields = (args[0] ?? kwargs.allfields ?? []) as string[]
      const attributes = (args[1] ?? kwargs.attributes ?? []) as string[]
      if (model !== 'account.move.line') throw new Error(`unsupported fields_get on ${model}`)
      const digits: Record<string, Digits | undefined> = {quantity: this.options.quantityDigits, price_unit: this.options.priceDigits}
      const out: Record<string, Record<string, unknown>> = {}
      for (const name of allfields.length > 0 ? allfields : Object.keys(digits)) {
        const description: Record<string, unknown> = {type: 'float'}
        // odoo/fields.py get_description leaves out None only: digits False is answered.
        if (digits[name] !== undefined) description.digits = digits[name]
        out[name] = attributes.length > 0 ? Object.fromEntries(Object.entries(description).filter(([k]) => attributes.includes(k))) : description
      }
      return out
    }
    throw new Error(`unsupported ${model}.${method}`)
  }

  /** XML-RPC on /xmlrpc/2/common and /xmlrpc/2/object (password "secret-pw" for admin, uid 2). */
  interceptXmlRpc(password: string): void {
    const major = Number.parseInt(this.series, 10)
    nock(ODOO_URL)
      .persist()
      .post('/xmlrpc/2/common')
      .reply(200, (_uri, body) => {
        const {methodName, params} = parseMethodCall(body as string)
        if (methodName === 'version') return serializeMethodResponse({server_version: this.series, server_version_info: [major, 0, 0, 'final', 0, ''], server_serie: this.series, protocol_version: 1})
        if (methodName === 'authenticate') return serializeMethodResponse(params[1] === 'admin' && params[2] === password ? 2 : false)
        return serializeFault(1, `no method ${methodName}`)
      }, {'Content-Type': 'text/xml'})
      .post('/xmlrpc/2/object')
      .reply(200, (_uri, body) => {
        const {params} = parseMethodCall(body as string)
        const [, uid, pw, model, method, args, kwargs] = params as [string, number, string, string, string, unknown[], Record<string, unknown>]
        if (uid !== 2 || pw !== password) return serializeFault(3, 'Access Denied')
        try {
          return serializeMethodResponse(this.call(model, method, args ?? [], kwargs ?? {}))
        } catch (error) {
          return serializeFault(2, (error as Error).message)
        }
      }, {'Content-Type': 'text/xml'})
  }

  /** JSON-2 on /json/2/<model>/<method> with a bearer API key; version over XML-RPC common (no auth). */
  interceptJson2(apiKey: string, db: string): {headers: Record<string, string | string[] | undefined>[]} {
    const seen: {headers: Record<string, string | string[] | undefined>[]} = {headers: []}
    this.interceptXmlRpc('unused-password')
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the reply function's own `this` is nock's request context
    const fake = this
    nock(ODOO_URL)
      .persist()
      .post(/^\/json\/2\/[^/]+\/[^/]+$/)
      .reply(function (this: nock.ReplyFnContext, uri, body) {
        seen.headers.push(this.req.headers)
        if (this.req.headers.authorization !== `bearer ${apiKey}`) return [401, {name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], context: {}, debug: ''}]
        if (this.req.headers['x-odoo-database'] !== db) return [404, {name: 'werkzeug.exceptions.NotFound', message: 'database not found'}]
        const [, , , model, method] = uri.split('/')
        const {ids, context: _context, ...params} = (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>
        try {
          const args = ids === undefined ? [] : [ids]
          return [200, JSON.stringify(fake.call(model, method, args, params) ?? null), {'Content-Type': 'application/json'}]
        } catch (error) {
          return [422, {name: 'odoo.exceptions.UserError', message: (error as Error).message, arguments: [(error as Error).message], context: {}, debug: 'Traceback…'}]
        }
      })
    return seen
  }
}

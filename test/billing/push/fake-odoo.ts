/**
 * A small in-memory stand-in for the partner's Odoo behind nock: the few models `invoice push`
 * touches, with `search_read` over conjunctions of `=` leaves, `create`, and `account.move`
 * `action_post`. It answers the same ORM calls whether they arrive over JSON-2 or XML-RPC, so
 * both protocol tests check the same behaviour.
 */
import nock from 'nock'
import {parseMethodCall, serializeFault, serializeMethodResponse} from '../../../src/lib/odoo/xmlrpc.js'

type Row = {id: number; [key: string]: unknown}

export const ODOO_URL = 'https://erp.partner.example'

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

  constructor(readonly series: string) {}

  call(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    this.calls.push(`${model}.${method}`)
    const table = this.tables[model]
    if (!table) throw new Error(`Object ${model} doesn't exist`)
    if (method === 'search_read') {
      const domain = (args[0] ?? kwargs.domain ?? []) as [string, string, unknown][]
      const rows = table.filter((row) => domain.every(([field, op, value]) => op === '=' && (row[field] ?? false) === value))
      const limit = kwargs.limit as number | undefined
      return (limit ? rows.slice(0, limit) : rows).map((row) => ({display_name: row.name, ...row}))
    }
    if (method === 'create') {
      const raw = args[0] ?? (kwargs.vals_list as unknown[])
      const list = (Array.isArray(raw) ? raw : [raw]) as Record<string, unknown>[]
      const ids = list.map((vals) => {
        const id = this.nextId++
        const row: Row = {id, ...vals}
        if (model === 'account.move') Object.assign(row, {state: 'draft', name: '/', partner_id: [vals.partner_id, 'partner']})
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
        row.name = `${row.move_type === 'out_refund' ? 'RINV' : 'INV'}/2026/${String(++this.posted).padStart(5, '0')}`
      }
      return false
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
        const {methodName, params} = parseMethodCall(String(body))
        if (methodName === 'version') return serializeMethodResponse({server_version: this.series, server_version_info: [major, 0, 0, 'final', 0, ''], server_serie: this.series, protocol_version: 1})
        if (methodName === 'authenticate') return serializeMethodResponse(params[1] === 'admin' && params[2] === password ? 2 : false)
        return serializeFault(1, `no method ${methodName}`)
      }, {'Content-Type': 'text/xml'})
      .post('/xmlrpc/2/object')
      .reply(200, (_uri, body) => {
        const {params} = parseMethodCall(String(body))
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
          const args = method === 'action_post' ? [ids] : []
          return [200, JSON.stringify(fake.call(model, method, args, params) ?? null), {'Content-Type': 'application/json'}]
        } catch (error) {
          return [422, {name: 'odoo.exceptions.UserError', message: (error as Error).message, arguments: [(error as Error).message], context: {}, debug: 'Traceback…'}]
        }
      })
    return seen
  }
}

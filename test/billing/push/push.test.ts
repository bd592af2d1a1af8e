import {expect} from 'chai'
import {connectOdoo, pushInvoices, productCode} from '../../../src/lib/billing/push/index.js'
import {redact} from '../../../src/lib/secrets/redact.js'
import {creditNote, mixedRatesInvoice, standardInvoice} from '../export/invoices.js'
import {FakeOdoo, ODOO_URL} from './fake-odoo.js'
import {failure} from '../../helpers/failure.js'

const invoices = () => [standardInvoice(), mixedRatesInvoice(), creditNote()]

describe('billing push: account.move in the partner Odoo (nock)', function () {
  this.timeout(60_000)

  describe('Odoo 19 with an API key: JSON-2', () => {
    const API_KEY = 'json2-api-key-0123456789abcdef'
    it('creates one move per invoice, twice → still one, with partner, products, taxes; posts', async () => {
      const odoo = new FakeOdoo('19.0')
      const seen = odoo.interceptJson2(API_KEY, 'partner')
      for (let run = 0; run < 2; run++) {
        const connection = await connectOdoo({url: ODOO_URL, db: 'partner', login: 'bot@partner.example', apiKey: API_KEY})
        expect(connection.api.protocol).to.equal('json-2')
        const report = await pushInvoices(connection.api, invoices(), {post: true})
        await connection.close()
        expect(report.results.map((r) => [r.invoice, r.moveType, r.action, r.state])).to.deep.equal(
          run === 0
            ? [['INV-2026-00001', 'out_invoice', 'created', 'posted'], ['INV-2026-00002', 'out_invoice', 'created', 'posted'], ['CN-2026-00001', 'out_refund', 'created', 'posted']]
            : [['INV-2026-00001', 'out_invoice', 'existing', 'posted'], ['INV-2026-00002', 'out_invoice', 'existing', 'posted'], ['CN-2026-00001', 'out_refund', 'existing', 'posted']],
        )
      }
      const moves = odoo.tables['account.move']
      expect(moves.map((m) => [m.ref, m.move_type, m.name])).to.deep.equal([
        ['INV-2026-00001', 'out_invoice', 'INV/2026/00001'],
        ['INV-2026-00002', 'out_invoice', 'INV/2026/00002'],
        ['CN-2026-00001', 'out_refund', 'RINV/2026/00003'],
      ])
      // One customer (created once, with its country), products by Internal Reference, sales taxes by rate.
      expect(odoo.tables['res.partner'].map((p) => [p.name, p.vat, p.country_id, p.is_company])).to.deep.equal([['Acme & Sons "Brewery" NV', 'BE0987654394', 20, true]])
      expect(odoo.tables['product.product'].map((p) => p.default_code)).to.deep.equal(['ODOOPS-USERS.INTERNAL', 'ODOOPS-PER-USER-MANAGED-HOSTING', 'ODOOPS-HYBRID-SUPPORT-TIER-GOLD', 'ODOOPS-STORAGE.DATABASE'])
      const second = moves[1].invoice_line_ids as [number, number, Record<string, unknown>][]
      expect(second.map(([, , l]) => [l.quantity, l.price_unit, l.tax_ids])).to.deep.equal([
        [12, 10, [[6, 0, [1]]]],
        // Prorated 17/30: sent as one unit at the net amount, so Odoo's subtotal equals ours.
        [1, 17, [[6, 0, [3]]]],
        [2.5, 0.4, [[6, 0, [1]]]],
      ])
      expect(second[1][2].name).to.equal('Support tier Gold (prorated) (1 × 30.00, 17/30 days)')
      expect(moves[0]).to.include({partner_id: moves[0].partner_id, invoice_date: '2026-04-01', invoice_date_due: '2026-05-01', currency_id: 1})
      // The credit note stored with negative amounts goes in as a positive refund.
      const refundLines = moves[2].invoice_line_ids as [number, number, Record<string, unknown>][]
      expect(refundLines.map(([, , l]) => [l.quantity, l.price_unit])).to.deep.equal([[2, 10]])
      expect(seen.headers.every((h) => h.authorization === `bearer ${API_KEY}` && h['x-odoo-database'] === 'partner')).to.equal(true)
      // The second run only searched.
      expect(odoo.calls.filter((c) => c === 'account.move.create')).to.have.length(3)
    })

    it('says so when the API key is refused, without echoing it', async () => {
      const odoo = new FakeOdoo('19.0')
      odoo.interceptJson2(API_KEY, 'partner')
      const connection = await connectOdoo({url: ODOO_URL, db: 'partner', login: 'bot', apiKey: 'wrong-key-abcdef'})
      const error = await failure(pushInvoices(connection.api, [standardInvoice()]))
      expect(error.code).to.equal('ODOO_AUTH_FAILED')
      expect(redact(error.message)).to.not.contain('wrong-key-abcdef')
      expect(error.message).to.not.contain('wrong-key-abcdef')
    })
  })

  describe('Odoo 17: XML-RPC', () => {
    const PASSWORD = 'secret-pw-for-xmlrpc'
    it('creates one move per invoice, twice → still one; a second run with --post posts the drafts', async () => {
      const odoo = new FakeOdoo('17.0')
      odoo.interceptXmlRpc(PASSWORD)
      const connect = () => connectOdoo({url: ODOO_URL, db: 'partner', login: 'admin', password: PASSWORD})
      let connection = await connect()
      expect(connection.api.protocol).to.equal('xml-rpc')
      const first = await pushInvoices(connection.api, invoices())
      expect(first).to.include({created: 3, existing: 0, posted: 0})
      expect(first.results.every((r) => r.state === 'draft')).to.equal(true)
      await connection.close()
      connection = await connect()
      const second = await pushInvoices(connection.api, invoices(), {post: true})
      await connection.close()
      expect(second).to.include({created: 0, existing: 3, posted: 3})
      expect(odoo.tables['account.move'].map((m) => [m.ref, m.state])).to.deep.equal([
        ['INV-2026-00001', 'posted'],
        ['INV-2026-00002', 'posted'],
        ['CN-2026-00001', 'posted'],
      ])
    })

    it('refuses when no sales tax of the rate exists, naming it, and reports what was pushed before (exit 3)', async () => {
      const odoo = new FakeOdoo('17.0')
      odoo.tables['account.tax'] = odoo.tables['account.tax'].filter((t) => t.amount !== 6)
      odoo.interceptXmlRpc(PASSWORD)
      const connection = await connectOdoo({url: ODOO_URL, db: 'partner', login: 'admin', password: PASSWORD})
      const error = await failure(pushInvoices(connection.api, [standardInvoice(), mixedRatesInvoice()]))
      await connection.close()
      expect(error.code).to.equal('ODOO_TAX_NOT_FOUND')
      expect(error.exit).to.equal(3)
      expect(error.message).to.match(/no active sales tax of 6 %.*already pushed: INV-2026-00001/)
      expect(odoo.tables['account.move']).to.have.length(1)
    })

    it('skips drafts, and refuses a wrong password as Odoo does', async () => {
      const odoo = new FakeOdoo('17.0')
      odoo.interceptXmlRpc(PASSWORD)
      const error = await failure(connectOdoo({url: ODOO_URL, db: 'partner', login: 'admin', password: 'not-the-password'}))
      expect(error.code).to.equal('ODOO_AUTH_FAILED')
      const connection = await connectOdoo({url: ODOO_URL, db: 'partner', login: 'admin', password: PASSWORD})
      const report = await pushInvoices(connection.api, [standardInvoice({status: 'draft', number: undefined, id: 'draft/acme/2026-03'})])
      await connection.close()
      expect(report.skipped).to.have.length(1)
      expect(odoo.tables['account.move']).to.have.length(0)
    })
  })

  it('derives product Internal References from the metric, else the plan and description', () => {
    expect(productCode(standardInvoice().lines[0])).to.equal('ODOOPS-USERS.INTERNAL')
    expect(productCode(mixedRatesInvoice().lines[1])).to.equal('ODOOPS-HYBRID-SUPPORT-TIER-GOLD')
  })
})

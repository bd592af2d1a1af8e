import {expect} from 'chai'
import {connectOdoo, pushInvoices, productCode, type PushOptions} from '../../../src/lib/billing/push/index.js'
import type {Invoice} from '../../../src/lib/billing/types.js'
import {redact} from '../../../src/lib/secrets/redact.js'
import {creditNote, line, mixedRatesInvoice, standardInvoice} from '../export/invoices.js'
import nock from 'nock'
import {FakeOdoo, ODOO_URL} from './fake-odoo.js'
import {failure} from '../../helpers/failure.js'

const invoices = () => [standardInvoice(), mixedRatesInvoice(), creditNote()]

type SentLine = [number, number, Record<string, unknown>]

/** One per-user line of `quantity` users at 24.90 (21 %), with the totals odoops computes (tax per rate on the net). */
function perUserInvoice(number: string, quantity: string, netAmount: string, tax: string, total: string): Invoice {
  return standardInvoice({
    id: number,
    number,
    lines: [line(1, {quantity, unitPrice: '24.90', netAmount})],
    taxSubtotals: [{taxCategory: 'S', taxPercent: '21', taxableAmount: netAmount, taxAmount: tax}],
    totalNet: netAmount,
    totalTax: tax,
    totalGross: total,
  })
}

/** Issue 13: 12 users for 2.806452 user-months (prorated) × 24.90 = 69.88 + 14.67 VAT = 84.55. */
const prorated = () => perUserInvoice('INV-2026-00013', '2.806452', '69.88', '14.67', '84.55')

/**
 * Two lines of 1.25 at 21 %: odoops taxes the rate's total once (2.50 × 21 % = 0.525 → 0.53, EN 16931
 * BR-CO-17); Odoo's default round_per_line taxes each line (0.2625 → 0.26, twice: 0.52).
 */
function perLineRoundingInvoice(): Invoice {
  const hosting = {tenant: 'acme', plan: 'per-user', planVersion: 3}
  return standardInvoice({
    id: 'INV-2026-00020',
    number: 'INV-2026-00020',
    lines: [
      line(1, {description: 'Backup storage', quantity: '1', unitPrice: '1.25', netAmount: '1.25', source: hosting}),
      line(2, {description: 'Mail relay', quantity: '1', unitPrice: '1.25', netAmount: '1.25', source: hosting}),
    ],
    taxSubtotals: [{taxCategory: 'S', taxPercent: '21', taxableAmount: '2.50', taxAmount: '0.53'}],
    totalNet: '2.50',
    totalTax: '0.53',
    totalGross: '3.03',
  })
}

const PASSWORD = 'secret-pw-for-xmlrpc'
const API_KEY = 'json2-api-key-0123456789abcdef'

/** Drop the interceptors of a previous fake within one test. */
function nockReset(): void {
  nock.cleanAll()
}

/** One push run over the fake's protocol (XML-RPC for 17.0, JSON-2 for 19.0). */
async function push(odoo: FakeOdoo, list: Invoice[], options: PushOptions = {}) {
  const json2 = Number.parseInt(odoo.series, 10) >= 19
  const connection = json2
    ? await connectOdoo({url: ODOO_URL, db: 'partner', login: 'bot@partner.example', apiKey: API_KEY})
    : await connectOdoo({url: ODOO_URL, db: 'partner', login: 'admin', password: PASSWORD})
  try {
    return await pushInvoices(connection.api, list, options)
  } finally {
    await connection.close()
  }
}

function intercept(odoo: FakeOdoo): FakeOdoo {
  if (Number.parseInt(odoo.series, 10) >= 19) odoo.interceptJson2(API_KEY, 'partner')
  else odoo.interceptXmlRpc(PASSWORD)
  return odoo
}

function sentLines(odoo: FakeOdoo, ref: string): Record<string, unknown>[] {
  const move = odoo.tables['account.move'].find((m) => m.ref === ref)
  return ((move?.invoice_line_ids ?? []) as SentLine[]).map(([, , l]) => l)
}

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

  describe('totals equal to the cent: lines Odoo would round, read-back, mismatch refusal (issue 13)', () => {
    it('the fake rounds as Odoo 17 does: 2.806452 users × 24.90 sent as such would post 84.66, not 84.55', async () => {
      // The defect itself, on the fake: it must be able to disagree with us, or the tests below prove nothing.
      const odoo = new FakeOdoo('17.0')
      const id = odoo.call('account.move', 'create', [{move_type: 'out_invoice', ref: 'X', invoice_line_ids: [[0, 0, {quantity: 2.806452, price_unit: 24.9, tax_ids: [[6, 0, [1]]]}]]}], {}) as number
      expect(odoo.linesOf(id).map((l) => [l.quantity, l.price_subtotal, l.price_total])).to.deep.equal([[2.81, 69.97, 84.66]])
      expect(odoo.tables['account.move'][0]).to.include({amount_untaxed: 69.97, amount_tax: 14.69, amount_total: 84.66})
    })

    for (const series of ['17.0', '19.0']) {
      it(`${series}: a prorated quantity (2.806452 × 24.90) goes as 1 × 69.88, and Odoo's totals are the invoice's`, async () => {
        const odoo = intercept(new FakeOdoo(series))
        const report = await push(odoo, [prorated()], {post: true})
        expect(sentLines(odoo, 'INV-2026-00013').map((l) => [l.quantity, l.price_unit, l.name])).to.deep.equal([
          [1, 69.88, 'Odoo users (internal), per user per month (2.806452 × 24.90)'],
        ])
        const move = odoo.tables['account.move'][0]
        expect([move.amount_untaxed, move.amount_tax, move.amount_total, move.state]).to.deep.equal([69.88, 14.67, 84.55, 'posted'])
        expect(report.results.map((r) => [r.action, r.state, r.amounts, r.matches])).to.deep.equal([
          ['created', 'posted', {currency: 'EUR', untaxed: '69.88', tax: '14.67', total: '84.55'}, true],
        ])
        // The precision was asked once, over this protocol.
        expect(odoo.calls.filter((c) => c === 'account.move.line.fields_get')).to.have.length(1)
      })
    }

    it('a quantity that fits the precision (3 × 24.90) goes as it is', async () => {
      const odoo = intercept(new FakeOdoo('17.0'))
      const report = await push(odoo, [perUserInvoice('INV-2026-00014', '3', '74.70', '15.69', '90.39')])
      expect(sentLines(odoo, 'INV-2026-00014').map((l) => [l.quantity, l.price_unit, l.name])).to.deep.equal([[3, 24.9, 'Odoo users (internal), per user per month']])
      expect(report.results[0]).to.include({action: 'created', state: 'draft', matches: true})
      expect(report.results[0].amounts).to.deep.equal({currency: 'EUR', untaxed: '74.70', tax: '15.69', total: '90.39'})
    })

    it('reads the precision from fields_get, once per push: digits [16, 4] for quantity let 2.8065 through', async () => {
      const list = () => [perUserInvoice('INV-2026-00015', '2.8065', '69.88', '14.67', '84.55'), perUserInvoice('INV-2026-00016', '2.806452', '69.88', '14.67', '84.55')]
      const fine = intercept(new FakeOdoo('17.0', {quantityDigits: [16, 4]}))
      const report = await push(fine, list())
      expect(report.results.every((r) => r.matches && r.amounts.total === '84.55')).to.equal(true)
      // 4 decimals: 2.8065 is kept; 2.806452 still would not be.
      expect(sentLines(fine, 'INV-2026-00015').map((l) => [l.quantity, l.price_unit])).to.deep.equal([[2.8065, 24.9]])
      expect(sentLines(fine, 'INV-2026-00016').map((l) => [l.quantity, l.price_unit])).to.deep.equal([[1, 69.88]])
      expect(fine.calls.filter((c) => c === 'account.move.line.fields_get')).to.have.length(1)
      // The default 2 decimals: 2.8065 goes as 1 × 69.88 too.
      nockReset()
      const coarse = intercept(new FakeOdoo('17.0'))
      await push(coarse, list())
      expect(sentLines(coarse, 'INV-2026-00015').map((l) => [l.quantity, l.price_unit])).to.deep.equal([[1, 69.88]])
    })

    it("a unit price beyond 'Product Price' (8 × 0.125): 1 × 1.00 on 17.0, as it is on 19.0 (price_unit digits false)", async () => {
      const storage = () =>
        standardInvoice({
          id: 'INV-2026-00017',
          number: 'INV-2026-00017',
          lines: [line(1, {description: 'Storage', quantity: '8', unitCode: 'GB', unitPrice: '0.125', netAmount: '1.00'})],
          taxSubtotals: [{taxCategory: 'S', taxPercent: '21', taxableAmount: '1.00', taxAmount: '0.21'}],
          totalNet: '1.00',
          totalTax: '0.21',
          totalGross: '1.21',
        })
      const v17 = intercept(new FakeOdoo('17.0'))
      await push(v17, [storage()])
      expect(sentLines(v17, 'INV-2026-00017').map((l) => [l.quantity, l.price_unit])).to.deep.equal([[1, 1]])
      nockReset()
      const v19 = intercept(new FakeOdoo('19.0'))
      const report = await push(v19, [storage()])
      expect(sentLines(v19, 'INV-2026-00017').map((l) => [l.quantity, l.price_unit])).to.deep.equal([[8, 0.125]])
      expect(report.results[0].amounts.total).to.equal('1.21')
    })

    it('no digits in fields_get: 2 decimals assumed', async () => {
      const odoo = intercept(new FakeOdoo('17.0', {quantityDigits: undefined, priceDigits: undefined}))
      // What the fake does with values it announces nothing for: it keeps them (so only our assumption rounds here).
      const report = await push(odoo, [prorated(), perUserInvoice('INV-2026-00014', '3', '74.70', '15.69', '90.39')])
      expect(sentLines(odoo, 'INV-2026-00013').map((l) => [l.quantity, l.price_unit])).to.deep.equal([[1, 69.88]])
      expect(sentLines(odoo, 'INV-2026-00014').map((l) => [l.quantity, l.price_unit])).to.deep.equal([[3, 24.9]])
      expect(report.results.map((r) => r.matches)).to.deep.equal([true, true])
    })

    for (const series of ['17.0', '19.0']) {
      it(`${series}: Odoo rounding taxes per line → INVOICE_PUSH_MISMATCH, the draft deleted, nothing posted, earlier invoices stay (exit 3)`, async () => {
        const odoo = intercept(new FakeOdoo(series))
        const error = await failure(push(odoo, [standardInvoice(), perLineRoundingInvoice()], {post: true}))
        expect(error.code).to.equal('INVOICE_PUSH_MISMATCH')
        expect(error.exit).to.equal(3)
        expect(error.message).to.contain('INV-2026-00020')
        expect(error.message).to.contain('untaxed 2.50, tax 0.52, total 3.02 EUR in Odoo')
        expect(error.message).to.contain('untaxed 2.50, tax 0.53, total 3.03 EUR on the invoice')
        expect(error.message).to.match(/round_per_line/)
        expect(error.message).to.match(/draft move \d+ was deleted; nothing was posted/)
        expect(error.message).to.contain('already pushed: INV-2026-00001')
        expect(error.suggestions.join('\n')).to.contain('Round Globally')
        expect(error.data).to.deep.include({invoice: 'INV-2026-00020', action: 'created', deleted: true})
        expect(error.data?.odoo).to.deep.equal({currency: 'EUR', untaxed: '2.50', tax: '0.52', total: '3.02'})
        expect(error.data?.odoops).to.deep.equal({currency: 'EUR', untaxed: '2.50', tax: '0.53', total: '3.03'})
        expect(odoo.calls).to.include('account.move.unlink')
        // The first invoice is in Odoo and posted; the mismatching one is gone, its lines too, and was never posted.
        expect(odoo.tables['account.move'].map((m) => [m.ref, m.state])).to.deep.equal([['INV-2026-00001', 'posted']])
        expect(odoo.tables['account.move.line'].every((l) => l.move_id === odoo.tables['account.move'][0].id)).to.equal(true)
        expect(odoo.calls.filter((c) => c === 'account.move.action_post')).to.have.length(1)
      })
    }

    it('the same invoice goes through when the company rounds taxes globally', async () => {
      const odoo = intercept(new FakeOdoo('17.0', {taxRounding: 'round_globally'}))
      const report = await push(odoo, [perLineRoundingInvoice()], {post: true})
      expect(report.results.map((r) => [r.state, r.amounts.tax, r.amounts.total, r.matches])).to.deep.equal([['posted', '0.53', '3.03', true]])
    })

    it('a second push finds the move by ref, compares it, creates nothing', async () => {
      const odoo = intercept(new FakeOdoo('17.0'))
      await push(odoo, [prorated()])
      const again = await push(odoo, [prorated()], {post: true})
      expect(again).to.include({created: 0, existing: 1, posted: 1})
      expect(again.results.map((r) => [r.action, r.state, r.amounts.total, r.matches])).to.deep.equal([['existing', 'posted', '84.55', true]])
      expect(odoo.calls.filter((c) => c === 'account.move.create')).to.have.length(1)
      expect(odoo.tables['account.move']).to.have.length(1)
    })

    it('a move found by ref with other totals (pushed by an older odoops) is reported, not posted, not deleted', async () => {
      const odoo = intercept(new FakeOdoo('17.0'))
      // What the defect left behind: the prorated quantity sent as such, rounded by Odoo to 2.81.
      odoo.call('account.move', 'create', [{move_type: 'out_invoice', ref: 'INV-2026-00013', partner_id: 7, currency_id: 1, invoice_line_ids: [[0, 0, {quantity: 2.806452, price_unit: 24.9, tax_ids: [[6, 0, [1]]]}]]}], {})
      odoo.calls.length = 0
      const error = await failure(push(odoo, [prorated()], {post: true}))
      expect(error.code).to.equal('INVOICE_PUSH_MISMATCH')
      expect(error.exit).to.equal(1)
      expect(error.message).to.contain('untaxed 69.97, tax 14.69, total 84.66 EUR in Odoo, untaxed 69.88, tax 14.67, total 84.55 EUR on the invoice')
      expect(error.message).to.match(/found by its reference, was left as it is and not posted/)
      expect(error.data).to.deep.include({action: 'existing', moveState: 'draft', deleted: false})
      expect(odoo.tables['account.move'].map((m) => [m.ref, m.state])).to.deep.equal([['INV-2026-00013', 'draft']])
      expect(odoo.calls.filter((c) => c === 'account.move.unlink' || c === 'account.move.action_post' || c === 'account.move.create')).to.deep.equal([])
    })
  })

  it('derives product Internal References from the metric, else the plan and description', () => {
    expect(productCode(standardInvoice().lines[0])).to.equal('ODOOPS-USERS.INTERNAL')
    expect(productCode(mixedRatesInvoice().lines[1])).to.equal('ODOOPS-HYBRID-SUPPORT-TIER-GOLD')
  })
})

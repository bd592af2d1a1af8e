import {expect} from 'chai'
import {csvField, renderCsv, renderJson, CSV_COLUMNS} from '../../../src/lib/billing/export/index.js'
import {creditNote, mixedRatesInvoice, standardInvoice} from './invoices.js'

/** A strict RFC 4180 reader (quoted fields, doubled quotes, CRLF records) to read the output back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  expect(field, 'text after the last CRLF').to.equal('')
  return rows
}

describe('billing export: CSV and JSON', () => {
  describe('CSV (RFC 4180)', () => {
    it('quotes only what needs quoting, doubling quotes', () => {
      expect(csvField('plain')).to.equal('plain')
      expect(csvField('a,b')).to.equal('"a,b"')
      expect(csvField('say "hi"')).to.equal('"say ""hi"""')
      expect(csvField('two\nlines')).to.equal('"two\nlines"')
      expect(csvField('cr\rhere')).to.equal('"cr\rhere"')
      expect(csvField(' padded ')).to.equal('" padded "')
      expect(csvField('Zürich – Ŀ')).to.equal('Zürich – Ŀ')
      expect(csvField(undefined)).to.equal('')
      expect(csvField(3)).to.equal('3')
    })

    it('writes a header and one CRLF row per line with the invoice fields repeated', () => {
      const tricky = standardInvoice({buyer: {...standardInvoice().buyer, name: 'Acme, "Brewery"\nNV'}})
      const text = renderCsv([tricky, mixedRatesInvoice()])
      expect(text.endsWith('\r\n')).to.equal(true)
      expect(text.charCodeAt(0)).to.not.equal(0xfeff)
      const rows = parseCsv(text)
      expect(rows[0]).to.deep.equal(CSV_COLUMNS.map(([h]) => h))
      expect(rows).to.have.length(1 + 2 + 3)
      const col = (name: string) => rows[0].indexOf(name)
      expect(rows.slice(1, 3).map((r) => r[col('buyer_name')])).to.deep.equal(['Acme, "Brewery"\nNV', 'Acme, "Brewery"\nNV'])
      expect(rows.slice(1).map((r) => r[col('invoice_number')])).to.deep.equal(['INV-2026-00001', 'INV-2026-00001', 'INV-2026-00002', 'INV-2026-00002', 'INV-2026-00002'])
      const prorated = rows[4]
      expect([prorated[col('line_quantity')], prorated[col('line_unit_price')], prorated[col('line_net_amount')], prorated[col('line_tax_percent')]]).to.deep.equal(['1', '30.00', '17.00', '6'])
      expect(prorated[col('issue_date')]).to.equal('2026-05-01')
      expect(prorated[col('total_gross')]).to.equal('164.43')
      for (const r of rows) expect(r).to.have.length(rows[0].length)
    })

    it('keeps decimal points and signs as stored (credit note)', () => {
      const rows = parseCsv(renderCsv([creditNote()]))
      expect(rows[1][rows[0].indexOf('line_net_amount')]).to.equal('-20.00')
      expect(rows[1][rows[0].indexOf('credit_of')]).to.equal('INV-2026-00001')
      expect(rows[1][rows[0].indexOf('kind')]).to.equal('credit-note')
    })

    it('is a header alone when nothing is selected', () => {
      expect(parseCsv(renderCsv([]))).to.have.length(1)
    })
  })

  describe('JSON', () => {
    it('has a stable shape: fixed keys, nulls for absent values, no extra record fields', () => {
      const invoice = {...creditNote(), createdAt: 'x', internal: {secret: true}}
      const doc = JSON.parse(renderJson([invoice]))
      expect(doc.format).to.equal('odoops-invoices')
      expect(doc.version).to.equal(1)
      const [out] = doc.invoices
      expect(Object.keys(out)).to.deep.equal(['number', 'id', 'kind', 'status', 'creditOf', 'customer', 'period', 'periodStart', 'periodEnd', 'issueDate', 'dueDate', 'currency', 'seller', 'buyer', 'lines', 'taxSubtotals', 'totalNet', 'totalTax', 'totalGross'])
      expect(out.dueDate).to.equal(null)
      expect(out.buyer.email).to.equal(null)
      expect(out.lines[0].source).to.deep.include({tenant: 'acme', plan: 'per-user', planVersion: 3, metric: 'users.internal', daysActive: null})
      expect(out).to.not.have.property('internal')
      expect(out.totalGross).to.equal('-24.20')
    })

    it('is byte-identical when exported twice', () => {
      expect(renderJson([standardInvoice()])).to.equal(renderJson([standardInvoice()]))
    })
  })
})

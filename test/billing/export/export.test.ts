import {expect} from 'chai'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {exportInvoices} from '../../../src/lib/billing/export/index.js'
import type {Invoice} from '../../../src/lib/billing/types.js'
import {creditNote, standardInvoice, storeOf} from './invoices.js'
import {failure} from '../../helpers/failure.js'

describe('billing export: exportInvoices', function () {
  this.timeout(600_000)
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'odoops-export-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const draft = standardInvoice({id: 'draft/acme/2026-03', status: 'draft', number: undefined, issueDate: undefined, dueDate: undefined})

  it('writes one CSV for a period (drafts included), atomically: no temporary file left', async () => {
    const result = await exportInvoices(storeOf([standardInvoice(), draft]), {period: '2026-03'}, {format: 'csv', outputDir: join(dir, 'out')})
    expect(result.files.map((f) => f.path)).to.deep.equal([join(dir, 'out', 'invoices-2026-03.csv')])
    expect(result.files[0].invoices).to.deep.equal(['INV-2026-00001', 'draft/acme/2026-03'])
    expect(readdirSync(join(dir, 'out'))).to.deep.equal(['invoices-2026-03.csv'])
  })

  it('writes one validated UBL file per issued invoice, skipping drafts', async () => {
    const result = await exportInvoices(storeOf([standardInvoice(), creditNote({period: '2026-03'}), draft]), {period: '2026-03'}, {format: 'ubl', outputDir: dir})
    expect(readdirSync(dir).sort()).to.deep.equal(['CN-2026-00001.xml', 'INV-2026-00001.xml'])
    expect(readFileSync(join(dir, 'CN-2026-00001.xml'), 'utf8')).to.contain('<CreditNote xmlns=')
    expect(result.skipped).to.deep.equal([{invoice: 'draft/acme/2026-03', reason: 'draft: only issued invoices are exported as UBL (odoops invoice issue)'}])
  })

  it('refuses a broken invoice with the failing rule id and writes nothing', async () => {
    const broken = standardInvoice({id: 'INV-2026-00009', number: 'INV-2026-00009', totalGross: '205.00'})
    const error = await failure(exportInvoices(storeOf([standardInvoice(), broken]), {period: '2026-03'}, {format: 'ubl', outputDir: dir}))
    expect(error.code).to.equal('UBL_VALIDATION_FAILED')
    expect(error.message).to.match(/INV-2026-00009 fails Peppol BIS Billing 3.0 validation: \[BR-CO-15\]/)
    expect(error.data?.ruleId).to.equal('BR-CO-15')
    expect(readdirSync(dir)).to.deep.equal([])
  })

  it('selects one invoice by number, and says when none exists', async () => {
    const result = await exportInvoices(storeOf([standardInvoice(), creditNote()]), {number: 'CN-2026-00001'}, {format: 'json', outputDir: dir})
    expect(JSON.parse(readFileSync(result.files[0].path, 'utf8')).invoices.map((i: Invoice) => i.number)).to.deep.equal(['CN-2026-00001'])
    expect((await failure(exportInvoices(storeOf([]), {number: 'INV-1'}, {format: 'json', outputDir: dir}))).code).to.equal('INVOICE_NOT_FOUND')
  })
})

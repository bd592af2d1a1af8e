import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {XMLParser} from 'fast-xml-parser'
import {MissingInvoiceDataError, renderUbl, validateUbl, validateSchematron, validateXsd, PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID} from '../../../src/lib/billing/export/index.js'
import {isOdoopsError} from '../../../src/lib/errors.js'
import {creditNote, mixedRatesInvoice, reverseChargeInvoice, SELLER, standardInvoice, zeroRatedInvoice} from './invoices.js'

// Schematron evaluation with fontoxpath takes seconds per document (more on a busy machine).
const SLOW = 600_000

function fixture(name: string): string {
  return readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')
}

function parse(xml: string): Record<string, any> {
  return new XMLParser({ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false}).parse(xml)
}

describe('billing export: UBL 2.1 / Peppol BIS Billing 3.0', function () {
  this.timeout(SLOW)

  describe('the validators themselves', () => {
    it('pass the two official OpenPEPPOL examples (XSD, CEN and PEPPOL rules)', async () => {
      for (const [file, kind] of [['base-example.xml', 'invoice'], ['base-creditnote-correction.xml', 'credit-note']] as const) {
        const result = await validateUbl(fixture(file), kind)
        expect(result.xsd, file).to.deep.equal([])
        expect(result.errors, file).to.deep.equal([])
        expect(result.valid).to.equal(true)
      }
    })

    it('catch a changed official example: the XSD an unknown element, CEN BR-CO-15 a wrong total', async () => {
      const example = fixture('base-example.xml')
      const badElement = example.replace('<cbc:BuyerReference>', '<cbc:Nonsense>x</cbc:Nonsense><cbc:BuyerReference>')
      expect((await validateXsd(badElement, 'invoice'))[0].message).to.match(/Nonsense/)
      const badTotal = example.replace(/<cbc:TaxInclusiveAmount currencyID="EUR">([\d.]+)</, '<cbc:TaxInclusiveAmount currencyID="EUR">99999.99<')
      expect((await validateSchematron(badTotal, 'cen')).map((f) => f.id)).to.include('BR-CO-15')
    })

    it("run the PEPPOL file's xsl:function helpers (u:mod97-0208, u:gln) through fontoxpath", async () => {
      // A Belgian enterprise number (scheme 0208) with wrong mod-97 check digits, and a GLN (0088) with a wrong GS1 check digit.
      const badBe = renderUbl(standardInvoice({seller: {...SELLER, endpointId: '0208:0123456700'}}))
      expect((await validateSchematron(badBe, 'peppol')).map((f) => f.id)).to.deep.equal(['PEPPOL-COMMON-R043'])
      const badGln = renderUbl(standardInvoice({seller: {...SELLER, endpointId: '0088:5412345000014'}}))
      expect((await validateSchematron(badGln, 'peppol')).map((f) => f.id)).to.deep.equal(['PEPPOL-COMMON-R040'])
      const goodGln = renderUbl(standardInvoice({seller: {...SELLER, endpointId: '0088:5412345000013'}}))
      expect(await validateSchematron(goodGln, 'peppol')).to.deep.equal([])
    })
  })

  describe('exported documents', () => {
    const cases = [
      ['standard rate 21 %', standardInvoice()],
      ['two rates (21 % and 6 %) and a prorated line', mixedRatesInvoice()],
      ['reverse charge (AE) to a Dutch customer', reverseChargeInvoice()],
      ['standard and zero-rated (Z) lines', zeroRatedInvoice()],
      ['credit note stored with negative amounts', creditNote()],
      ['credit note stored with positive amounts (as invoice credit issues it)', creditNote({lines: [standardInvoice().lines[0]], taxSubtotals: [{taxCategory: 'S', taxPercent: '21', taxableAmount: '120.00', taxAmount: '25.20'}], totalNet: '120.00', totalTax: '25.20', totalGross: '145.20', dueDate: '2026-04-10', reason: 'Billed twice'})],
    ] as const
    for (const [name, invoice] of cases) {
      it(`${name}: passes the UBL 2.1 XSD, the CEN rules and the PEPPOL rules`, async () => {
        const xml = renderUbl(invoice)
        const result = await validateUbl(xml, invoice.kind)
        expect(result.xsd).to.deep.equal([])
        expect(result.errors).to.deep.equal([])
        expect(result.warnings).to.deep.equal([])
      })
    }

    it('carries the Peppol identifiers, parties, totals and lines', () => {
      const doc = parse(renderUbl(mixedRatesInvoice())).Invoice
      expect(doc.CustomizationID).to.equal(PEPPOL_CUSTOMIZATION_ID)
      expect(doc.ProfileID).to.equal(PEPPOL_PROFILE_ID)
      expect(doc.InvoiceTypeCode).to.equal('380')
      expect(doc.AccountingSupplierParty.Party.EndpointID).to.deep.equal({'@_schemeID': '0208', '#text': '0123456749'})
      expect(doc.AccountingCustomerParty.Party.PartyLegalEntity.RegistrationName).to.equal('Acme & Sons "Brewery" NV')
      expect(doc.AccountingSupplierParty.Party.PartyTaxScheme).to.deep.equal({CompanyID: 'BE0123456749', TaxScheme: {ID: 'VAT'}})
      expect(doc.TaxTotal.TaxSubtotal.map((s: any) => [s.TaxCategory.ID, s.TaxCategory.Percent, s.TaxAmount['#text']])).to.deep.equal([['S', '21', '25.41'], ['S', '6', '1.02']])
      expect(doc.LegalMonetaryTotal.PayableAmount['#text']).to.equal('164.43')
      // The prorated line: 1 × 30.00 with a 13.00 allowance = 17.00 (PEPPOL-EN16931-R120).
      const prorated = doc.InvoiceLine[1]
      expect(prorated.LineExtensionAmount['#text']).to.equal('17.00')
      expect(prorated.AllowanceCharge).to.include({ChargeIndicator: 'false', AllowanceChargeReason: 'Proration: 17 of 30 days'})
      expect(prorated.AllowanceCharge.Amount['#text']).to.equal('13.00')
    })

    it('writes a credit note as UBL CreditNote with positive amounts and a billing reference', () => {
      const doc = parse(renderUbl(creditNote())).CreditNote
      expect(doc.CreditNoteTypeCode).to.equal('381')
      expect(doc.BillingReference.InvoiceDocumentReference.ID).to.equal('INV-2026-00001')
      expect(doc.CreditNoteLine.CreditedQuantity).to.deep.equal({'@_unitCode': 'C62', '#text': '2'})
      expect(doc.LegalMonetaryTotal.PayableAmount['#text']).to.equal('24.20')
    })
  })

  describe('refusals', () => {
    it('refuses an invoice missing mandatory data, listing every missing field', () => {
      const invoice = standardInvoice({seller: {name: 'Partner', country: 'BE'}, buyer: {name: '', country: undefined, endpointId: '0123456789'}, dueDate: undefined})
      let error: unknown
      try {
        renderUbl(invoice)
      } catch (e) {
        error = e
      }
      expect(error).to.be.instanceOf(MissingInvoiceDataError)
      const fields = (error as MissingInvoiceDataError).missing.map((m) => m.field)
      expect(fields).to.have.members(['seller.endpointId', 'seller.vat', 'buyer.name', 'buyer.country', 'buyer.endpointId', 'dueDate'])
      expect((error as MissingInvoiceDataError).message).to.contain('Seller electronic address (BT-34, PEPPOL-EN16931-R020)')
    })

    it('refuses a reverse-charge invoice without the buyer VAT number, and a draft', () => {
      const noVat = reverseChargeInvoice()
      noVat.buyer = {...noVat.buyer, vat: undefined}
      expect(() => renderUbl(noVat)).to.throw(MissingInvoiceDataError, /buyer\.vat/)
      expect(() => renderUbl(standardInvoice({status: 'draft', number: undefined}))).to.throw(MissingInvoiceDataError, /number/)
    })

    it('a deliberately broken invoice (totals that do not add up) fails with the rule id', async () => {
      const broken = standardInvoice({totalGross: '205.00'})
      const result = await validateUbl(renderUbl(broken), 'invoice')
      expect(result.valid).to.equal(false)
      expect(result.errors.map((e) => e.id)).to.include('BR-CO-15')
      expect(isOdoopsError(new MissingInvoiceDataError('x', []))).to.equal(true)
    })
  })
})

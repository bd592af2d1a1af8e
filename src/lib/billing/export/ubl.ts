/**
 * An invoice as a UBL 2.1 Invoice (or CreditNote) following Peppol BIS Billing 3.0
 * (OpenPEPPOL/peppol-bis-invoice-3, rules/examples/base-example.xml and
 * base-creditnote-correction.xml). The element order is the UBL 2.1 schema's sequence order,
 * which the XSD check enforces. Built with fast-xml-parser's XMLBuilder (escaping included),
 * never by string concatenation. docs/invoice-export.md maps every field to its business term.
 */
import {Decimal} from '../money.js'
import {XMLBuilder} from 'fast-xml-parser'
import {OdoopsError} from '../../errors.js'
import type {Invoice, InvoiceLine, InvoiceParty, InvoiceTaxSubtotal} from '../types.js'
import {documentAmounts, formatLike, lineAdjustment} from './amounts.js'
import {missingPeppolFields, type MissingField} from './requirements.js'

export const PEPPOL_CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'
export const PEPPOL_PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0'
/** UNCL1001: 380 commercial invoice, 381 credit note. */
export const INVOICE_TYPE_CODE = '380'
export const CREDIT_NOTE_TYPE_CODE = '381'

const NS = {
  invoice: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2',
  creditNote: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
}

/**
 * VAT exemption reasons (BT-120/BT-121, VATEX code list) for the categories that require one
 * (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10). Exempt (E) has no single code: the article of
 * the exemption depends on the service, so only the text is given.
 */
export const EXEMPTION_REASONS: Record<string, {code?: string; text: string}> = {
  E: {text: 'Exempt from VAT'},
  AE: {code: 'VATEX-EU-AE', text: 'Reverse charge'},
  K: {code: 'VATEX-EU-IC', text: 'Intra-Community supply'},
  G: {code: 'VATEX-EU-G', text: 'Export outside the EU'},
  O: {code: 'VATEX-EU-O', text: 'Not subject to VAT'},
}

type XmlNode = Record<string, unknown>

function amount(value: string, currency: string): XmlNode {
  return {'@_currencyID': currency, '#text': value}
}

function taxScheme(): XmlNode {
  return {'cbc:ID': 'VAT'}
}

/** "Not subject to VAT" (O) carries no rate (BR-O-14 family); every other category does. */
function percentOf(category: string, percent: string): XmlNode {
  return category === 'O' ? {} : {'cbc:Percent': new Decimal(percent).toString()}
}

function endpoint(party: InvoiceParty): XmlNode {
  const [scheme, ...rest] = party.endpointId!.split(':')
  return {'@_schemeID': scheme, '#text': rest.join(':')}
}

function party(p: InvoiceParty, notSubjectToVat: boolean): XmlNode {
  const address: XmlNode = {
    ...(p.street ? {'cbc:StreetName': p.street} : {}),
    ...(p.city ? {'cbc:CityName': p.city} : {}),
    ...(p.postcode ? {'cbc:PostalZone': p.postcode} : {}),
    'cac:Country': {'cbc:IdentificationCode': p.country},
  }
  return {
    'cac:Party': {
      'cbc:EndpointID': endpoint(p),
      'cac:PartyName': {'cbc:Name': p.name},
      'cac:PostalAddress': address,
      // BR-O-02 and following: with "not subject to VAT" neither party states a VAT identifier.
      ...(p.vat && !notSubjectToVat ? {'cac:PartyTaxScheme': {'cbc:CompanyID': p.vat, 'cac:TaxScheme': taxScheme()}} : {}),
      'cac:PartyLegalEntity': {'cbc:RegistrationName': p.name},
      ...(p.email ? {'cac:Contact': {'cbc:ElectronicMail': p.email}} : {}),
    },
  }
}

function taxCategory(category: string, percent: string, withReason: boolean): XmlNode {
  const reason = withReason ? EXEMPTION_REASONS[category] : undefined
  return {
    'cbc:ID': category,
    ...percentOf(category, percent),
    ...(reason?.code ? {'cbc:TaxExemptionReasonCode': reason.code} : {}),
    ...(reason ? {'cbc:TaxExemptionReason': reason.text} : {}),
    'cac:TaxScheme': taxScheme(),
  }
}

function subtotal(s: InvoiceTaxSubtotal, currency: string): XmlNode {
  return {
    'cbc:TaxableAmount': amount(s.taxableAmount, currency),
    'cbc:TaxAmount': amount(s.taxAmount, currency),
    'cac:TaxCategory': taxCategory(s.taxCategory, s.taxPercent, true),
  }
}

function line(l: InvoiceLine, invoice: Invoice, credit: boolean): XmlNode {
  const {adjustment} = lineAdjustment(l)
  const allowance = adjustment.isZero()
    ? {}
    : {
        'cac:AllowanceCharge': {
          'cbc:ChargeIndicator': adjustment.isPositive() ? 'true' : 'false',
          'cbc:AllowanceChargeReason': prorationReason(l),
          'cbc:Amount': amount(formatLike(adjustment.abs(), l.netAmount, 2), invoice.currency),
        },
      }
  return {
    'cbc:ID': String(l.position),
    [credit ? 'cbc:CreditedQuantity' : 'cbc:InvoicedQuantity']: {'@_unitCode': l.unitCode, '#text': l.quantity},
    'cbc:LineExtensionAmount': amount(l.netAmount, invoice.currency),
    ...allowance,
    'cac:Item': {
      'cbc:Name': l.description,
      'cac:ClassifiedTaxCategory': {'cbc:ID': l.taxCategory, ...percentOf(l.taxCategory, l.taxPercent), 'cac:TaxScheme': taxScheme()},
    },
    'cac:Price': {'cbc:PriceAmount': amount(l.unitPrice, invoice.currency)},
  }
}

function prorationReason(l: InvoiceLine): string {
  const {daysActive, daysInPeriod} = l.source ?? {}
  if (typeof daysActive === 'number' && typeof daysInPeriod === 'number' && daysActive !== daysInPeriod) return `Proration: ${daysActive} of ${daysInPeriod} days`
  return 'Rounding and proration'
}

export class MissingInvoiceDataError extends OdoopsError {
  constructor(
    readonly invoiceId: string,
    readonly missing: MissingField[],
  ) {
    super(
      'INVOICE_DATA_MISSING',
      `Invoice ${invoiceId} cannot be exported as Peppol UBL: ${missing.length} field(s) missing or invalid: ${missing.map((m) => `${m.field} (${m.reason})`).join('; ')}.`,
      {
        suggestions: [...new Set(missing.map((m) => `Set ${m.field}: from ${m.source}.`)), 'Seller fields: odoops config set partner.<field> <value>; then re-issue drafts or export again.'],
        data: {invoice: invoiceId, missing},
      },
    )
  }
}

/** The UBL document of an issued invoice or credit note; refuses (listing every field) when Peppol data is missing. */
export function renderUbl(stored: Invoice): string {
  const missing = missingPeppolFields(stored)
  if (missing.length > 0) throw new MissingInvoiceDataError(stored.number ?? stored.id, missing)
  const invoice = documentAmounts(stored)
  const credit = invoice.kind === 'credit-note'
  const currency = invoice.currency
  const categories = new Set(invoice.taxSubtotals.map((s) => s.taxCategory))
  const notSubject = categories.size > 0 && [...categories].every((c) => c === 'O')
  const lineTotal = invoice.lines.reduce((sum, l) => sum.plus(l.netAmount), new Decimal(0))
  const paymentTerms = typeof invoice.paymentTerms === 'string' && invoice.paymentTerms.trim() !== '' ? invoice.paymentTerms : credit ? `Credit for invoice ${invoice.creditOf}` : undefined
  const body: XmlNode = {
    '@_xmlns': credit ? NS.creditNote : NS.invoice,
    '@_xmlns:cac': NS.cac,
    '@_xmlns:cbc': NS.cbc,
    'cbc:CustomizationID': PEPPOL_CUSTOMIZATION_ID,
    'cbc:ProfileID': PEPPOL_PROFILE_ID,
    'cbc:ID': invoice.number,
    'cbc:IssueDate': invoice.issueDate,
    // UBL 2.1 CreditNote has no DueDate element: a credit note states its terms instead (BR-CO-25).
    ...(!credit && invoice.dueDate ? {'cbc:DueDate': invoice.dueDate} : {}),
    [credit ? 'cbc:CreditNoteTypeCode' : 'cbc:InvoiceTypeCode']: credit ? CREDIT_NOTE_TYPE_CODE : INVOICE_TYPE_CODE,
    // BT-22: the reason `invoice credit --reason` recorded, when any.
    ...(typeof invoice.reason === 'string' && invoice.reason.trim() !== '' ? {'cbc:Note': invoice.reason} : {}),
    'cbc:DocumentCurrencyCode': currency,
    // PEPPOL-EN16931-R003: a buyer reference or an order reference; ours is the customer key.
    'cbc:BuyerReference': invoice.customer,
    'cac:InvoicePeriod': {'cbc:StartDate': invoice.periodStart, 'cbc:EndDate': invoice.periodEnd},
    ...(credit ? {'cac:BillingReference': {'cac:InvoiceDocumentReference': {'cbc:ID': invoice.creditOf}}} : {}),
    'cac:AccountingSupplierParty': party(invoice.seller, notSubject),
    'cac:AccountingCustomerParty': party(invoice.buyer, notSubject),
    // BR-IC-12: an intra-Community supply names the country delivered to (the buyer's).
    ...(categories.has('K') ? {'cac:Delivery': {'cac:DeliveryLocation': {'cac:Address': {'cac:Country': {'cbc:IdentificationCode': invoice.buyer.country}}}}} : {}),
    ...(paymentTerms ? {'cac:PaymentTerms': {'cbc:Note': paymentTerms}} : {}),
    'cac:TaxTotal': {
      'cbc:TaxAmount': amount(invoice.totalTax, currency),
      'cac:TaxSubtotal': invoice.taxSubtotals.map((s) => subtotal(s, currency)),
    },
    'cac:LegalMonetaryTotal': {
      'cbc:LineExtensionAmount': amount(formatLike(lineTotal, invoice.totalNet, 2), currency),
      'cbc:TaxExclusiveAmount': amount(invoice.totalNet, currency),
      'cbc:TaxInclusiveAmount': amount(invoice.totalGross, currency),
      'cbc:PayableAmount': amount(invoice.totalGross, currency),
    },
    [credit ? 'cac:CreditNoteLine' : 'cac:InvoiceLine']: [...invoice.lines].sort((a, b) => a.position - b.position).map((l) => line(l, invoice, credit)),
  }
  const builder = new XMLBuilder({ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true})
  return builder.build({'?xml': {'@_version': '1.0', '@_encoding': 'UTF-8'}, [credit ? 'CreditNote' : 'Invoice']: body})
}

/** The file name of an exported document: its number, made safe for a file system. */
export function documentFileName(invoice: Invoice, extension: string): string {
  return `${(invoice.number ?? invoice.id).replace(/[^A-Za-z0-9._-]+/g, '_')}.${extension}`
}

/**
 * Validation of a UBL document before it is written: the UBL 2.1 XML Schema (xmllint), then the
 * CEN EN 16931 rules and the OpenPEPPOL rules (Schematron). A document is refused when any of
 * them fails with a fatal flag; Schematron warnings are returned with a valid result.
 */
import {OdoopsError} from '../../errors.js'
import {validateSchematron, type RuleFailure} from './schematron.js'
import type {UblDocumentKind} from './standards.js'
import {validateXsd, type XsdFailure} from './xsd.js'

export interface UblValidation {
  valid: boolean
  xsd: XsdFailure[]
  /** Fatal Schematron failures (CEN first, then PEPPOL). */
  errors: RuleFailure[]
  warnings: RuleFailure[]
}

export async function validateUbl(xml: string, kind: UblDocumentKind): Promise<UblValidation> {
  const xsd = await validateXsd(xml, kind)
  // Schematron assumes a schema-valid document: an invalid one gets only its schema errors.
  if (xsd.length > 0) return {valid: false, xsd, errors: [], warnings: []}
  const failures = [...(await validateSchematron(xml, 'cen')), ...(await validateSchematron(xml, 'peppol'))]
  const errors = failures.filter((f) => f.flag === 'fatal')
  return {valid: errors.length === 0, xsd, errors, warnings: failures.filter((f) => f.flag === 'warning')}
}

/** A document that failed validation: the first failing rule in the message, all of them in data. */
export class UblValidationError extends OdoopsError {
  constructor(
    readonly document: string,
    readonly validation: UblValidation,
  ) {
    const first = validation.xsd[0]
      ? `UBL 2.1 schema${validation.xsd[0].line ? ` (line ${validation.xsd[0].line})` : ''}: ${validation.xsd[0].message}`
      : `[${validation.errors[0]?.id}] ${validation.errors[0]?.message.replace(/^\[[^\]]+\]-?\s*/, '')}`
    const count = validation.xsd.length + validation.errors.length
    super('UBL_VALIDATION_FAILED', `${document} fails Peppol BIS Billing 3.0 validation: ${first}${count > 1 ? ` (and ${count - 1} more)` : ''}. Nothing was written.`, {
      suggestions: [
        'The rule id names the EN 16931 / Peppol rule: see docs/invoice-export.md ("Validation") for the usual causes.',
        'Fix the invoice data (seller config partner.*, the customer record, the plan) and export again; an issued invoice is corrected by a credit note.',
      ],
      data: {
        document,
        ruleId: validation.xsd.length > 0 ? 'UBL-XSD' : validation.errors[0]?.id,
        xsd: validation.xsd,
        errors: validation.errors.map(({ruleSet, id, message, location}) => ({ruleSet, id, message, location})),
      },
    })
  }
}

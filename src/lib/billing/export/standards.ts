/**
 * Where the validation artefacts shipped with odoops live: `standards/` at the package root
 * (beside `templates/`), found from this module's location so that it works from src/ (tsx)
 * and from dist/ alike. See standards/README.md for their provenance.
 */
import {fileURLToPath} from 'node:url'
import {join} from 'node:path'

export const STANDARDS_DIR = fileURLToPath(new URL('../../../../standards', import.meta.url))

export type UblDocumentKind = 'invoice' | 'credit-note'

export const UBL_XSD: Record<UblDocumentKind, string> = {
  invoice: join(STANDARDS_DIR, 'ubl-2.1', 'xsd', 'maindoc', 'UBL-Invoice-2.1.xsd'),
  'credit-note': join(STANDARDS_DIR, 'ubl-2.1', 'xsd', 'maindoc', 'UBL-CreditNote-2.1.xsd'),
}

/** Both rule sets Peppol BIS Billing 3.0 requires, in the order a validator runs them. */
export const SCHEMATRON_FILES = {
  cen: join(STANDARDS_DIR, 'peppol-bis-billing-3', 'sch', 'CEN-EN16931-UBL.sch'),
  peppol: join(STANDARDS_DIR, 'peppol-bis-billing-3', 'sch', 'PEPPOL-EN16931-UBL.sch'),
} as const
export type RuleSet = keyof typeof SCHEMATRON_FILES

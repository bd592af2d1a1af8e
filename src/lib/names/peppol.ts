import {readFileSync} from 'node:fs'
import {SCHEMATRON_FILES} from '../billing/export/standards.js'

/**
 * Peppol endpoint ids (`partner.endpointId`, a tenant's `--endpoint-id`): `scheme:value`, where
 * the scheme is a code of the Electronic Address Scheme (EAS) code list. The list is read from
 * the OpenPEPPOL Schematron that `invoice export --format ubl` validates against (its `eaid`
 * variable, rule PEPPOL-EN16931-CL008; it is a subset of the CEN list of BR-CL-25), so a
 * setting accepted here is never refused by the export for its scheme.
 */
export const PEPPOL_ENDPOINT_EXAMPLE = '0208:0123456789'

let schemes: ReadonlySet<string> | undefined

/** The EAS codes of the shipped Peppol rules; empty when they cannot be read (then only the form is checked). */
export function peppolEasCodes(): ReadonlySet<string> {
  if (!schemes) {
    try {
      const text = readFileSync(SCHEMATRON_FILES.peppol, 'utf8')
      const list = /<let\s+name="eaid"\s+value="tokenize\('([^']*)'/.exec(text)?.[1] ?? ''
      schemes = new Set(list.split(/\s+/).filter((code) => /^[0-9A-Z]{2,4}$/.test(code)))
    } catch {
      schemes = new Set()
    }
  }
  return schemes
}

/** Why `value` is not a Peppol endpoint id (a clause after "it"), or undefined. */
export function peppolEndpointProblem(value: string): string | undefined {
  const match = /^([^:]*):(.*)$/s.exec(value)
  if (!match) return `is not scheme:value (e.g. ${PEPPOL_ENDPOINT_EXAMPLE})`
  const [, scheme, id] = match
  const codes = peppolEasCodes()
  if (codes.size > 0 ? !codes.has(scheme) : !/^[0-9]{4}$/.test(scheme)) {
    return `has the scheme "${scheme.slice(0, 20)}", which is not in the Peppol EAS code list (e.g. 0208 Belgian enterprise number, 9925 Belgian VAT, 0088 GLN)`
  }
  if (id === '' || /\s/.test(id) || id.length > 100) return 'needs an identifier after the scheme, without spaces (at most 100 characters)'
  return undefined
}

import {Ajv, type ValidateFunction} from 'ajv'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {ROOT} from './cli.js'

/**
 * Validate a command's --json output against its committed schema (schemas/, generated
 * by scripts/generate-schemas.ts). Any e2e test can use it:
 *   expectMatchesSchema('host:add', result.json)   // or ERROR_SCHEMA for {"error": …}
 */
export const ERROR_SCHEMA = 'error'
const ajv = new Ajv({allErrors: true, strict: true})
const compiled = new Map<string, ValidateFunction>()

export function schemaPathOf(commandId: string): string {
  return join(ROOT, 'schemas', (commandId === ERROR_SCHEMA ? ERROR_SCHEMA : commandId.replaceAll(/[: ]/g, '-')) + '.json')
}

function validatorOf(commandId: string): ValidateFunction {
  let validate = compiled.get(commandId)
  if (!validate) {
    const path = schemaPathOf(commandId)
    if (!existsSync(path)) throw new Error(`no schema for ${commandId} at ${path}: run npm run schemas`)
    validate = ajv.compile(JSON.parse(readFileSync(path, 'utf8')) as object)
    compiled.set(commandId, validate)
  }
  return validate
}

/** The schema errors of a document, as readable lines (empty when it is valid). */
export function schemaErrors(commandId: string, document: unknown): string[] {
  const validate = validatorOf(commandId)
  if (validate(document)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
}

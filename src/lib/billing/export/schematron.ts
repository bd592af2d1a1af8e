/**
 * Schematron validation of UBL documents with node-schematron (XPath 3.1 by fontoxpath).
 * Parsing a rule file takes about a second and fontoxpath compiles each XPath on first use, so
 * each file is compiled once per process and kept (`schematronRules`). node-schematron does not
 * report an assert's `flag`, so the flags are read from the file: only `fatal` (or unflagged)
 * failures refuse a document, `warning`s are reported.
 */
import {readFile} from 'node:fs/promises'
import {Schema} from 'node-schematron'
import {XMLParser} from 'fast-xml-parser'
import {SCHEMATRON_FILES, type RuleSet} from './standards.js'
import {readXslFunctions, registerXslFunctions} from './xsl-functions.js'

export interface RuleFailure {
  /** The rule set: `cen` (CEN-EN16931-UBL.sch) or `peppol` (PEPPOL-EN16931-UBL.sch). */
  ruleSet: RuleSet
  /** The assert id, e.g. `BR-CO-15`, `PEPPOL-EN16931-R120`. */
  id: string
  flag: 'fatal' | 'warning'
  message: string
  /** Where in the document (an element name), when known. */
  location?: string
}

interface CompiledRules {
  schema: Schema
  flags: Map<string, 'fatal' | 'warning'>
}

const compiled = new Map<RuleSet, Promise<CompiledRules>>()

function assertFlags(text: string): Map<string, 'fatal' | 'warning'> {
  const flags = new Map<string, 'fatal' | 'warning'>()
  const parser = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '@_', isArray: () => true})
  const walk = (value: unknown, name?: string): void => {
    if (Array.isArray(value)) return value.forEach((item) => walk(item, name))
    if (!value || typeof value !== 'object') return
    const record = value as Record<string, unknown>
    if ((name === 'assert' || name === 'report') && typeof record['@_id'] === 'string') {
      flags.set(record['@_id'], record['@_flag'] === 'warning' ? 'warning' : 'fatal')
    }
    for (const [key, child] of Object.entries(record)) if (!key.startsWith('@_')) walk(child, key.replace(/^.*:/, ''))
  }
  walk(parser.parse(text))
  return flags
}

async function compile(ruleSet: RuleSet): Promise<CompiledRules> {
  const text = await readFile(SCHEMATRON_FILES[ruleSet], 'utf8')
  const {functions, namespaces} = readXslFunctions(text)
  registerXslFunctions(functions, namespaces)
  return {schema: Schema.fromString(text), flags: assertFlags(text)}
}

/** The compiled rules of one file, shared by every validation of the process. */
export function schematronRules(ruleSet: RuleSet): Promise<CompiledRules> {
  let rules = compiled.get(ruleSet)
  if (!rules) {
    rules = compile(ruleSet)
    rules.catch(() => compiled.delete(ruleSet))
    compiled.set(ruleSet, rules)
  }
  return rules
}

function clean(message: string | undefined): string {
  return (message ?? '').replace(/\s+/g, ' ').trim()
}

/** Failed asserts (and fired reports) of one rule set on a document. */
export async function validateSchematron(xml: string, ruleSet: RuleSet): Promise<RuleFailure[]> {
  const {schema, flags} = await schematronRules(ruleSet)
  const results = schema.validateString(xml)
  return results.map((result) => {
    const id = result.assertId ?? '(no id)'
    const context = result.context as {nodeName?: string} | undefined
    return {ruleSet, id, flag: flags.get(id) ?? 'fatal', message: clean(result.message), ...(context?.nodeName ? {location: context.nodeName} : {})}
  })
}

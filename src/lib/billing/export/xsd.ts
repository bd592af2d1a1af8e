/**
 * XML Schema validation with libxml2's `xmllint --noout --schema <xsd> -` (Debian package
 * libxml2-utils): the document goes on stdin, errors come on stderr as
 * `-:<line>: element <name>: Schemas validity error : <message>` and the exit code is 3 for an
 * invalid document (xmllint(1), "DIAGNOSTICS"), 1-2 or 4+ for other failures.
 */
import {spawn} from 'node:child_process'
import {OdoopsError} from '../../errors.js'
import {UBL_XSD, type UblDocumentKind} from './standards.js'

export interface XsdFailure {
  line?: number
  message: string
}

const XMLLINT_INVALID = 3

function run(args: string[], stdin: string): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', args, {stdio: ['pipe', 'ignore', 'pipe']})
    const chunks: Buffer[] = []
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stderr: Buffer.concat(chunks).toString('utf8')}))
    child.stdin.on('error', () => {}) // EPIPE when xmllint exits early; its exit code tells why
    child.stdin.end(stdin)
  })
}

/** The schema errors of a document (empty when it validates). */
export async function validateXsd(xml: string, kind: UblDocumentKind): Promise<XsdFailure[]> {
  let result: {code: number | null; stderr: string}
  try {
    result = await run(['--noout', '--nonet', '--schema', UBL_XSD[kind], '-'], xml)
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new OdoopsError('XMLLINT_UNAVAILABLE', missing ? 'xmllint is not installed: odoops needs it to check UBL documents against the UBL 2.1 schema.' : `xmllint failed to start: ${(error as Error).message}`, {
      suggestions: ['Install it: apt-get install libxml2-utils (Debian/Ubuntu).'],
    })
  }
  if (result.code === 0) return []
  const failures = result.stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !/ fails to validate$/.test(line) && !/ validates$/.test(line))
    .map((line) => {
      const match = /^-:(\d+): (.*)$/.exec(line)
      return match ? {line: Number(match[1]), message: match[2].trim()} : {message: line.trim()}
    })
  if (result.code !== XMLLINT_INVALID && result.code !== 1) {
    throw new OdoopsError('XMLLINT_FAILED', `xmllint could not check the document (exit ${result.code}): ${failures.map((f) => f.message).join('; ') || 'no message'}`, {
      suggestions: [`Check that the schema is readable: ${UBL_XSD[kind]}`],
    })
  }
  return failures.length > 0 ? failures : [{message: `xmllint exit ${result.code}`}]
}

import {randomBytes} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

/**
 * The whole test run's record for the secrets scan (test/secrets-scan.test.ts): every
 * secret a test creates, every stdout/stderr text the CLI produced, and every odoops
 * data directory used. At the end the scan asserts that no secret appears in any output
 * or stored audit event. Tests that create secrets call `rememberTestSecret` (or use
 * `newTestSecret`); test/helpers/cli.ts records outputs and data dirs by itself.
 */
interface ScanRecord {
  secrets: Set<string>
  outputs: {source: string; text: string}[]
  dataDirs: Set<string>
}
// Kept on globalThis, not in module scope: mocha loads spec files with require() and falls
// back to import() for some (Node 20.19+ require(esm) with tsx), so this module can be
// instantiated twice in one run, and every instance must share one record.
const KEY = Symbol.for('odoops.test.secretsScan')
const shared = globalThis as typeof globalThis & {[KEY]?: ScanRecord}
const record = (shared[KEY] ??= {secrets: new Set(), outputs: [], dataDirs: new Set()})
const {secrets, outputs, dataDirs} = record

export function rememberTestSecret(value: string): string {
  if (value.length >= 8) secrets.add(value)
  return value
}

/** A fresh random secret, already remembered for the scan. */
export function newTestSecret(label = 'secret'): string {
  return rememberTestSecret(`${label}-${randomBytes(12).toString('base64url')}`)
}

export function rememberOutput(source: string, text: string): void {
  if (text) outputs.push({source, text})
}

export function rememberDataDir(dir: string | undefined): void {
  if (dir) dataDirs.add(dir)
}

export function testSecrets(): string[] {
  return [...secrets]
}

export function recordedOutputs(): readonly {source: string; text: string}[] {
  return outputs
}

/** Text files odoops wrote under the data dirs used (audit trail, state), as scan inputs. */
export function dataDirTexts(): {source: string; text: string}[] {
  const out: {source: string; text: string}[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile() && statSync(path).size < 16 * 1024 * 1024) out.push({source: path, text: readFileSync(path, 'utf8')})
    }
  }
  for (const dir of dataDirs) if (existsSync(dir)) walk(dir)
  return out
}

export interface Leak {
  source: string
  /** Only a prefix of the secret, so the failure message does not leak it in turn. */
  secretPrefix: string
}

/** Every (text, secret) pair where the secret appears in the text. */
export function findLeaks(texts: readonly {source: string; text: string}[], secretValues: readonly string[]): Leak[] {
  const leaks: Leak[] = []
  for (const {source, text} of texts) {
    for (const secret of secretValues) if (text.includes(secret)) leaks.push({source: mask(source, secretValues), secretPrefix: secret.slice(0, 4) + '…'})
  }
  return leaks
}

/** A source label (it may quote a command line) with every secret masked. */
function mask(text: string, secretValues: readonly string[]): string {
  return secretValues.reduce((out, secret) => out.split(secret).join('<secret>'), text)
}

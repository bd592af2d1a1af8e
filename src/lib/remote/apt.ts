import {OdoopsError, usageError} from '../errors.js'
import type {SshConnection} from '../ssh/connection.js'
import {command, script, shell} from '../ssh/quote.js'
import {assertAbsolutePath, ensureRemoteFile, type Change} from './files.js'

/** Debian packages and apt sources on a host, as root. */

/** Debian package names (Debian Policy 5.6.1). */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/

function assertPackage(name: string): string {
  if (!PACKAGE_NAME.test(name)) throw new OdoopsError('APT_PACKAGE_INVALID', `"${name}" is not a Debian package name.`)
  return name
}

/** apt options shared by every install: never prompt, keep local config files, wait for another apt to finish. */
const APT_OPTIONS = ['-o', 'DPkg::Lock::Timeout=300', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold']
const INSTALL_TIMEOUT_MS = 20 * 60_000

/** The installed version of a package, or undefined when it is not (fully) installed. */
export async function installedVersion(conn: SshConnection, pkg: string): Promise<string | undefined> {
  assertPackage(pkg)
  const result = await conn.exec(command(['dpkg-query', '-W', '-f=${db:Status-Status} ${Version}\\n', '--', pkg]), {root: true})
  if (result.code !== 0) return undefined
  const [status, version] = result.stdout.toString('utf8').trim().split(' ')
  return status === 'installed' && version ? version : undefined
}

async function aptFailed(conn: SshConnection, what: string, stderr: Buffer): Promise<OdoopsError> {
  const text = stderr.toString('utf8').trim().split('\n').slice(-15).join('\n')
  return new OdoopsError('APT_FAILED', `${what} failed on ${conn.target.name}:\n${text}`, {
    suggestions: ['Check the host reaches its package mirrors (apt-get update on the host), then run the command again.'],
  })
}

/** `apt-get update`; with `sourceFile`, only that source's index is refreshed (faster, and other mirrors cannot fail it). */
export async function aptUpdate(conn: SshConnection, sourceFile?: string): Promise<void> {
  const only = sourceFile ? ['-o', `Dir::Etc::sourcelist=${assertAbsolutePath(sourceFile)}`, '-o', 'Dir::Etc::sourceparts=-', '-o', 'APT::Get::List-Cleanup=0'] : []
  const result = await conn.exec(command(['apt-get', ...APT_OPTIONS, ...only, 'update']), {root: true, timeoutMs: INSTALL_TIMEOUT_MS})
  // apt-get update exits 0 on some fetch failures and prints W:/E: lines; an E: line is a failure.
  if (result.code !== 0 || /^E: /m.test(result.stderr.toString('utf8'))) throw await aptFailed(conn, 'apt-get update', result.stderr)
}

/** True when apt has a candidate version for the package (it is in a downloaded index). */
async function hasCandidate(conn: SshConnection, pkg: string): Promise<boolean> {
  const out = await conn.run(command(['apt-cache', 'policy', '--', pkg]), {root: true})
  const candidate = /Candidate:\s*(\S+)/.exec(out)?.[1]
  return candidate !== undefined && candidate !== '(none)'
}

/**
 * Every package installed (DEBIAN_FRONTEND=noninteractive, no recommends). Unchanged when
 * all already are; `apt-get update` runs first only when apt does not know one of them.
 */
export async function ensurePackages(conn: SshConnection, pkgs: readonly string[]): Promise<Change> {
  pkgs.forEach(assertPackage)
  const missing: string[] = []
  for (const pkg of pkgs) if ((await installedVersion(conn, pkg)) === undefined) missing.push(pkg)
  if (missing.length === 0) return 'unchanged'
  let updated = false
  for (const pkg of missing) {
    if (!(await hasCandidate(conn, pkg))) {
      await aptUpdate(conn)
      updated = true
      break
    }
  }
  const install = script(shell`DEBIAN_FRONTEND=noninteractive ${command(['apt-get', ...APT_OPTIONS, 'install', '-y', '--no-install-recommends', '--', ...missing])}`)
  let result = await conn.exec(install, {root: true, timeoutMs: INSTALL_TIMEOUT_MS})
  if (result.code !== 0 && !updated) {
    // The package is known but a dependency is not (or the index is stale): refresh every index once and retry.
    await aptUpdate(conn)
    result = await conn.exec(install, {root: true, timeoutMs: INSTALL_TIMEOUT_MS})
  }
  if (result.code !== 0) throw await aptFailed(conn, `apt-get install ${missing.join(' ')}`, Buffer.concat([result.stdout, result.stderr]))
  return 'changed'
}

// --- sources ----------------------------------------------------------------------------

export interface AptSourceLine {
  options: Record<string, string>
  uri: string
  suite: string
  components: string[]
}

/** URI schemes apt has methods for (apt-transport-* are built in since apt 1.5). */
const URI = /^(https?|file|cdrom|mirror\+https?|mirror\+file|tor\+https?):\S+$/

/**
 * Parses a one-line style source (sources.list(5)): `deb [opt=value …] uri suite [component …]`.
 * A suite ending in `/` is a flat repository and takes no components; any other suite needs one.
 */
export function parseAptSourceLine(line: string): AptSourceLine {
  const invalid = (why: string) =>
    usageError('APT_SOURCE_INVALID', `"${line}" is not a valid apt source line: ${why}.`, [
      'Use the one-line format of sources.list(5), e.g. "deb [signed-by=/usr/share/keyrings/odoo-archive-keyring.gpg] https://nightly.odoo.com/17.0/nightly/deb/ ./"',
    ])
  if (/[\r\n\0]/.test(line)) throw invalid('it spans several lines')
  let rest = line.trim()
  if (!rest.startsWith('deb ') && !rest.startsWith('deb\t')) throw invalid('it must start with "deb"')
  rest = rest.slice(4).trim()
  const options: Record<string, string> = {}
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']')
    if (end < 0) throw invalid('the [options] bracket is not closed')
    for (const pair of rest.slice(1, end).trim().split(/\s+/).filter(Boolean)) {
      const match = /^([a-zA-Z][a-zA-Z0-9-]*)(?:[+-])?=(\S+)$/.exec(pair)
      if (!match) throw invalid(`"${pair}" is not an option=value pair`)
      options[match[1]] = match[2]
    }
    rest = rest.slice(end + 1).trim()
  }
  const [uri, suite, ...components] = rest.split(/\s+/).filter(Boolean)
  if (!uri || !URI.test(uri)) throw invalid(uri ? `"${uri}" is not an http(s) or file URI` : 'the repository URI is missing')
  if (!suite) throw invalid('the suite (e.g. "./" for a flat repository) is missing')
  if (suite.endsWith('/') && components.length > 0) throw invalid('a flat repository (suite ending in "/") takes no components')
  if (!suite.endsWith('/') && components.length === 0) throw invalid(`suite "${suite}" needs at least one component (e.g. main)`)
  if (options['signed-by'] !== undefined && !options['signed-by'].startsWith('/')) throw invalid('signed-by must be an absolute keyring path')
  return {options, uri, suite, components}
}

const SOURCE_FILE = /^[a-z0-9][a-z0-9._-]*\.list$/

/**
 * /etc/apt/sources.list.d/<fileName> holds exactly `line` (and the keyring file its
 * signed-by names holds `keyring.content`). When either changed, that source's index is
 * refreshed at once, so the next install sees its packages.
 */
export async function ensureAptSource(conn: SshConnection, fileName: string, line: string, keyring?: {path: string; content: Buffer}): Promise<Change> {
  if (!SOURCE_FILE.test(fileName)) throw new OdoopsError('APT_SOURCE_FILE_INVALID', `"${fileName}" is not an apt source file name (name.list).`)
  parseAptSourceLine(line)
  const path = `/etc/apt/sources.list.d/${fileName}`
  let change: Change = 'unchanged'
  if (keyring) {
    assertAbsolutePath(keyring.path)
    if ((await ensureRemoteFile(conn, keyring.path, keyring.content, {mode: 0o644})) === 'changed') change = 'changed'
  }
  if ((await ensureRemoteFile(conn, path, `${line.trim()}\n`, {mode: 0o644})) === 'changed') change = 'changed'
  if (change === 'changed') await aptUpdate(conn, path)
  return change
}

/**
 * An OpenPGP key as apt's `signed-by` wants it in a `.gpg` file: binary packets. An
 * ASCII-armored key (RFC 4880 §6.2: headers, a blank line, base64, `=CRC`, END line) is
 * decoded here, which is what `gpg --dearmor` does; binary input is returned as is.
 */
export function dearmorKey(data: Buffer): Buffer {
  const text = data.toString('latin1')
  if (!text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    // Binary keys start with a public-key packet tag (old format 0x99, new format 0xC6).
    if (data.length > 0 && (data[0] === 0x99 || data[0] === 0xc6)) return data
    throw usageError('APT_KEY_INVALID', 'The apt key is neither an ASCII-armored nor a binary OpenPGP public key.', [
      'Pass the repository key file, e.g. the one at https://nightly.odoo.com/odoo.key.',
    ])
  }
  const lines = text.slice(text.indexOf('-----BEGIN PGP PUBLIC KEY BLOCK-----')).split(/\r?\n/)
  const body: string[] = []
  let inBody = false
  for (const line of lines.slice(1)) {
    if (line.startsWith('-----END PGP PUBLIC KEY BLOCK-----')) break
    if (!inBody) {
      if (line.trim() === '') inBody = true
      continue
    }
    if (line.startsWith('=')) continue // the CRC-24 checksum line
    body.push(line.trim())
  }
  const packets = Buffer.from(body.join(''), 'base64')
  if (packets.length === 0) throw usageError('APT_KEY_INVALID', 'The armored apt key holds no data.', ['Pass the complete key file.'])
  return packets
}

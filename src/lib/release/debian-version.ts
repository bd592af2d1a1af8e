import {usageError} from '../errors.js'

/**
 * Debian package versions, compared as dpkg does (Debian Policy 5.6.12: `[epoch:]upstream[-revision]`;
 * each part compared as alternating runs of non-digits, where `~` sorts before everything, even the
 * end, and letters before other characters, and numbers compared numerically). Used to order the
 * builds a host's Odoo source offers without a round trip per pair.
 */
const VERSION = /^(?:\d+:)?[0-9][A-Za-z0-9.+~-]*$/

export function assertDebianVersion(version: string): string {
  if (!VERSION.test(version)) {
    throw usageError('RELEASE_VERSION_INVALID', `"${version}" is not a Debian package version.`, ['Give the version apt shows for the odoo package, e.g. --odoo 17.0.20261120 (apt-cache madison odoo on the host).'])
  }
  return version
}

function order(char: string | undefined): number {
  if (char === undefined) return 0
  if (char === '~') return -1
  if (/[A-Za-z]/.test(char)) return char.charCodeAt(0)
  return char.charCodeAt(0) + 256
}

function comparePart(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    // Non-digit run, character by character.
    while ((i < a.length && !/\d/.test(a[i])) || (j < b.length && !/\d/.test(b[j]))) {
      const left = i < a.length && !/\d/.test(a[i]) ? a[i] : undefined
      const right = j < b.length && !/\d/.test(b[j]) ? b[j] : undefined
      const diff = order(left) - order(right)
      if (diff !== 0) return diff
      if (left !== undefined) i++
      if (right !== undefined) j++
    }
    // Digit run, numerically.
    let na = ''
    let nb = ''
    while (i < a.length && /\d/.test(a[i])) na += a[i++]
    while (j < b.length && /\d/.test(b[j])) nb += b[j++]
    const diff = Number(BigInt(na || '0') - BigInt(nb || '0'))
    if (diff !== 0) return Math.sign(diff)
  }
  return 0
}

function split(version: string): [number, string, string] {
  const colon = version.indexOf(':')
  const epoch = colon > 0 ? Number(version.slice(0, colon)) : 0
  const rest = colon > 0 ? version.slice(colon + 1) : version
  const dash = rest.lastIndexOf('-')
  return dash > 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, '0']
}

/** <0, 0, >0 as `dpkg --compare-versions a lt|eq|gt b`. */
export function compareDebianVersions(a: string, b: string): number {
  const [ea, ua, ra] = split(a)
  const [eb, ub, rb] = split(b)
  if (ea !== eb) return Math.sign(ea - eb)
  return Math.sign(comparePart(ua, ub)) || Math.sign(comparePart(ra, rb))
}

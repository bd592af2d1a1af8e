import {isIPv4, isIPv6} from 'node:net'
import {usageError} from '../errors.js'
import {slugWords} from './slug.js'

/** Host names: lowercase letters, digits and dashes, 1–63 characters, starting with a letter or digit. */
export const HOST_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/

export function validateHostName(name: string): string {
  if (!HOST_NAME_PATTERN.test(name)) {
    throw usageError(
      'HOST_NAME_INVALID',
      `"${name}" is not a valid host name: use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit.`,
      [`For example: odoops host add ${suggestName(name)} --address <address>`],
      {name},
    )
  }
  return name
}

function suggestName(name: string): string {
  return slugWords(name).slice(0, 63).replace(/-+$/, '') || 'web1'
}

/**
 * Host addresses (`host add --address`, or HostName from ~/.ssh/config): a DNS name per RFC 1123
 * (labels of letters, digits and inner dashes, 1–63 characters each, 253 in all), an IPv4
 * address, or an IPv6 address with or without [brackets]. Checked before any connection: an
 * address is handed to SSH and shown in suggested commands, so spaces, shell characters, a
 * newline (`…\nProxyCommand …`) or a leading dash (`-oProxyCommand=…`, read as an option) are
 * refused, not passed on.
 */
const HOSTNAME_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i
export const MAX_HOST_ADDRESS = 253

/** Why `address` is not a host address (a clause), or undefined. */
export function hostAddressProblem(address: string): string | undefined {
  if (address === '') return 'it is empty'
  if (address.length > MAX_HOST_ADDRESS + 2) return `it is ${address.length} characters long (at most ${MAX_HOST_ADDRESS})`
  if (address.startsWith('-')) return 'it starts with "-", which SSH would read as an option'
  const bracketed = /^\[(.*)\]$/s.exec(address)
  if (bracketed) return isIPv6(bracketed[1]) ? undefined : 'it is in [brackets] but not an IPv6 address'
  if (isIPv6(address) || isIPv4(address)) return undefined
  if (address.length > MAX_HOST_ADDRESS) return `it is ${address.length} characters long (at most ${MAX_HOST_ADDRESS})`
  const labels = address.split('.')
  if (labels.every((l) => /^\d+$/.test(l))) return 'it looks like an IPv4 address but is not one (four numbers 0–255)'
  if (!labels.every((l) => HOSTNAME_LABEL.test(l))) return 'it is not a DNS name (letters, digits, dashes and dots), an IPv4 or an IPv6 address'
  return undefined
}

/** The address to record: as given, without the brackets of an IPv6 address. */
export function validateHostAddress(address: string, options: {name?: string; from?: string} = {}): string {
  const problem = hostAddressProblem(address)
  if (problem) {
    const from = options.from ?? '--address'
    throw usageError('HOST_ADDRESS_INVALID', `${from === '--address' ? 'The address' : `The address from ${from}`} ${quoteShort(address)} is not a host address: ${problem}.`, [
      `Give a DNS name or an IP address: odoops host add ${exampleName(options.name)} --address 203.0.113.10`,
    ])
  }
  return address.replace(/^\[(.*)\]$/s, '$1')
}

/**
 * Login users: POSIX portable user names as useradd takes them (lowercase letter or `_`, then
 * lowercase letters, digits, `_` and `-`, an optional final `$`), at most 32 characters.
 */
export const HOST_USER_PATTERN = /^[a-z_][a-z0-9_-]*[$]?$/

export function validateHostUser(user: string, options: {name?: string; address?: string; from?: string} = {}): string {
  if (!HOST_USER_PATTERN.test(user) || user.length > 32) {
    const from = options.from ?? '--user'
    const address = options.address !== undefined && hostAddressProblem(options.address) === undefined ? options.address : '203.0.113.10'
    throw usageError('HOST_USER_INVALID', `${from === '--user' ? 'The user' : `The user from ${from}`} ${quoteShort(user)} is not a login name: use up to 32 lowercase letters, digits, "_" and "-", starting with a letter or "_".`, [
      `odoops host add ${exampleName(options.name)} --address ${address} --user deploy`,
    ])
  }
  return user
}

/** A host name to show in a suggested command: the one given when it is valid. */
function exampleName(name: string | undefined): string {
  return name !== undefined && HOST_NAME_PATTERN.test(name) ? name : 'web1'
}

/** A value for a message: JSON-quoted (a newline shows as \n), cut at 80 characters. */
function quoteShort(value: string): string {
  return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value)
}

import {usageError} from '../errors.js'

/** Host names per RFC 1123 (labels of letters, digits and inner dashes; at least two labels). */
export function validateDomain(domain: string): string {
  const value = domain.trim().toLowerCase().replace(/\.$/, '')
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
  const labels = value.split('.')
  if (value.length > 253 || labels.length < 2 || !labels.every((l) => label.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    throw usageError('DOMAIN_INVALID', `"${domain}" is not a valid domain name.`, ['Use a fully qualified host name such as acme.erp.example.com.'])
  }
  return value
}

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

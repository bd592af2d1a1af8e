import {isOdoopsError, messageOf} from '../errors.js'
import {validateDomain} from '../names/domain.js'
import {validateSlug} from '../names/slug.js'
import type {QuestionFormat} from '../templates/types.js'

/**
 * Checks of single answer values. Each returns the normalised value or an error message
 * saying what is wrong and what would do. Free text is never trimmed or rewritten: what
 * the consultant typed is what reaches Odoo (through XML-RPC, never a shell).
 */
export type Check = {ok: true; value: string} | {ok: false; message: string}

// Practical e-mail shape (one @, a dotted domain, no spaces): what Odoo's
// tools.mail.single_email_re accepts, give or take quoted local parts.
const EMAIL = /^[^\s@<>(),;:"[\]]+@(?!-)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/
const LANG = /^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$/
const PHONE = /^\+?[0-9 ()./-]{4,30}$/

function fromThrow(fn: () => string): Check {
  try {
    return {ok: true, value: fn()}
  } catch (error) {
    return {ok: false, message: isOdoopsError(error) ? error.message : messageOf(error)}
  }
}

export function checkEmail(value: string): Check {
  return EMAIL.test(value) ? {ok: true, value} : {ok: false, message: `"${value}" is not an e-mail address (expected name@example.com)`}
}

export function checkFormat(format: QuestionFormat | undefined, value: string): Check {
  switch (format) {
    case 'email':
      return checkEmail(value)
    case 'domain':
      return fromThrow(() => validateDomain(value))
    case 'slug':
      return fromThrow(() => validateSlug(value))
    case 'country':
      return /^[A-Za-z]{2}$/.test(value) ? {ok: true, value: value.toUpperCase()} : {ok: false, message: `"${value}" is not a two-letter ISO 3166 country code such as BE`}
    case 'currency':
      return /^[A-Za-z]{3}$/.test(value) ? {ok: true, value: value.toUpperCase()} : {ok: false, message: `"${value}" is not a three-letter ISO 4217 currency code such as EUR`}
    case 'lang':
      return LANG.test(value) ? {ok: true, value} : {ok: false, message: `"${value}" is not an Odoo language code such as fr_BE`}
    case 'phone':
      return PHONE.test(value) ? {ok: true, value} : {ok: false, message: `"${value}" is not a phone number (digits, spaces, + ( ) . / -)`}
    case 'url':
      return fromThrow(() => {
        const url = new URL(value)
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`"${value}" is not an http(s) URL`)
        return value
      })
    default:
      return {ok: true, value}
  }
}


import {createHash} from 'node:crypto'
import {transliterate} from 'transliteration'
import {usageError} from '../errors.js'

/**
 * Tenant slugs and the ASCII forms of customer names. A slug becomes part of database,
 * role, unit and path names, so it is deliberately narrow.
 */
export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,40}$/
const RESERVED_DATABASES = new Set(['postgres', 'template0', 'template1'])

export function validateSlug(slug: string): string {
  if (!SLUG_PATTERN.test(slug)) {
    throw usageError('TENANT_SLUG_INVALID', `"${slug}" is not a valid tenant slug: use 2 to 41 lowercase letters, digits and dashes, starting with a letter.`, [
      'Example: acme-trading',
    ])
  }
  if (RESERVED_DATABASES.has(slug)) {
    throw usageError('TENANT_SLUG_RESERVED', `"${slug}" is a reserved PostgreSQL database name.`, ['Choose another slug, e.g. the customer name.'])
  }
  return slug
}

/**
 * German spells its umlauts out (Müller → Mueller, Großhandel → Grosshandel); the
 * library's generic table would drop the dots (Muller), which German readers see as wrong.
 */
const GERMAN = [
  ['Ä', 'Ae'], ['Ö', 'Oe'], ['Ü', 'Ue'], ['ä', 'ae'], ['ö', 'oe'], ['ü', 'ue'], ['ß', 'ss'], ['ẞ', 'SS'],
] as [string, string][]

/** Any text in ASCII: Latin accents dropped, Cyrillic, Greek and CJK transliterated (北京 → Bei Jing). */
export function asciiOf(text: string): string {
  return transliterate(text, {replace: GERMAN, unknown: ' '})
}

/** Lowercase ASCII words joined by dashes: "Müller & Söhne" → "mueller-soehne". */
export function slugWords(text: string): string {
  return asciiOf(text)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/**
 * A tenant slug from a company name: "Ça Va Trading S.A." → "ca-va-trading-s-a". A name
 * with nothing to transliterate (emoji only) gets `customer-` and a short hash of itself,
 * so two such customers never share a slug.
 */
export function slugify(name: string): string {
  const base = slugWords(name).slice(0, 40).replace(/-+$/, '')
  const slug = /^[a-z]/.test(base) ? base : `c-${base}`.slice(0, 41).replace(/-+$/, '')
  return slug.length >= 2 && slug !== 'c' ? slug : `customer-${createHash('sha256').update(name).digest('hex').slice(0, 6)}`
}

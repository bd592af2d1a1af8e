/**
 * References inside template values: `{{ answers.<id> }}` and `{{ tenant.<field> }}`.
 * A string that is exactly one reference takes the referenced value with its type (a
 * list of users, a boolean); a reference inside longer text is replaced by its text.
 * Substitution is plain data: values go to Odoo through XML-RPC, never through a shell.
 */
export const REFERENCE = /\{\{\s*([a-z]+)\.([a-z][a-z0-9_]*)\s*\}\}/g
const WHOLE = /^\{\{\s*([a-z]+)\.([a-z][a-z0-9_]*)\s*\}\}$/
export const TENANT_FIELDS = ['slug', 'domain', 'url', 'database'] as const

export interface Reference {
  scope: string
  name: string
  /** JSON path of the value holding it. */
  path: string
}

/** Every reference in a value (strings, arrays and objects, recursively) with its JSON path. */
export function findReferences(value: unknown, path = ''): Reference[] {
  if (typeof value === 'string') return [...value.matchAll(REFERENCE)].map((m) => ({scope: m[1], name: m[2], path}))
  if (Array.isArray(value)) return value.flatMap((v, i) => findReferences(v, `${path}/${i}`))
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => findReferences(v, `${path}/${escapePointer(k)}`))
  return []
}

export function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

export type Scope = Record<string, Record<string, unknown>>

function lookup(scope: Scope, area: string, name: string): unknown {
  const values = scope[area]
  if (!values || !(name in values)) throw new Error(`unknown reference {{ ${area}.${name} }}`)
  return values[name]
}

/** A value with its references replaced from `scope` (answers, tenant). */
export function renderValue<T>(value: T, scope: Scope): T {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value)
    if (whole) return lookup(scope, whole[1], whole[2]) as T
    return value.replaceAll(REFERENCE, (_m, area: string, name: string) => {
      const v = lookup(scope, area, name)
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects go through JSON.stringify: String() gets primitives
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
    }) as T
  }
  if (Array.isArray(value)) return value.map((v: unknown) => renderValue(v, scope)) as T
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, scope)])) as T
  return value
}

/** The answer id of a string that is exactly `{{ answers.<id> }}`, else undefined. */
export function wholeAnswerRef(value: string | undefined): string | undefined {
  const m = value === undefined ? null : WHOLE.exec(value)
  return m && m[1] === 'answers' ? m[2] : undefined
}

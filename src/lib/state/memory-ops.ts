import type {Filter} from './store.js'
import {conflict, notFound} from './errors.js'

/** Record operations over an in-memory map; the local backend commits the map to disk. */
export function matches<T extends object>(record: T, filter?: Filter<T>): boolean {
  if (!filter) return true
  for (const [key, expected] of Object.entries(filter)) {
    if (expected === undefined) continue
    if (!deepEqual((record as Record<string, unknown>)[key], expected)) return false
  }
  return true
}

/**
 * Structural equality of JSON values. Object key order does not matter (PostgreSQL's jsonb
 * does not keep it, so both backends must ignore it); keys holding `undefined` count as absent.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as unknown[]
    return a.length === other.length && a.every((value, i) => deepEqual(value, other[i]))
  }
  const left = definedEntries(a as Record<string, unknown>)
  const right = b as Record<string, unknown>
  if (left.length !== definedEntries(right).length) return false
  return left.every(([key, value]) => deepEqual(value, right[key]))
}

function definedEntries(object: Record<string, unknown>): [string, unknown][] {
  return Object.entries(object).filter(([, value]) => value !== undefined)
}

export function stamp<T extends {id: string; createdAt?: string; updatedAt?: string}>(record: T, previous?: T): T {
  const now = new Date().toISOString()
  return {...record, createdAt: previous?.createdAt ?? record.createdAt ?? now, updatedAt: now}
}

export function applyChange<T extends {id: string}>(collection: string, current: T | undefined, id: string, change: Partial<T> | ((current: T) => T)): T {
  if (!current) throw notFound(collection, id)
  const next = typeof change === 'function' ? change(structuredClone(current)) : {...current, ...change}
  if (next.id !== id) throw conflict(collection, next.id)
  return stamp(next, current)
}

/** Records sorted by id, so both backends list in the same order. */
export function sortById<T extends {id: string}>(records: T[]): T[] {
  return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

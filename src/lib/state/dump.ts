import {COLLECTIONS, type CollectionName} from './records.js'
import type {StateDump} from './store.js'
import {invalidDump} from './errors.js'

/** Version of the dump format (`state export` / `state import`), independent of either backend's schema. */
export const DUMP_FORMAT_VERSION = 1

/**
 * Checks that `value` (parsed JSON) is a state dump this odoops can import, naming the
 * first problem found (STATE_DUMP_INVALID, exit 2). Record fields beyond `id` are not
 * checked: both backends keep records as they are.
 */
export function validateDump(value: unknown): StateDump {
  const dump = value as Partial<StateDump> & Record<string, unknown>
  if (!isObject(value)) throw invalidDump('the file', 'is not a JSON object')
  if (dump.format !== 'odoops-state') throw invalidDump('"format"', 'is not "odoops-state"')
  if (!Number.isInteger(dump.schemaVersion) || (dump.schemaVersion as number) < 1) throw invalidDump('"schemaVersion"', 'is not a positive integer')
  if ((dump.schemaVersion as number) > DUMP_FORMAT_VERSION) {
    throw invalidDump('"schemaVersion"', `is ${dump.schemaVersion}, newer than this odoops reads (${DUMP_FORMAT_VERSION}); upgrade odoops`)
  }
  if (!isObject(dump.collections)) throw invalidDump('"collections"', 'is not an object')
  for (const [name, records] of Object.entries(dump.collections)) {
    if (!COLLECTIONS.includes(name as CollectionName)) throw invalidDump(`"collections.${name}"`, `is not a known collection (known: ${COLLECTIONS.join(', ')})`)
    if (!Array.isArray(records)) throw invalidDump(`"collections.${name}"`, 'is not an array')
    const seen = new Set<string>()
    records.forEach((record: unknown, i) => {
      if (!isObject(record) || typeof record.id !== 'string' || record.id === '') throw invalidDump(`"collections.${name}[${i}]"`, 'has no string "id"')
      if (seen.has(record.id)) throw invalidDump(`"collections.${name}[${i}]"`, `repeats the id "${record.id}"`)
      seen.add(record.id)
    })
  }
  const events = dump.auditEvents ?? []
  if (!Array.isArray(events)) throw invalidDump('"auditEvents"', 'is not an array')
  events.forEach((event: unknown, i) => {
    if (!isObject(event) || typeof event.time !== 'string' || typeof event.command !== 'string') {
      throw invalidDump(`"auditEvents[${i}]"`, 'lacks a string "time" or "command"')
    }
    if (event.seq !== undefined && (!Number.isInteger(event.seq) || (event.seq as number) < 1)) throw invalidDump(`"auditEvents[${i}].seq"`, 'is not a positive integer')
  })
  const sequences = dump.sequences ?? {}
  if (!isObject(sequences)) throw invalidDump('"sequences"', 'is not an object')
  for (const [name, n] of Object.entries(sequences)) {
    if (!Number.isSafeInteger(n) || (n) < 0) throw invalidDump(`"sequences.${name}"`, 'is not a non-negative integer')
  }
  const collections = {} as StateDump['collections']
  for (const name of COLLECTIONS) (collections as Record<string, unknown>)[name] = (dump.collections as Record<string, unknown>)[name] ?? []
  return {
    format: 'odoops-state',
    schemaVersion: dump.schemaVersion as number,
    exportedAt: typeof dump.exportedAt === 'string' ? dump.exportedAt : '',
    collections,
    auditEvents: events,
    sequences: sequences,
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

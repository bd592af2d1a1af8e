import {ExitCode, OdoopsError} from '../errors.js'

export function notFound(collection: string, id: string): OdoopsError {
  return new OdoopsError('STATE_NOT_FOUND', `No ${collection} record "${id}".`, {exit: ExitCode.USAGE, data: {collection, id}})
}

export function conflict(collection: string, id: string): OdoopsError {
  return new OdoopsError('STATE_CONFLICT', `A ${collection} record "${id}" already exists.`, {
    exit: ExitCode.USAGE,
    data: {collection, id},
  })
}

export function schemaTooNew(found: number, latest: number, location: string): OdoopsError {
  return new OdoopsError(
    'STATE_SCHEMA_NEWER',
    `The state store at ${location} was written by a newer odoops (schema ${found}; this odoops knows up to ${latest}). Nothing was changed.`,
    {exit: ExitCode.USAGE, suggestions: ['Upgrade odoops (npm install -g odoops@latest) on this machine.']},
  )
}

export function schemaTooOld(found: number, latest: number, location: string): OdoopsError {
  return new OdoopsError(
    'STATE_SCHEMA_OUTDATED',
    `The state store at ${location} has schema ${found}; this odoops needs ${latest}. Nothing was changed.`,
    {exit: ExitCode.USAGE, suggestions: ['Run: odoops state migrate']},
  )
}

export function storeBusy(location: string, holder: string): OdoopsError {
  return new OdoopsError('STATE_BUSY', `The state store at ${location} stayed locked by ${holder}.`, {
    exit: ExitCode.BUSY,
    suggestions: ['Try again in a moment; if no odoops process is running, remove the stale lock file named above.'],
  })
}

export function storeNotEmpty(location: string): OdoopsError {
  return new OdoopsError('STATE_NOT_EMPTY', `The state store at ${location} already holds records; import only fills an empty store.`, {
    exit: ExitCode.USAGE,
    suggestions: ['Import into a new store: odoops state import FILE --state <new location>'],
  })
}

export function invalidDump(where: string, problem: string): OdoopsError {
  return new OdoopsError('STATE_DUMP_INVALID', `Not an odoops state dump: ${where} ${problem}. Nothing was imported.`, {
    exit: ExitCode.USAGE,
    suggestions: ['Import a file written by `odoops state export` (JSON with "format": "odoops-state").'],
  })
}

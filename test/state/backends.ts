// The two store backends as the state tests open them: local in a fresh temp directory,
// postgres in a fresh database of the shared throwaway cluster (test/helpers/pg-cluster.ts).
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {freshDatabase} from '../helpers/pg-cluster.js'

export type BackendName = 'local' | 'postgres'
export const BACKENDS: readonly BackendName[] = ['local', 'postgres']

/** A `--state` value for a new, empty store of the backend. */
export async function freshLocation(backend: BackendName): Promise<string> {
  return backend === 'local' ? mkdtempSync(join(tmpdir(), 'odoops-state-')) : freshDatabase('state')
}

export async function openAt(location: string): Promise<StateStore> {
  return openStore(parseStateLocation(location, tmpdir()))
}

/** Expects `promise` to reject with an OdoopsError of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error & {code: string; exit: number}> {
  try {
    await promise
  } catch (error) {
    expect((error as {code?: string}).code, (error as Error).message).to.equal(code)
    return error as Error & {code: string; exit: number}
  }
  expect.fail(`expected a rejection with ${code}`)
}

export {setTimeout as sleep} from 'node:timers/promises'

import {isOdoopsError, type OdoopsError} from '../../src/lib/errors.js'

/** The OdoopsError a promise rejects with (anything else, or no rejection, fails the test). */
export async function failure(promise: Promise<unknown>): Promise<OdoopsError> {
  try {
    await promise
  } catch (error) {
    if (isOdoopsError(error)) return error
    throw error
  }
  throw new Error('expected an OdoopsError')
}

/** The OdoopsError a synchronous call throws (anything else, or no throw, fails the test). */
export function thrownBy(fn: () => unknown): OdoopsError {
  try {
    fn()
  } catch (error) {
    if (isOdoopsError(error)) return error
    throw error
  }
  throw new Error('expected an OdoopsError')
}

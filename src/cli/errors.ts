import {Errors} from '@oclif/core'
import {ExitCode, isOdoopsError, OdoopsError} from '../lib/errors.js'

/**
 * Turn whatever a command threw into an OdoopsError: our own pass through; oclif's
 * parse errors (unknown flag, missing argument, bad option) are usage errors, exit 2.
 */
export function toOdoopsError(error: unknown): OdoopsError {
  if (isOdoopsError(error)) return error
  const err = error as Error & {oclif?: {exit?: number}; code?: string; suggestions?: string[]; name?: string}
  const name = err?.constructor?.name ?? ''
  // Flag value parsers (Flags.integer and custom parse functions) throw a plain CLIError with exit 2.
  const parseError = error instanceof Errors.CLIError && (/Flag|Arg|Parse|Option|Validation|Failed/.test(name) || err.oclif?.exit === 2)
  if (parseError || /^(NonExistentFlags|UnexpectedArgs|RequiredArg|FailedFlagValidation|ArgInvalidOption|FlagInvalidOption)/.test(name)) {
    return new OdoopsError('USAGE', cleanParseMessage(err.message), {
      exit: ExitCode.USAGE,
      suggestions: err.suggestions?.length ? err.suggestions : ['Run the command with --help to see its flags and arguments.'],
      cause: error,
    })
  }
  if (err?.oclif?.exit === 0) return new OdoopsError('OK', err.message, {exit: ExitCode.OK})
  const exit = err?.oclif?.exit
  return new OdoopsError(typeof err?.code === 'string' && /^[A-Z_]+$/.test(err.code) ? err.code : 'UNEXPECTED', err?.message ?? String(error), {
    exit: exit === 2 ? ExitCode.USAGE : ExitCode.FAILURE,
    suggestions: err?.suggestions ?? [],
    cause: error,
  })
}

function cleanParseMessage(message: string): string {
  // "Parsing --count \n\tExpected an integer…" → "Parsing --count: Expected an integer…"
  return message.replace(/\nSee more help with --help$/, '').replace(/\s*\n\t/g, ': ').trim()
}

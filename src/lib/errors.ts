/**
 * One error type for the whole product. Domain code throws OdoopsError with a stable
 * code, an exit code from the table below and suggestions ("Try this:"); the CLI layer
 * renders it. Keep codes UPPER_SNAKE and never reuse one for a different meaning.
 */

/** Exit codes, documented in README ("Exit codes"). */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  PARTIAL: 3,
  BUSY: 4,
  INTERRUPTED: 130,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export interface OdoopsErrorOptions {
  exit?: ExitCode
  suggestions?: string[]
  cause?: unknown
  /** Structured detail that goes into the JSON error document (never secrets). */
  data?: Record<string, unknown>
}

export class OdoopsError extends Error {
  readonly code: string
  readonly exit: ExitCode
  readonly suggestions: string[]
  readonly data?: Record<string, unknown>

  constructor(code: string, message: string, options: OdoopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'OdoopsError'
    this.code = code
    this.exit = options.exit ?? ExitCode.FAILURE
    this.suggestions = options.suggestions ?? []
    this.data = options.data
  }
}

/** Bad input from the user: exit 2. */
export function usageError(code: string, message: string, suggestions: string[] = [], data?: Record<string, unknown>): OdoopsError {
  return new OdoopsError(code, message, {exit: ExitCode.USAGE, suggestions, data})
}

export function isOdoopsError(error: unknown): error is OdoopsError {
  return error instanceof OdoopsError
}

/** Error message of anything thrown, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

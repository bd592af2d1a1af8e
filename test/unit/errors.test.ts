import {expect} from 'chai'
import {Args, Errors, Flags, Parser} from '@oclif/core'
import {toOdoopsError} from '../../src/cli/errors.js'
import {ExitCode, OdoopsError, usageError} from '../../src/lib/errors.js'

/** The error oclif's parser throws for argv, as a command would see it. */
async function parseError(argv: string[]): Promise<unknown> {
  try {
    await Parser.parse(argv, {
      flags: {mode: Flags.string({options: ['shared', 'dedicated']}), count: Flags.integer({min: 1}), name: Flags.string({required: false})},
      args: {tenant: Args.string({required: true})},
      strict: true,
    })
  } catch (error) {
    return error
  }
  throw new Error(`argv ${argv.join(' ')} parsed without error`)
}

describe('errors → exit codes', () => {
  it('keeps the documented exit code table', () => {
    expect(ExitCode).to.deep.equal({OK: 0, FAILURE: 1, USAGE: 2, PARTIAL: 3, BUSY: 4, INTERRUPTED: 130})
  })

  it('passes an OdoopsError through unchanged', () => {
    const busy = new OdoopsError('LOCK_HELD', 'backup of acme is running', {exit: ExitCode.BUSY, suggestions: ['wait']})
    expect(toOdoopsError(busy)).to.equal(busy)
    const usage = usageError('CONFIG_UNKNOWN_KEY', 'nope', ['Known keys: a'])
    expect(toOdoopsError(usage)).to.include({code: 'CONFIG_UNKNOWN_KEY', exit: 2})
  })

  const parseCases: [string, string[], RegExp][] = [
    ['an unknown flag', ['acme', '--frobnicate'], /Nonexistent flag: --frobnicate/],
    ['a missing required argument', [], /Missing 1 required arg/],
    ['an unexpected argument', ['acme', 'extra'], /Unexpected argument: extra/],
    ['a value outside the options', ['acme', '--mode', 'huge'], /Expected --mode=huge to be one of: shared, dedicated/],
    ['an integer below its minimum', ['acme', '--count', '0'], /^Parsing --count: Expected an integer greater than or equal to 1/],
    ['a non-integer', ['acme', '--count', 'many'], /Expected an integer/],
  ]
  for (const [what, argv, message] of parseCases) {
    it(`maps oclif's parse error for ${what} to USAGE, exit 2, with a suggestion`, async () => {
      const error = await parseError(argv)
      const mapped = toOdoopsError(error)
      expect(mapped.code).to.equal('USAGE')
      expect(mapped.exit).to.equal(ExitCode.USAGE)
      expect(mapped.message).to.match(message)
      expect(mapped.message).to.not.match(/See more help with --help$/)
      expect(mapped.suggestions).to.have.lengthOf.above(0)
      expect(mapped.cause).to.equal(error)
    })
  }

  it('maps a CLIError with exit 2 to a usage error and keeps its suggestions', () => {
    const mapped = toOdoopsError(new Errors.CLIError('bad input', {exit: 2, suggestions: ['do this']}))
    expect(mapped).to.include({exit: 2})
    expect(mapped.suggestions).to.deep.equal(['do this'])
  })

  it('maps an oclif exit(0) to OK', () => {
    expect(toOdoopsError(new Errors.ExitError(0)).exit).to.equal(0)
  })

  it('maps anything else to a failure, exit 1, keeping an UPPER_SNAKE code', () => {
    expect(toOdoopsError(new Error('boom'))).to.include({code: 'UNEXPECTED', exit: 1, message: 'boom'})
    const eacces = Object.assign(new Error('permission denied'), {code: 'EACCES'})
    expect(toOdoopsError(eacces)).to.include({code: 'EACCES', exit: 1})
    expect(toOdoopsError('a string')).to.include({code: 'UNEXPECTED', exit: 1, message: 'a string'})
  })
})

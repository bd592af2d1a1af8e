import {expect} from 'chai'
import {Config} from '@oclif/core'
import hook, {closestCommand, editDistance} from '../../src/hooks/command-not-found.js'
import {ROOT} from '../helpers/cli.js'
import {newTestSecret} from '../helpers/secrets.js'

const commands = ['tenant:list', 'tenant:show', 'tenant:create', 'config:list', 'config:get', 'config:set', 'demo', 'onboard', 'onboard:list', 'backup:target:add'].map((id) => ({id, aliases: [], hidden: false}))
const config = {commands} as unknown as Config

describe('unknown commands (command_not_found hook)', () => {
  it('edit distance', () => {
    expect(editDistance('tennant', 'tenant')).to.equal(1)
    expect(editDistance('', 'abc')).to.equal(3)
    expect(editDistance('kitten', 'sitting')).to.equal(3)
  })

  it('suggests the closest command from the typed words, with the arguments it leaves', () => {
    expect(closestCommand(config, 'tennant', ['list', '--json'])).to.deep.equal({id: 'tenant:list', rest: ['--json']})
    expect(closestCommand(config, 'tenant:lst', [])).to.deep.equal({id: 'tenant:list', rest: []})
    expect(closestCommand(config, 'tennant:show:acme', ['--json'])).to.deep.equal({id: 'tenant:show', rest: ['acme', '--json']})
    expect(closestCommand(config, 'confg', ['set', 'partner.name', 'Acme'])).to.deep.equal({id: 'config:set', rest: ['partner.name', 'Acme']})
    expect(closestCommand(config, 'onbaord', ['--template', 'x'])).to.deep.equal({id: 'onboard', rest: ['--template', 'x']})
    expect(closestCommand(config, 'backup:traget:add', ['nas'])).to.deep.equal({id: 'backup:target:add', rest: ['nas']})
  })

  it('suggests nothing when nothing is close', () => {
    expect(closestCommand(config, 'xyzzy', [])).to.equal(undefined)
    expect(closestCommand(config, 'deploy:everything', [])).to.equal(undefined)
  })

  it('under --json: one error document on stdout, exit 2, no prompt, no secret', async () => {
    const real = await Config.load(ROOT)
    const secret = newTestSecret('typo')
    let out = ''
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = (chunk: string | Uint8Array) => {
      out += chunk.toString()
      return true
    }
    let exit: unknown
    // oclif's hook context: exit() throws its ExitError (the process exits with its code).
    const context = {
      config: real,
      exit(code: number): never {
        throw Object.assign(new Error('EEXIT'), {oclif: {exit: code}})
      },
    }
    try {
      await (hook as unknown as (this: unknown, options: unknown) => Promise<unknown>).call(context, {id: 'tennant:list', argv: ['--json', '--password', secret], config: real, context})
    } catch (error) {
      exit = error
    } finally {
      process.stdout.write = write
    }
    expect((exit as {oclif: {exit: number}}).oclif.exit).to.equal(2)
    expect(JSON.parse(out)).to.deep.equal({
      error: {
        code: 'COMMAND_NOT_FOUND',
        message: '"tennant list" is not an odoops command.',
        exitCode: 2,
        suggestions: ['odoops tenant list', 'odoops --help lists every command.'],
        data: {suggestion: 'tenant list'},
      },
    })
    expect(out).not.to.contain(secret)
  })
})

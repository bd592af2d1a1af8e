import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {committedSchemas, ERROR_SCHEMA_FILE, generateSchemas, schemaFileOf, staleSchemas} from '../../.ci/generate-schemas.js'
import {isolatedEnv, ROOT, runCli} from '../helpers/cli.js'
import {ERROR_SCHEMA, schemaErrors} from '../helpers/json-schema.js'

/**
 * The --json contract (docs/json-output.md): one JSON Schema per command, generated from
 * the result type of its run(), committed under schemas/, and checked here against the
 * real output of the built CLI.
 */
describe('JSON output contracts (schemas/)', () => {
  it('schemas/ is fresh: regenerating gives the committed files', function () {
    this.timeout(120_000)
    const stale = staleSchemas(generateSchemas(), committedSchemas())
    expect(stale, `schemas/ is stale: run npm run schemas (differs: ${stale.join(', ')})`).to.deep.equal([])
  })

  it('every command with --json in oclif.manifest.json has a schema, and the error document has one', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {enableJsonFlag?: boolean}>}
    const jsonCommands = Object.entries(manifest.commands).filter(([, c]) => c.enableJsonFlag).map(([id]) => id)
    expect(jsonCommands).to.include.members(['config:list', 'audit:list'])
    const missing = jsonCommands.filter((id) => !existsSync(join(ROOT, 'schemas', schemaFileOf(id))))
    expect(missing, 'commands without a schema: run npm run build && npm run schemas').to.deep.equal([])
    expect(existsSync(join(ROOT, 'schemas', ERROR_SCHEMA_FILE))).to.equal(true)
  })

  it('a schema rejects output that breaks the contract', () => {
    expect(schemaErrors('config:get', {key: 'x', value: 1, source: 'file', env: 'ODOOPS_X', description: 'd'})).to.deep.equal([])
    expect(schemaErrors('config:get', {key: 'x', value: 1, source: 'somewhere', env: 'ODOOPS_X', description: 'd'})).to.not.deep.equal([])
    expect(schemaErrors('config:list', {settings: [], extra: true})).to.not.deep.equal([])
    expect(schemaErrors(ERROR_SCHEMA, {error: {code: 'X', message: 'm', exitCode: 7, suggestions: []}})).to.not.deep.equal([])
  })

  describe('real output validates against its schema', () => {
    let env: Record<string, string>
    before(() => {
      env = isolatedEnv()
    })

    const cases: {name: string; args: string[]; schema: string; code: number}[] = [
      {name: 'config set', args: ['config', 'set', 'partner.country', 'BE', '--json'], schema: 'config:set', code: 0},
      {name: 'config set (list value)', args: ['config', 'set', 'plugins.allowlist', 'odoops-pack-a,odoops-pack-b', '--json'], schema: 'config:set', code: 0},
      {name: 'config get', args: ['config', 'get', 'partner.country', '--json'], schema: 'config:get', code: 0},
      {name: 'config get (unset key)', args: ['config', 'get', 'partner.vat', '--json'], schema: 'config:get', code: 0},
      {name: 'config list', args: ['config', 'list', '--json'], schema: 'config:list', code: 0},
      {name: 'config unset', args: ['config', 'unset', 'partner.country', '--json'], schema: 'config:unset', code: 0},
      {name: 'audit list', args: ['audit', 'list', '--json'], schema: 'audit:list', code: 0},
      {name: 'error: unknown key', args: ['config', 'get', 'nope', '--json'], schema: ERROR_SCHEMA, code: 2},
      {name: 'error: bad value', args: ['config', 'set', 'partner.country', 'Belgium', '--json'], schema: ERROR_SCHEMA, code: 2},
      {name: 'error: unknown flag', args: ['config', 'list', '--nope', '--json'], schema: ERROR_SCHEMA, code: 2},
      {name: 'error: missing argument', args: ['config', 'set', '--json'], schema: ERROR_SCHEMA, code: 2},
      {name: 'error: bad --since', args: ['audit', 'list', '--since', 'soon', '--json'], schema: ERROR_SCHEMA, code: 2},
      {name: 'error: bad --state', args: ['audit', 'list', '--state', 'ftp://x/y', '--json'], schema: ERROR_SCHEMA, code: 2},
    ]
    for (const c of cases) {
      it(c.name, async () => {
        const result = await runCli(c.args, {env})
        expect(result.code, result.stderr).to.equal(c.code)
        expect(result.json, `stdout is not JSON: ${result.stdout}`).to.not.equal(undefined)
        expect(schemaErrors(c.schema, result.json)).to.deep.equal([])
        if (c.code !== 0) expect(result.json.error.exitCode).to.equal(c.code)
      })
    }

    it('audit list with events validates too', async () => {
      const result = await runCli(['audit', 'list', '--json'], {env})
      expect(result.json.events.length).to.be.at.least(4)
      expect(schemaErrors('audit:list', result.json)).to.deep.equal([])
    })
  })
})

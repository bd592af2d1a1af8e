import {expect} from 'chai'
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schema.js'

// Spawns the built CLI: run `npm run build` first (npm test does).
// eslint-disable-next-line no-control-regex -- an ANSI escape sequence
const ANSI = /\u001B\[/

describe('odoops CLI (e2e)', () => {
  it('--help lists the topics', async () => {
    const result = await runCli(['--help'], {env: isolatedEnv()})
    expect(result.code).to.equal(0)
    expect(result.stdout).to.match(/TOPICS/)
    for (const topic of ['config', 'audit', 'plugins']) expect(result.stdout).to.match(new RegExp(`^\\s+${topic}\\s`, 'm'), `topic ${topic}`)
  })

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string}
    const result = await runCli(['--version'], {env: isolatedEnv()})
    expect(result.code).to.equal(0)
    expect(result.stdout).to.contain(`odoops/${pkg.version}`)
  })

  it('config list --json prints one JSON document with every known key', async () => {
    const result = await runCli(['config', 'list', '--json'], {env: isolatedEnv()})
    expect(result.code).to.equal(0)
    expect(result.json, result.stdout).to.be.an('object')
    const keys = (result.json.settings as {key: string}[]).map((s) => s.key)
    expect(keys).to.include.members(['state', 'ssh.connectTimeout', 'partner.country'])
    expect(result.stderr).to.equal('')
  })

  it('an unknown flag exits 2 with a suggestion', async () => {
    const result = await runCli(['config', 'list', '--frobnicate'], {env: isolatedEnv()})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/^Error \(USAGE\): Nonexistent flag: --frobnicate/m)
    expect(result.stderr).to.match(/Try this:\n\s+\S/)
  })

  it('an unknown flag under --json gives the error document, exit 2', async () => {
    const result = await runCli(['config', 'list', '--frobnicate', '--json'], {env: isolatedEnv()})
    expect(result.code).to.equal(2)
    expect(result.json?.error).to.include({code: 'USAGE', exitCode: 2})
    expect(result.json.error.suggestions).to.have.lengthOf.above(0)
  })

  it('an unknown config key exits 2 and lists the known keys', async () => {
    const result = await runCli(['config', 'get', 'ssh.conectTimeout'], {env: isolatedEnv()})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.contain('Error (CONFIG_UNKNOWN_KEY): "ssh.conectTimeout" is not an odoops setting.')
    expect(result.stderr).to.match(/Known keys: .*ssh\.connectTimeout/)
  })

  it('an unknown command exits 2 naming it and the closest command, without prompting (docs/exit-codes.md)', async () => {
    const result = await runCli(['confg', 'list'], {env: isolatedEnv()})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.contain('Error (COMMAND_NOT_FOUND): "confg list" is not an odoops command.')
    expect(result.stderr).to.contain('  odoops config list')
    expect(result.stderr).not.to.contain('Did you mean')
  })

  it('an unknown command under --json, CI or --yes: one error document or line at once, exit 2, never a prompt', async () => {
    const started = Date.now()
    const json = await runCli(['tennant', 'list', '--json'], {env: isolatedEnv()})
    expect(json.code).to.equal(2)
    expect(json.json.error).to.deep.include({code: 'COMMAND_NOT_FOUND', exitCode: 2, data: {suggestion: 'tenant list'}})
    expect(json.json.error.suggestions[0]).to.equal('odoops tenant list')
    expect(schemaErrors('error', json.json)).to.deep.equal([])
    const byEnv = await runCli(['tennant', 'list'], {env: isolatedEnv({ODOOPS_CONTENT_TYPE: 'json', CI: '1'})})
    expect(byEnv.json.error.code).to.equal('COMMAND_NOT_FOUND')
    const unlike = await runCli(['xyzzy', '--yes'], {env: isolatedEnv()})
    expect(unlike.code).to.equal(2)
    expect(unlike.stderr).to.contain('odoops --help lists every command.')
    expect(Date.now() - started, 'no 10 s prompt').to.be.below(10_000)
  })

  it('config set then get round-trips in an isolated config dir, written 0600', async () => {
    const env = isolatedEnv()
    const set = await runCli(['config', 'set', 'ssh.connectTimeout', '42', '--json'], {env})
    expect(set.code, set.stderr).to.equal(0)
    expect(set.json).to.include({key: 'ssh.connectTimeout', value: 42, source: 'file'})
    const get = await runCli(['config', 'get', 'ssh.connectTimeout'], {env})
    expect(get.stdout.trim()).to.equal('42')
    const file = join(env.ODOOPS_CONFIG_DIR, 'config.json')
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({'ssh.connectTimeout': 42})
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    const unset = await runCli(['config', 'unset', 'ssh.connectTimeout', '--json'], {env})
    expect(unset.json).to.include({value: 15, source: 'default'})
  })

  it('an environment override wins over the file and says so', async () => {
    const env = isolatedEnv({ODOOPS_SSH_CONNECT_TIMEOUT: '7'})
    const result = await runCli(['config', 'get', 'ssh.connectTimeout', '--json'], {env})
    expect(result.json).to.include({value: 7, source: 'env', env: 'ODOOPS_SSH_CONNECT_TIMEOUT'})
  })

  it('without a TTY output has no ANSI escapes, even without NO_COLOR', async () => {
    const env = isolatedEnv()
    for (const args of [['--help'], ['config', 'list'], ['config', 'get', 'nope'], ['config', 'list', '--bogus']]) {
      const result = await runCli(args, {env, colorEnv: true})
      expect(result.stdout + result.stderr, args.join(' ')).to.not.match(ANSI)
      expect(result.stdout + result.stderr, args.join(' ')).to.not.equal('')
    }
  })
})

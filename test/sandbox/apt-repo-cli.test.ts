import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isolatedEnv, runCli} from '../helpers/cli.js'

describe('odoops sandbox up --apt-repo (CLI, no sandbox booted)', function () {
  it('refuses a directory that is not a flat apt repository before booting anything (exit 2)', async function () {
    this.timeout(60_000)
    const empty = mkdtempSync(join(tmpdir(), 'odoops-not-a-repo-'))
    const result = await runCli(['sandbox', 'up', '--apt-repo', empty, '--no-register', '--json'], {env: isolatedEnv()})
    expect(result.code, result.stdout + result.stderr).to.equal(2)
    expect(result.json.error.code).to.equal('SANDBOX_APT_REPO_INVALID')
    expect(result.json.error.message).to.contain(empty)
  })

  it('cannot be combined with --fixture-odoo (exit 2)', async function () {
    this.timeout(60_000)
    const result = await runCli(['sandbox', 'up', '--apt-repo', '/srv', '--fixture-odoo', '--json'], {env: isolatedEnv()})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('USAGE')
  })
})

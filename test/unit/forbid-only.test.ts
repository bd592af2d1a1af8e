import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {ROOT} from '../helpers/cli.js'

/** A forgotten `.only` would silently run one test in CI: the repository's mocha config refuses it. */
describe('the mocha config forbids .only', () => {
  it('a suite with it.only fails the run', async function () {
    this.timeout(60_000)
    const dir = mkdtempSync(join(tmpdir(), 'odoops-only-'))
    const file = join(dir, 'only.test.mjs')
    writeFileSync(file, "it.only('alone', () => {})\nit('skipped', () => {})\n")
    // The repository's own .mocharc.json, with its spec glob ignored so only this file loads.
    const run = await execa('npx', ['mocha', '--config', join(ROOT, '.mocharc.json'), '--ignore', 'test/**', file], {cwd: ROOT, reject: false})
    expect(run.exitCode, run.stdout + run.stderr).to.not.equal(0)
    expect(run.stdout + run.stderr).to.match(/\.only`? forbidden/)
  })
})

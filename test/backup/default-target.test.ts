import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {runCli, isolatedEnv} from '../helpers/cli.js'

/**
 * One rule for the target used without --target (backup run, onboarding, schedules): the
 * backup.defaultTarget setting, else the built-in one; the first target added becomes the
 * setting and says so.
 */
describe('the default backup target', () => {
  it('the first target added becomes the default, the next does not; list marks it; --default moves it', async () => {
    const env = isolatedEnv()
    const dir = mkdtempSync(join(tmpdir(), 'odoops-targets-'))
    const before = await runCli(['backup', 'target', 'list', '--json'], {env})
    expect(before.json.targets.filter((t: {default: boolean}) => t.default).map((t: {name: string}) => t.name)).to.deep.equal(['default'])

    const first = await runCli(['backup', 'target', 'add', 'nas', '--type', 'local', '--path', join(dir, 'nas')], {env})
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stdout).to.include('default target now')
    expect((await runCli(['config', 'get', 'backup.defaultTarget', '--json'], {env})).json.value).to.equal('nas')

    const second = await runCli(['backup', 'target', 'add', 'usb', '--type', 'local', '--path', join(dir, 'usb'), '--json'], {env})
    expect(second.json.target.default).to.equal(false)
    const listed = await runCli(['backup', 'target', 'list', '--json'], {env})
    expect(listed.json.targets.filter((t: {default: boolean}) => t.default).map((t: {name: string}) => t.name)).to.deep.equal(['nas'])

    const moved = await runCli(['backup', 'target', 'add', 'offsite', '--type', 'local', '--path', join(dir, 'offsite'), '--default', '--json'], {env})
    expect(moved.json.target.default).to.equal(true)
    expect((await runCli(['config', 'get', 'backup.defaultTarget', '--json'], {env})).json.value).to.equal('offsite')
  })

  it('--no-default on the first target leaves the built-in one the default', async () => {
    const env = isolatedEnv()
    const dir = mkdtempSync(join(tmpdir(), 'odoops-targets-'))
    const added = await runCli(['backup', 'target', 'add', 'scratch', '--type', 'local', '--path', dir, '--no-default', '--json'], {env})
    expect(added.json.target.default).to.equal(false)
    expect((await runCli(['config', 'get', 'backup.defaultTarget', '--json'], {env})).json.value).to.equal(null)
  })

  it('backup run names the default target it uses when nothing is to back up', async () => {
    const env = isolatedEnv()
    const dir = mkdtempSync(join(tmpdir(), 'odoops-targets-'))
    await runCli(['backup', 'target', 'add', 'nas', '--type', 'local', '--path', dir], {env})
    const run = await runCli(['backup', 'run', '--all', '--json'], {env})
    expect(run.code, run.stderr).to.equal(0)
    expect(run.json.target).to.equal('nas')
  })
})

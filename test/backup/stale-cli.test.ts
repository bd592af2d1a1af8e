import {expect} from 'chai'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import {isolatedEnv, runCli} from '../helpers/cli.js'

/** `backup list --stale <hours>`: exit 1 when an active tenant's newest VERIFIED backup is older than that, or missing. */
describe('backup list --stale (CLI, local store)', function () {
  this.timeout(120_000)
  let env: Record<string, string>
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString()

  before(async () => {
    env = isolatedEnv()
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    try {
      const tenant = (id: string, state: string) => store.tenants.insert({id, host: 'h1', mode: 'shared', domain: `${id}.example.test`, series: '17.0', database: id, state: state as 'active'})
      const backup = (id: string, tenant: string, hours: number, verification?: 'verified' | 'failed', status = 'complete') =>
        store.backups.insert({id, tenant, target: 'default', status, startedAt: hoursAgo(hours), totalBytes: 10, files: [], ...(verification ? {verification: {status: verification, at: hoursAgo(0), durationMs: 1}} : {})})
      await tenant('fresh', 'active')
      await tenant('old', 'active')
      await tenant('never', 'active')
      await tenant('parked', 'stopped')
      await backup('fresh-1', 'fresh', 2, 'verified')
      await backup('old-2', 'old', 1, 'failed') // recent, but failed verification
      await backup('old-3', 'old', 1) // recent, never verified
      await backup('old-1', 'old', 50, 'verified')
      await backup('never-1', 'never', 1)
    } finally {
      await store.close()
    }
  })

  it('exits 1 and lists the active tenants without a verified backup within the limit', async () => {
    const run = await runCli(['backup', 'list', '--stale', '24', '--json'], {env})
    expect(run.code, run.stdout + run.stderr).to.equal(1)
    expect(run.json.backups, 'the list is still there').to.have.length(5)
    expect(run.json.stale.hours).to.equal(24)
    expect(run.json.stale.checked).to.equal(3)
    expect(run.json.stale.tenants.map((s: {tenant: string; newestVerified: string | null}) => [s.tenant, s.newestVerified])).to.deep.equal([
      ['never', null],
      ['old', 'old-1'],
    ])
    const human = await runCli(['backup', 'list', '--stale', '24'], {env})
    expect(human.code).to.equal(1)
    expect(human.stdout).to.match(/never\s+none/).and.match(/2 of 3 active tenant/)
  })

  it('exits 0 when every checked tenant is fresh; without --stale the JSON has no stale field', async () => {
    const one = await runCli(['backup', 'list', 'fresh', '--stale', '24', '--json'], {env})
    expect(one.code, one.stdout + one.stderr).to.equal(0)
    expect(one.json.stale.tenants).to.deep.equal([])
    expect((await runCli(['backup', 'list', 'old', '--stale', '72'], {env})).code).to.equal(0)
    expect((await runCli(['backup', 'list', 'old', '--stale', '48'], {env})).code).to.equal(1)
    const plain = await runCli(['backup', 'list', '--json'], {env})
    expect(plain.code).to.equal(0)
    expect(plain.json).to.have.keys(['backups', 'warnings'])
    expect((await runCli(['backup', 'list', '--stale', '0'], {env})).code, 'hours must be positive').to.equal(2)
  })
})

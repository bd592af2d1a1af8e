import {expect} from 'chai'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {PACKS, buildPack, linkPacks} from './helpers.js'
import {withStore} from '../helpers/store.js'

const WHOLESALE_CHECKS = ['wholesale/modules', 'wholesale/pricelists', 'wholesale/b2b-portal']

/**
 * The built CLI with the built wholesale pack linked: the prerun hook loads the pack's checks
 * for `fleet status` and the schedule, and `--json` names each check per pack. The tenant's host
 * refuses connections (nothing listens on port 1 of 127.0.0.1), so no sandbox is needed: fleet
 * status reports the checks not run with the reason, a status job fails naming them.
 * test/fleet/pack-checks.test.ts runs the checks themselves on an Odoo double.
 */
describe('pack fleet checks through the CLI (wholesale pack linked, isolated config)', function () {
  this.timeout(180_000)
  let env: Record<string, string>

  before(async function () {
    this.timeout(300_000)
    await buildPack(PACKS.wholesale)
    env = isolatedEnv()
    await linkPacks(env, [PACKS.wholesale])
    await withStore(env, async (store) => {
      await store.hosts.put({id: 'far', address: '127.0.0.1', port: 1, user: 'root'})
      for (const slug of ['acme', 'plain']) {
        await store.tenants.put({
          id: slug,
          host: 'far',
          mode: 'shared',
          domain: `${slug}.erp.example`,
          series: '17.0',
          database: `${slug}.erp.example`,
          state: 'active',
          service: {unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', dataDir: '/var/lib/odoops/shared-17', httpPort: 8069, geventPort: 8072, role: 'odoops_shared_17'},
        })
      }
      // acme was onboarded with the wholesale template; plain was created without one.
      await store.onboardingRuns.insert({id: 'run-acme', template: 'wholesale/wholesale', templateVersion: 1, state: 'done', customer: 'acme', startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:05:00.000Z'})
    })
  })

  it('plugins doctor lists the checks of the pack', async () => {
    const result = await runCli(['plugins', 'doctor', '--json'], {env})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const wholesale = result.json.packs.find((p: {name: string}) => p.name === '@odoops/wholesale')
    expect(wholesale.checks).to.deep.equal(WHOLESALE_CHECKS)
  })

  it('fleet status --json lists the checks loaded and names each result per pack', async () => {
    const result = await runCli(['fleet', 'status', '--json'], {env})
    // The unreachable host is a breach (exit 1); the pack checks are not the reason.
    expect(result.code, result.stderr).to.equal(1)
    expect(result.json.packChecks.map((c: {name: string; pack: string}) => [c.name, c.pack])).to.deep.equal(WHOLESALE_CHECKS.map((name) => [name, '@odoops/wholesale']))
    const acme = result.json.tenants.find((t: {tenant: string}) => t.tenant === 'acme')
    expect(acme.packChecks.map((c: {name: string; pack: string; status: string; detail: string}) => [c.name, c.pack, c.status, c.detail])).to.deep.equal(
      WHOLESALE_CHECKS.map((name) => [name, '@odoops/wholesale', 'not-run', 'host far unreachable']),
    )
    expect(result.json.tenants.find((t: {tenant: string}) => t.tenant === 'plain').packChecks).to.deep.equal([])
    // The table names them too.
    const table = await runCli(['fleet', 'status'], {env})
    expect(table.stdout).to.include('Pack checks').and.include('not run')
  })

  it('a schedule status job runs them and fails naming the checks and their pack', async () => {
    mkdirSync(env.ODOOPS_CONFIG_DIR, {recursive: true})
    const file = join(env.ODOOPS_CONFIG_DIR, 'schedule.yaml')
    writeFileSync(file, ['version: 1', 'jobs:', '  - id: records-check', '    kind: status', '    cron: "0 7 * * *"', '    select: {tenants: [acme]}', ''].join('\n'))
    const result = await runCli(['schedule', 'exec', 'records-check', '--json'], {env})
    expect(result.code, result.stderr).to.equal(1)
    const [unit] = result.json.units
    expect(unit).to.include({unit: 'acme', status: 'failed'})
    expect(unit.error.code).to.equal('PACK_CHECK_FAILED')
    expect(unit.error.message).to.include('pack checks wholesale/modules, wholesale/pricelists, wholesale/b2b-portal not run: could not log into its Odoo as admin')
  })
})

import {expect} from 'chai'
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BIN, runCli} from '../helpers/cli.js'
import {odooBuilds, type OdooBuilds} from '../helpers/odoo-builds.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS, type PreparedHost} from '../helpers/prepared-host.js'
import {httpsStatus, odooProbe, realSeries} from '../helpers/real-odoo.js'
import {downSharedSandboxes, requireSandboxes, sshRun} from '../helpers/sandbox.js'

/**
 * @real: Odoo patch releases on the real package of the newest series present. Two more builds
 * are made from it in the test (test/helpers/odoo-builds.ts: `base` bumped with a migration that
 * writes a parameter; a third whose migration raises) and offered by the hosts' apt source.
 * Two hosts, each with a shared and a dedicated tenant: plan, rehearse on copies, apply (killed
 * between two tenants' -u and resumed), then a failing build rehearsed and forced: the host rolls
 * back by itself. Every assertion reads the hosts themselves (dpkg, odoo --version, odoo shell).
 */
const newest = realSeries().present.at(-1)

/** What a rollback must give back, read by Odoo: modules and versions, the build's parameter, partners. */
const STATE_SCRIPT = `
env.cr.execute("SELECT name, state, latest_version FROM ir_module_module WHERE state = 'installed' ORDER BY name")
modules = env.cr.fetchall()
env.cr.execute("SELECT value FROM ir_config_parameter WHERE key = 'odoops.test.build'")
row = env.cr.fetchone()
print_json({'modules': modules, 'build': row and row[0], 'partners': sorted(env['res.partner'].with_context(active_test=False).search([]).mapped('name'))})
`

if (newest) {
  const {series, dir} = newest
  const major = series.split('.')[0]
  describe(`real Odoo ${series}: patch releases rehearsed, rolled out and rolled back @real @host`, function () {
    const work = mkdtempSync(join(tmpdir(), `odoops-release-${major}-`))
    let builds: OdooBuilds
    const hosts: PreparedHost[] = []
    const tenants: {slug: string; host: PreparedHost; mode: 'shared' | 'dedicated'; database: string; config: string}[] = []
    const env = () => hosts[0].env
    const cli = (args: string[], timeoutMs = 1_800_000) => runCli([...args, '--json'], {env: env(), timeoutMs})
    const ok = (r: {code: number; stdout: string; stderr: string}) => expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0)
    const names = [`rl${major}a`, `rl${major}b`]

    before(async function () {
      this.timeout(2 * PREPARED_HOST_TIMEOUT_MS + 900_000)
      requireSandboxes(this)
      builds = await odooBuilds(series, dir)
      const store = `release${major}`
      hosts.push(...(await Promise.all(names.map((name) => preparedHost(name, {real: {series, dir: builds.repo}, store})))))
      // Each host: a shared and a dedicated tenant (base only: -u base reloads every installed module anyway).
      await Promise.all(
        hosts.map(async (host, i) => {
          for (const mode of ['shared', 'dedicated'] as const) {
            const slug = `${mode === 'shared' ? 's' : 'd'}${major}${'ab'[i]}`
            const created = await runCli(['tenant', 'create', slug, '--host', host.host, '--mode', mode, '--domain', `${slug}.release.example.test`, '--modules', 'base', '--credentials-file', join(work, `${slug}.txt`), '--json'], {env: host.env, timeoutMs: 900_000})
            ok(created)
            tenants.push({slug, host, mode, database: created.json.tenant.database, config: created.json.tenant.service.config})
          }
        }),
      )
      tenants.sort((x, y) => x.slug.localeCompare(y.slug))
      // Rehearsals restore each tenant's newest verified backup.
      for (const t of tenants) {
        const run = await cli(['backup', 'run', t.slug])
        ok(run)
        ok(await cli(['backup', 'verify', run.json.results[0].backup.id]))
      }
    })

    after(async function () {
      this.timeout(180_000)
      await downSharedSandboxes(names)
    })

    const installed = async (host: PreparedHost) => (await sshRun(host.sandbox, "dpkg-query -W -f='${Version}' odoo")).stdout.trim()
    const stateOf = (t: (typeof tenants)[number]) => odooProbe(t.host.sandbox, t.config, t.database, STATE_SCRIPT)
    const baseVersion = async (t: (typeof tenants)[number]) => ((await stateOf(t)).modules as [string, string, string][]).find(([name]) => name === 'base')![2]

    let good = ''
    it('plan: the new build per host, base among the changed modules of every tenant, builds behind', async function () {
      this.timeout(600_000)
      const nothing = await cli(['release', 'plan', '--all'])
      ok(nothing)
      expect(nothing.json.release).to.equal(undefined)
      builds.publish([builds.original, builds.good])
      const planned = await cli(['release', 'plan', '--all'])
      ok(planned)
      expect(planned.json.hosts.map((h: {host: string; installed: string; planned: string; behind: number}) => [h.host, h.installed, h.planned, h.behind])).to.deep.equal(names.map((n) => [n, builds.original, builds.good, 1]))
      const release = planned.json.release
      good = release.id
      expect(release.state).to.equal('planned')
      for (const host of release.hosts) {
        expect(host.tenants.map((t: {mode: string}) => t.mode).sort()).to.deep.equal(['dedicated', 'shared'])
        for (const t of host.tenants) {
          expect(t.modules[0]).to.equal('base')
          expect(t.changed.base[1], JSON.stringify(t.changed)).to.not.equal(t.changed.base[0])
        }
      }
    })

    it('rehearse: every tenant passes on a neutralized copy of its backup; live databases and the installed build untouched', async function () {
      this.timeout(1_800_000)
      const before = await Promise.all(tenants.map((t) => stateOf(t)))
      const rehearsed = await cli(['release', 'rehearse', good])
      ok(rehearsed)
      expect(rehearsed.json).to.deep.include({succeeded: 4, failed: 0})
      for (const r of Object.values<{ok: boolean; durationMs: number}>(rehearsed.json.release.rehearsal.tenants)) expect(r.durationMs).to.be.greaterThan(0)
      expect(await Promise.all(tenants.map((t) => stateOf(t)))).to.deep.equal(before)
      for (const host of hosts) expect(await installed(host)).to.equal(builds.original)
      // No copy is left behind.
      const left = await sshRun(hosts[0].sandbox, "runuser -u postgres -- psql -At -c \"SELECT count(*) FROM pg_database WHERE datname LIKE 'odoops_rehearse_%'\"")
      expect(left.stdout.trim()).to.equal('0')
    })

    it('apply, killed between two tenants\' -u, then --resume: every tenant runs the new build with its data change, healthy; downtime per tenant', async function () {
      this.timeout(2_400_000)
      const child = execa('node', [BIN, 'release', 'apply', good, '--json'], {env: {...env(), NO_COLOR: '1'}, extendEnv: true, reject: false, stdin: 'ignore'})
      // Kill it (SIGKILL: no cleanup) once the first host's first shared tenant is upgraded and the next -u runs.
      let killedAt = ''
      for (let i = 0; i < 900 && !killedAt; i++) {
        await new Promise((r) => setTimeout(r, 1000))
        const shown = await cli(['release', 'show', good])
        const progress = shown.json?.release?.apply?.hosts?.[names[0]]?.tenants ?? {}
        const states = Object.values(progress).map((t) => (t as {upgrade: string}).upgrade)
        if (states.includes('done') && states.includes('started')) {
          child.kill('SIGKILL')
          killedAt = JSON.stringify(progress)
        }
        if (child.exitCode !== null) break
      }
      await child
      expect(killedAt, 'the apply was killed between two -u runs').to.not.equal('')
      const refused = await cli(['release', 'apply', good])
      expect(refused.code).to.equal(2)
      expect(refused.json.error.code).to.equal('RELEASE_INTERRUPTED')
      const resumed = await cli(['release', 'apply', good, '--resume'])
      ok(resumed)
      expect(resumed.json.release.state).to.equal('applied')
      for (const host of resumed.json.hosts) {
        expect(host.outcome).to.equal('applied')
        for (const t of host.tenants) {
          expect(t.check.ok, JSON.stringify(t)).to.equal(true)
          expect(t.downtimeMs).to.be.greaterThan(0)
        }
      }
      // Downtime per tenant, as a person reads it.
      const human = await runCli(['release', 'show', good], {env: env()})
      ok(human)
      // The last column is the downtime.
      for (const t of tenants) expect(human.stdout).to.match(new RegExp(`^${t.slug}\\b.*\\d+\\.\\d s\\s*$`, 'm'))
      for (const host of hosts) {
        expect(await installed(host)).to.equal(builds.good)
        const version = await sshRun(host.sandbox, 'odoo --version')
        expect(version.stdout.trim(), version.stderr).to.match(new RegExp(`^Odoo Server ${series.replace('.', '\\.')}`))
      }
      for (const t of tenants) {
        const state = await stateOf(t)
        expect(state.build, t.slug).to.equal(builds.good)
        expect(await httpsStatus(t.host.sandbox, `${t.slug}.release.example.test`, '/web/health')).to.equal(200)
      }
      const fleet = await cli(['host', 'show', names[0]])
      ok(fleet)
      expect(fleet.json.services[series].odooPackage).to.equal(builds.good)
    })

    it('a failing build: rehearsal reports Odoo\'s error per tenant; apply leaves the hosts out; forced, the first host rolls back to its safety backups and the old build', async function () {
      this.timeout(2_400_000)
      builds.publish([builds.original, builds.good, builds.failing])
      const planned = await cli(['release', 'plan', '--all'])
      ok(planned)
      const id = planned.json.release.id
      expect(planned.json.release.hosts.map((h: {to: string}) => h.to)).to.deep.equal([builds.failing, builds.failing])
      // On a staging host this time: every copy on the second host, whatever the tenant's own.
      const rehearsed = await cli(['release', 'rehearse', id, '--on', names[1]])
      expect(rehearsed.code).to.equal(1)
      expect(rehearsed.json).to.deep.include({succeeded: 0, failed: 4})
      for (const r of Object.values<{error: string; host: string}>(rehearsed.json.release.rehearsal.tenants)) {
        expect(r.host).to.equal(names[1])
        expect(r.error).to.contain('this update fails on purpose')
      }

      const skipped = await cli(['release', 'apply', id])
      ok(skipped)
      expect(skipped.json.hosts.map((h: {outcome: string}) => h.outcome)).to.deep.equal(['skipped', 'skipped'])
      for (const host of hosts) expect(await installed(host)).to.equal(builds.good)

      // Data written since the last backups: the safety backups must carry it back.
      const onA = tenants.filter((t) => t.host === hosts[0])
      for (const t of onA) await odooProbe(t.host.sandbox, t.config, t.database, `env['res.partner'].create({'name': 'Written before the release ${t.slug}'})\nenv.cr.commit()\nprint_json(True)`)
      const before = await Promise.all(tenants.map((t) => stateOf(t)))
      const forced = await cli(['release', 'apply', id, '--include-failed'])
      expect(forced.code).to.equal(1)
      expect(forced.json.error.code).to.equal('RELEASE_HOST_ROLLED_BACK')
      expect(forced.json.error.message).to.contain('this update fails on purpose')
      expect(forced.json.error.data.notReached).to.deep.equal([names[1]])
      for (const host of hosts) expect(await installed(host)).to.equal(builds.good)
      expect(await Promise.all(tenants.map((t) => stateOf(t)))).to.deep.equal(before)
      for (const t of tenants) expect(await httpsStatus(t.host.sandbox, `${t.slug}.release.example.test`, '/web/health')).to.equal(200)
      const shown = await cli(['release', 'show', id])
      expect(shown.json.release.state).to.equal('failed')
      const rollback = shown.json.release.apply.hosts[names[0]].rollback
      expect(Object.values(rollback.checks).every((c) => (c as {ok: boolean}).ok)).to.equal(true)
      expect(await baseVersion(onA[0])).to.equal(before[tenants.indexOf(onA[0])].modules.find((m: string[]) => m[0] === 'base')[2])
    })
  })
}

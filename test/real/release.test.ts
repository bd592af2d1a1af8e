import {expect} from 'chai'
import {execa} from 'execa'
import {cpSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BIN, ROOT, runCli} from '../helpers/cli.js'
import {odooBuilds, type OdooBuilds} from '../helpers/odoo-builds.js'
import {preparedHost, PREPARED_HOST_TIMEOUT_MS, type PreparedHost} from '../helpers/prepared-host.js'
import {httpsStatus, odooProbe, realSeries} from '../helpers/real-odoo.js'
import {downSharedSandboxes, requireSandboxes, sshRun} from '../helpers/sandbox.js'
import {connectHost} from '../../src/lib/hosts/connect.js'
import {countTables, runSmokeChecks} from '../../src/lib/release/smoke.js'
import {keptCounts} from '../../src/lib/release/tenant-ops.js'
import {SshPool} from '../../src/lib/ssh/pool.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'

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

    it('a template\'s smoke checks run on the real server: a model read as the admin, a report rendered, a bad model and a bad report named; count checks join the kept counts', async function () {
      this.timeout(600_000)
      const t = tenants.find((x) => x.host === hosts[0] && x.mode === 'dedicated')!
      const pool = new SshPool()
      const store = await openStore(parseStateLocation(undefined, env().ODOOPS_DATA_DIR))
      try {
        const conn = await connectHost(store, t.host.host, pool)
        const checks = [{read: 'res.partner'}, {report: 'base.ir_module_reference_print'}, {read: 'sale.order'}, {report: 'sale.report_saleorder'}, {count: 'res.partner.category'}]
        const results = await runSmokeChecks(conn, t.config, t.database, checks)
        expect(results.map((r) => [r.check, r.ok])).to.deep.equal([
          ['read res.partner', true],
          ['report base.ir_module_reference_print', true],
          ['read sale.order', false],
          ['report sale.report_saleorder', false],
        ])
        expect(results[1].detail).to.match(/^ir\.module\.module \d+ rendered \(\d+ bytes\)$/)
        expect(results[2].detail).to.contain('no model sale.order')
        const counts = await keptCounts(conn, t.database, countTables(checks))
        expect(counts).to.have.property('res_partner_category')
        expect(counts.res_partner).to.be.greaterThan(0)
      } finally {
        await store.close()
        await pool.closeAll()
      }
    })

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

    it('an addon release in a release window (the build kept): plan names the module per tenant, rehearse passes on copies, apply switches both services of the first host and upgrades their databases', async function () {
      this.timeout(2_400_000)
      // odoops_demo (test/fixtures/addons): 1.0 adds a field to res.partner; 1.1 a second field and a category record.
      const repo = `rldemo${major}`
      const source = join(work, 'addons-demo')
      const [shared, dedicated] = (['shared', 'dedicated'] as const).map((mode) => tenants.find((t) => t.host === hosts[0] && t.mode === mode)!)
      const onDemo = `print_json({'fields': sorted(k for k in env['res.partner'].fields_get() if k.startswith('odoops_demo')), 'record': bool(env.ref('odoops_demo.category_demo', raise_if_not_found=False)), 'version': env['ir.module.module'].search([('name', '=', 'odoops_demo')]).latest_version})`
      const addonsPath = async (t: (typeof tenants)[number]) => (await sshRun(t.host.sandbox, `grep ^addons_path ${t.config}`)).stdout
      cpSync(join(ROOT, 'test', 'fixtures', 'addons', 'demo-1.0'), source, {recursive: true})
      const first = await cli(['addons', 'repo', 'add', repo, '--dir', source, '--series', series])
      ok(first)
      ok(await cli(['addons', 'deploy', repo, '--host', names[0]]))
      ok(await cli(['addons', 'deploy', repo, '--host', names[0], '--service', dedicated.slug]))
      for (const t of [shared, dedicated]) {
        ok(await cli(['tenant', 'update', t.slug, '--modules', 'odoops_demo'], 900_000))
        // The rehearsal restores the newest verified backup: one with the module installed.
        const run = await cli(['backup', 'run', t.slug])
        ok(run)
        ok(await cli(['backup', 'verify', run.json.results[0].backup.id]))
      }
      cpSync(join(ROOT, 'test', 'fixtures', 'addons', 'demo-1.1'), source, {recursive: true})
      const pinned = await cli(['addons', 'repo', 'update', repo])
      ok(pinned)
      const [from, to] = [first.json.release.sha256 as string, pinned.json.release.sha256 as string]
      expect(to).to.not.equal(from)

      const unknownRepo = await cli(['release', 'plan', '--all', '--addons', `nope${major}@current`])
      expect([unknownRepo.code, unknownRepo.json.error.code]).to.deep.equal([2, 'RELEASE_ADDONS_REPO_UNKNOWN'])
      const unknownRelease = await cli(['release', 'plan', '--all', '--addons', `${repo}@deadbeef`])
      expect([unknownRelease.code, unknownRelease.json.error.code]).to.deep.equal([2, 'RELEASE_ADDONS_RELEASE_UNKNOWN'])

      const planned = await cli(['release', 'plan', '--all', '--addons', `${repo}@${to.slice(0, 12)}`])
      ok(planned)
      const release = planned.json.release
      // Only the first host runs the repository; its build is kept (the failing build offered is not taken).
      expect(release.hosts.map((h: {host: string; from: string; to: string}) => [h.host, h.from === h.to])).to.deep.equal([[names[0], true]])
      const host = release.hosts[0]
      expect(host.addons.map((c: {service: string; from: {sha256: string}[]; to: {sha256: string}[]}) => [c.service, c.from.map((e) => e.sha256), c.to.map((e) => e.sha256)]).sort()).to.deep.equal(
        [[dedicated.slug, [from], [to]], ['shared', [from], [to]]].sort(),
      )
      const modulesOf = Object.fromEntries(host.tenants.map((t: {slug: string; modules: string[]}) => [t.slug, t.modules]))
      expect(modulesOf).to.deep.equal({[shared.slug]: ['odoops_demo'], [dedicated.slug]: ['odoops_demo']})

      const liveBefore = await Promise.all([shared, dedicated].map((t) => addonsPath(t)))
      const rehearsed = await cli(['release', 'rehearse', release.id])
      ok(rehearsed)
      expect(rehearsed.json).to.deep.include({succeeded: 2, failed: 0})
      expect(await Promise.all([shared, dedicated].map((t) => addonsPath(t)))).to.deep.equal(liveBefore)
      for (const t of [shared, dedicated]) expect((await odooProbe(t.host.sandbox, t.config, t.database, onDemo)).version).to.equal(`${series}.1.0`)

      const applied = await cli(['release', 'apply', release.id])
      ok(applied)
      expect(applied.json.release.state).to.equal('applied')
      for (const t of [shared, dedicated]) {
        expect(await addonsPath(t), t.slug).to.contain(to.slice(0, 12))
        expect(await addonsPath(t), t.slug).to.not.contain(from.slice(0, 12))
        expect(await odooProbe(t.host.sandbox, t.config, t.database, onDemo), t.slug).to.deep.equal({fields: ['odoops_demo_since', 'odoops_demo_tier'], record: true, version: `${series}.1.1`})
        expect(await httpsStatus(t.host.sandbox, `${t.slug}.release.example.test`, '/web/health'), t.slug).to.equal(200)
      }
      // The recorded sets: the shared service's on the host, the dedicated tenant's own.
      const shownHost = await cli(['host', 'show', names[0]])
      ok(shownHost)
      expect(shownHost.json.services[series].addons.map((e: {sha256: string}) => e.sha256)).to.deep.equal([to])
      const shownTenant = await cli(['tenant', 'show', dedicated.slug])
      ok(shownTenant)
      expect(shownTenant.json.addons.map((e: {sha256: string}) => e.sha256)).to.deep.equal([to])
      // The upgrade is recorded on the tenant as `addons deploy --upgrade` records it: a plain
      // rollback is refused (the data was migrated), `--restore` would bring the safety backup.
      const refused = await cli(['addons', 'rollback', repo, '--host', names[0], '--service', dedicated.slug])
      expect([refused.code, refused.json.error.code]).to.deep.equal([2, 'ADDONS_ROLLBACK_UPGRADED'])
    })
  })
}

import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {noticeSubject, noticeText} from '../../src/lib/notify/message.js'
import type {Notifier} from '../../src/lib/notify/notifier.js'
import type {FailureNotice, Notice, SummaryNotice} from '../../src/lib/notify/types.js'
import type {Release, ReleaseHostPlan, ReleaseTenantPlan} from '../../src/lib/release/record.js'
import {parseSchedule} from '../../src/lib/schedule/file.js'
import {scheduleReferenceIssues} from '../../src/lib/schedule/references.js'
import {runJob, type JobRunResult} from '../../src/lib/schedule/run-job.js'
import type {JobSpec} from '../../src/lib/schedule/types.js'
import {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {fakeFleet, type FakeReleaseOps} from '../release/fake-release-ops.js'
import {jobEvents, storeOf} from './fleet.js'

/**
 * `kind: release` jobs: an approved release applied in the job's window by applyRelease, against
 * hosts in memory (FakeReleaseOps, as `release apply` is unit-tested, given as JobEnv.releaseOps): per host
 * notices (a failure notice per host rolled back, the summary's ok/failed/skipped hosts), an
 * applied release a harmless no-op, a failed one a failure naming `release show`, an interrupted
 * one resumed. Notices are caught by a recording notifier (delivery is notify.test.ts's part).
 */

const FROM = '17.0.20261120'
const TO = '17.0.20261204'
const OWNER = 'test'

/** Hosts in memory (the fake `release apply` is tested with), each running FROM with its shared unit active, each tenant with its data. */
function fakeHosts(hosts: string[], tenants: string[] = ['acme', 'beta', 'gamma', 'delta']): FakeReleaseOps {
  return fakeFleet(FROM, hosts, tenants, {sharedUnit: 'odoops-shared-17.service'})
}

function tenantPlan(slug: string): ReleaseTenantPlan {
  return {slug, mode: 'shared', database: `${slug}.erp.example`, unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', role: 'odoops_shared_17', dataDir: '/var/lib/odoops/shared-17', serving: true, modules: ['base'], changed: {}}
}

function hostPlan(host: string, slugs: string[]): ReleaseHostPlan {
  return {host, from: FROM, to: TO, sharedUnit: 'odoops-shared-17.service', tenants: slugs.map(tenantPlan)}
}

/** A recording notifier: what runJob sends, in order. */
function recorder(): {notifier: Notifier; sent: {channels: readonly string[] | undefined; notice: Notice}[]} {
  const sent: {channels: readonly string[] | undefined; notice: Notice}[] = []
  const notifier = {
    send(channels: readonly string[] | undefined, notice: Notice) {
      sent.push({channels, notice})
    },
    async flush() {},
  } as unknown as Notifier
  return {notifier, sent}
}

const failures = (sent: {notice: Notice}[]) => sent.map((s) => s.notice).filter((n): n is FailureNotice => n.type === 'failure')
const summaries = (sent: {notice: Notice}[]) => sent.map((s) => s.notice).filter((n): n is SummaryNotice => n.type === 'summary')

describe('schedule: release jobs (in-memory hosts)', () => {
  let store: StateStore
  let seq = 0
  const box = SecretBox.fromKey(randomBytes(32))

  before(async () => {
    store = await openStore({backend: 'local', dir: mkdtempSync(join(tmpdir(), 'odoops-release-job-'))})
  })
  after(async () => store.close())

  /** A fresh release over web1 (acme, beta) and web2 (gamma), or the hosts given; rehearsed unless said. */
  async function newRelease(over: Partial<Release> = {}, hosts: ReleaseHostPlan[] = [hostPlan('web1', ['acme', 'beta']), hostPlan('web2', ['gamma'])]): Promise<string> {
    const id = `rel-20261205T0${String(++seq).padStart(5, '0')}-ab12`
    const release: Release = {id, createdAt: '2026-12-05T01:00:00.000Z', series: '17.0', state: 'rehearsed', hosts, rehearsal: {at: '2026-12-05T02:00:00.000Z', tenants: {}}, ...over}
    await store.releases.insert(release)
    return id
  }

  const releaseOf = async (id: string) => (await store.releases.get(id)) as unknown as Release

  function job(release: string, options: Partial<NonNullable<JobSpec['options']>> = {}): JobSpec {
    return {id: 'window', kind: 'release', cron: '0 2 * * SUN', options: {release, ...options}, notify: {failures: ['ops'], summaries: ['ops']}}
  }

  async function run(spec: JobSpec, hosts: FakeReleaseOps, slot: string): Promise<{result: JobRunResult; sent: {channels: readonly string[] | undefined; notice: Notice}[]; events: Record<string, unknown>[]}> {
    const {notifier, sent} = recorder()
    const events: Record<string, unknown>[] = []
    const result = await runJob({store, dataDir: '/nonexistent', setting: () => undefined, box: async () => box, releaseOps: hosts}, spec, {slot, signal: new AbortController().signal, emit: (e) => events.push(e), notifier, via: OWNER})
    return {result, sent, events}
  }

  it('applies the release host by host in its window: the summary lists the hosts, nothing else is sent', async () => {
    const id = await newRelease()
    const hosts = fakeHosts(['web1', 'web2'])
    const {result, sent} = await run(job(id), hosts, '2026-11-22T02:00Z')
    expect(result).to.include({exitCode: 0, ok: 1, failed: 0, skipped: 0, idle: 0})
    expect(result.units.map((u) => [u.unit, u.status])).to.deep.equal([[id, 'ok']])
    expect(result.units[0].parts).to.deep.equal([
      {name: 'web1', status: 'ok'},
      {name: 'web2', status: 'ok'},
    ])
    expect(result.units[0].detail).to.deep.include({release: id, state: 'applied', remaining: []})
    expect(hosts.installed).to.deep.equal({web1: TO, web2: TO})
    expect(hosts.data).to.include({acme: `acme-data+${TO}`, gamma: `gamma-data+${TO}`})
    expect((await releaseOf(id)).state).to.equal('applied')
    expect(failures(sent)).to.deep.equal([])
    const [s] = summaries(sent)
    expect(s).to.deep.include({job: 'window', kind: 'release', release: id, outcome: 'ok', ok: ['web1', 'web2'], failed: [], skipped: []})
    // One audit event for the run, about the release (no tenant), with its hosts.
    const audited = (await jobEvents(store)).filter((e) => e.details?.unit === id)
    expect(audited.map((e) => [e.tenant, e.outcome])).to.deep.equal([[undefined, 'ok']])
    expect(audited[0].details?.parts).to.deep.equal(result.units[0].parts)
  })

  it('a host that fails is rolled back: one failure notice naming it and release show; the hosts after it not reached', async () => {
    const id = await newRelease({}, [hostPlan('web1', ['acme', 'beta']), hostPlan('web2', ['gamma']), hostPlan('web3', ['delta'])])
    const hosts = fakeHosts(['web1', 'web2', 'web3'])
    hosts.failUpgrade.add('gamma')
    const {result, sent, events} = await run(job(id), hosts, '2026-11-22T02:00Z')
    expect(result).to.include({exitCode: 1, ok: 0, failed: 1})
    expect(result.units[0].error?.code).to.equal('RELEASE_HOST_ROLLED_BACK')
    expect(result.units[0].error?.message).to.match(/\nNot reached: web3\.$/)
    expect(result.units[0].parts?.map((p) => [p.name, p.status])).to.deep.equal([
      ['web1', 'ok'],
      ['web2', 'failed'],
      ['web3', 'skipped'],
    ])
    // web2 back on the build it ran, gamma restored from its safety backup; web3 untouched.
    expect(hosts.installed).to.deep.equal({web1: TO, web2: FROM, web3: FROM})
    expect(hosts.log).to.include('web2: restore gamma from gamma-b3')
    expect(hosts.data).to.include({gamma: 'gamma-data', delta: 'delta-data'})
    expect(hosts.log.filter((l) => l.startsWith('web3') || l === 'backup delta')).to.deep.equal([])
    const told = failures(sent)
    expect(told).to.have.length(1)
    expect(told[0]).to.include({job: 'window', kind: 'release', tenant: 'web2', host: 'web2', release: id})
    expect(told[0].error.code).to.equal('RELEASE_HOST_ROLLED_BACK')
    expect(told[0].error.message).to.equal(`web2 was rolled back to the build it ran: gamma: odoo -u base failed on gamma.erp.example: KeyError (odoops release show ${id})`)
    expect(noticeSubject(told[0])).to.equal('[odoops] window failed for web2: RELEASE_HOST_ROLLED_BACK')
    expect(noticeText(told[0])).to.contain(`failed for host web2 (release ${id}).`)
    const [s] = summaries(sent)
    expect(s.outcome).to.equal('failed')
    expect(s.ok).to.deep.equal(['web1'])
    expect(s.failed.map((f) => [f.tenant, f.code])).to.deep.equal([['web2', 'RELEASE_HOST_ROLLED_BACK']])
    expect(s.skipped).to.deep.equal([{tenant: 'web3', reason: 'not reached: the release stopped at web2'}])
    expect(noticeText(s)).to.contain(`Job window (release of release ${id})`).and.contain('FAILED web2: RELEASE_HOST_ROLLED_BACK')
    expect(events.filter((e) => e.event === 'unit-part').map((e) => [e.part, e.status])).to.deep.equal([
      ['web1', 'ok'],
      ['web2', 'failed'],
      ['web3', 'skipped'],
    ])
    expect((await releaseOf(id)).state).to.equal('failed')

    // The next window: the failed release is a failure notice naming release show, no host touched.
    hosts.log.length = 0
    const again = await run(job(id), hosts, '2026-11-29T02:00Z')
    expect(again.result).to.include({exitCode: 1, failed: 1})
    expect(hosts.log).to.deep.equal([])
    const [notice] = failures(again.sent)
    expect(notice).to.include({tenant: id, release: id})
    expect(notice).to.not.have.property('host')
    expect(notice.error.code).to.equal('RELEASE_FAILED')
    expect(notice.error.message).to.contain(`odoops release show ${id}`)
    expect(noticeText(notice)).to.contain(`failed for release ${id}.`)
    expect(summaries(again.sent)[0].failed.map((f) => f.tenant)).to.deep.equal([id])
  })

  it('a rollback that left problems: that host is the failure; the next window leaves the release to a person', async () => {
    const id = await newRelease({}, [hostPlan('web1', ['acme', 'beta']), hostPlan('web2', ['gamma']), hostPlan('web3', ['delta'])])
    const hosts = fakeHosts(['web1', 'web2', 'web3'])
    // Unhealthy on the new build, and still after the rollback.
    hosts.failCheck.add('gamma')
    const {result, sent} = await run(job(id), hosts, '2026-11-22T02:00Z')
    expect(result.exitCode).to.equal(1)
    expect(result.units[0].error?.code).to.equal('RELEASE_ROLLBACK_INCOMPLETE')
    expect(result.units[0].parts?.map((p) => [p.name, p.status, p.error?.code])).to.deep.equal([
      ['web1', 'ok', undefined],
      ['web2', 'failed', 'RELEASE_ROLLBACK_INCOMPLETE'],
      ['web3', 'skipped', undefined],
    ])
    expect(summaries(sent)[0].skipped).to.deep.equal([{tenant: 'web3', reason: 'not reached: the release stopped at web2'}])
    const told = failures(sent)
    expect(told.map((n) => [n.host, n.error.code])).to.deep.equal([['web2', 'RELEASE_ROLLBACK_INCOMPLETE']])
    expect(told[0].error.message).to.contain('gamma is not healthy after the rollback: 502 Bad Gateway').and.contain(`odoops release show ${id}`)
    expect((await releaseOf(id)).state).to.equal('applying')

    hosts.log.length = 0
    const again = await run(job(id), hosts, '2026-11-29T02:00Z')
    expect(again.result.exitCode).to.equal(1)
    expect(hosts.log).to.deep.equal([])
    const [notice] = failures(again.sent)
    expect(notice.error.code).to.equal('RELEASE_NEEDS_OPERATOR')
    expect(notice.error.message).to.contain('web2 failed and its rollback did not finish (').and.contain(`odoops release apply ${id} --resume by hand`)
  })

  it('a run killed while rolling a failed host back is left to a person too (resuming would apply it again)', async () => {
    const id = await newRelease({
      state: 'applying',
      apply: {
        startedAt: '2026-11-22T02:00:00.000Z',
        hosts: {
          web1: {phase: 'rolling-back', error: {code: 'RELEASE_CHECK_FAILED', message: 'acme is not healthy on the new build: HTTP 502'}, tenants: {acme: {backup: 'acme-safety-0', upgrade: 'done'}}},
          web2: {phase: 'pending', tenants: {}},
        },
      },
    })
    const hosts = fakeHosts(['web1', 'web2'])
    const {result, sent} = await run(job(id), hosts, '2026-11-22T03:00Z')
    expect(result.exitCode).to.equal(1)
    expect(hosts.log).to.deep.equal([])
    expect(failures(sent)[0].error).to.deep.equal({
      code: 'RELEASE_NEEDS_OPERATOR',
      message: `Release ${id}: web1 failed and its rollback did not finish (acme is not healthy on the new build: HTTP 502); the release is not applied again unattended: odoops release show ${id}, then odoops release apply ${id} --resume by hand`,
    })
  })

  it('a release applied already: the job is a no-op, skipped with its reason, exit 0, audited once per window', async () => {
    const id = await newRelease({state: 'applied', apply: {startedAt: '2026-12-06T02:00:00.000Z', finishedAt: '2026-12-06T02:40:00.000Z', hosts: {}}})
    const hosts = fakeHosts(['web1', 'web2'])
    const {result, sent, events} = await run(job(id), hosts, '2026-11-29T02:00Z')
    expect(result).to.include({exitCode: 0, ok: 0, failed: 0, skipped: 1, idle: 1})
    expect(result.units[0]).to.include({status: 'skipped', nothingToDo: true})
    expect(result.units[0].reason).to.equal(`release ${id} is applied already (2026-12-06T02:40:00.000Z): nothing to do; remove job window from the schedule`)
    expect(hosts.log).to.deep.equal([])
    expect(failures(sent)).to.deep.equal([])
    const [s] = summaries(sent)
    expect(s).to.deep.include({outcome: 'skipped', ok: [], failed: [], skipped: [{tenant: id, reason: result.units[0].reason}]})
    expect(events.find((e) => e.event === 'tenant-skipped')).to.include({reason: `skipped: ${result.units[0].reason}`})
    // A second daemon in the same window finds it done (exit 4, as for any unit done by another run).
    const second = await run(job(id), hosts, '2026-11-29T02:00Z')
    expect(second.result.exitCode).to.equal(4)
    expect(second.result.units[0].reason).to.match(/^done by /)
    expect(second.sent).to.deep.equal([])
  })

  it('an interrupted release is resumed: the host in hand rolled back to where it started, then applied', async () => {
    const id = await newRelease({
      state: 'applying',
      apply: {
        startedAt: '2026-12-06T02:00:00.000Z',
        hosts: {
          web1: {phase: 'upgrading', startedAt: '2026-12-06T02:01:00.000Z', packages: {previous: `/p/odoo_${FROM}_all.deb`, next: `/p/odoo_${TO}_all.deb`}, tenants: {acme: {backup: 'acme-safety-0', upgrade: 'started'}, beta: {backup: 'beta-safety-0', upgrade: 'pending'}}},
          web2: {phase: 'pending', tenants: {}},
        },
      },
    })
    const hosts = fakeHosts(['web1', 'web2'])
    // Killed after the install, during acme's -u: the unit stopped, acme's data half updated, both builds kept.
    hosts.installed.web1 = TO
    hosts.active.delete('web1:odoops-shared-17.service')
    hosts.kept.add(`web1:${FROM}`).add(`web1:${TO}`)
    hosts.backups['acme-safety-0'] = {slug: 'acme', data: 'acme-data'}
    hosts.backups['beta-safety-0'] = {slug: 'beta', data: 'beta-data'}
    hosts.data.acme = 'acme-data+half'
    const {result, sent} = await run(job(id), hosts, '2026-11-22T03:00Z')
    expect(result.exitCode).to.equal(0)
    expect(result.units[0].detail).to.deep.include({resumed: true, state: 'applied'})
    // Rolled back first (previous build, acme restored from the backup taken before), then the whole host again.
    const web1 = hosts.log.filter((l) => l.startsWith('web1'))
    expect(web1.slice(0, 4)).to.deep.equal(['web1: settle acme', 'web1: stop odoops-shared-17.service', `web1: install ${FROM}`, 'web1: restore acme from acme-safety-0'])
    expect(web1).to.include(`web1: install ${TO}`)
    expect(hosts.data).to.include({acme: `acme-data+${TO}`, beta: `beta-data+${TO}`})
    // The safety backups kept from the first run are reused, not taken again.
    expect(hosts.log.filter((l) => l.startsWith('backup '))).to.deep.equal(['backup gamma'])
    expect((await releaseOf(id)).state).to.equal('applied')
    expect(summaries(sent)[0].ok).to.deep.equal(['web1', 'web2'])
  })

  it('canary: n hosts per window, the rest listed as left for the next run; the next window goes on', async () => {
    const id = await newRelease()
    const hosts = fakeHosts(['web1', 'web2'])
    const first = await run(job(id, {canary: 1}), hosts, '2026-11-22T02:00Z')
    expect(first.result.exitCode).to.equal(0)
    expect(summaries(first.sent)[0]).to.deep.include({outcome: 'ok', ok: ['web1'], skipped: [{tenant: 'web2', reason: 'left for the next run (canary: 1 host(s) per run)'}]})
    expect((await releaseOf(id)).state).to.equal('applying')
    expect(hosts.installed).to.deep.equal({web1: TO, web2: FROM})
    const second = await run(job(id, {canary: 1}), hosts, '2026-11-29T02:00Z')
    expect(summaries(second.sent)[0]).to.deep.include({outcome: 'ok', ok: ['web2'], skipped: []})
    expect((await releaseOf(id)).state).to.equal('applied')
  })

  it('a host with a tenant that failed rehearsal is skipped with its reason each window (it stays to do), until includeFailed', async () => {
    const rehearsal = {at: '2026-12-05T02:00:00.000Z', tenants: {gamma: {ok: false, host: 'web2', error: 'odoo -u base failed'}}}
    const id = await newRelease({rehearsal})
    const hosts = fakeHosts(['web1', 'web2'])
    const {result, sent} = await run(job(id), hosts, '2026-11-22T02:00Z')
    expect(result.exitCode).to.equal(0)
    expect(result.units[0].detail).to.deep.include({state: 'applying', remaining: ['web2']})
    const [s] = summaries(sent)
    expect(s).to.deep.include({outcome: 'ok', ok: ['web1'], failed: [], skipped: [{tenant: 'web2', reason: 'rehearsal failed for gamma; --include-failed applies it anyway'}]})
    expect(failures(sent)).to.deep.equal([])
    expect(hosts.installed).to.deep.equal({web1: TO, web2: FROM})
    // The partner decides to take it: the same release, includeFailed, the next window.
    const taken = await run(job(id, {includeFailed: true}), hosts, '2026-11-29T02:00Z')
    expect(taken.result.exitCode).to.equal(0)
    expect(summaries(taken.sent)[0]).to.deep.include({ok: ['web2'], skipped: []})
    expect((await releaseOf(id)).state).to.equal('applied')
  })

  it('a release that is not in the store fails the run with RELEASE_NOT_FOUND', async () => {
    const {result, sent} = await run(job('rel-20991231T000000-0000'), fakeHosts([]), '2026-11-22T02:00Z')
    expect(result.exitCode).to.equal(1)
    expect(failures(sent).map((n) => [n.tenant, n.error.code])).to.deep.equal([['rel-20991231T000000-0000', 'RELEASE_NOT_FOUND']])
  })

  describe('schedule validate', () => {
    const file = (jobYaml: string) => `version: 1\njobs:\n${jobYaml}`

    it('needs options.release, a release id, no select; canary and includeFailed are its only other options', () => {
      const issues = (text: string) => parseSchedule(text).issues.map((i) => `${i.line}:${i.path}: ${i.message}`)
      expect(issues(file('  - {id: w, kind: release, cron: "0 2 * * 0"}\n'))).to.deep.equal(['3:/jobs/0: missing property "options"'])
      expect(issues(file('  - id: w\n    kind: release\n    cron: "0 2 * * 0"\n    options: {canary: 1}\n'))).to.deep.equal(['6:/jobs/0/options: missing property "release"'])
      expect(issues(file('  - id: w\n    kind: release\n    cron: "0 2 * * 0"\n    select: {host: web1}\n    options: {release: latest, canary: 0, perHost: 2}\n'))).to.deep.equal([
        '7:/jobs/0/options/perHost: unknown property "perHost"',
        '7:/jobs/0/options/release: must be a release id, rel-YYYYMMDDTHHMMSS-xxxx (odoops release list)',
        '7:/jobs/0/options/canary: must be >= 1',
        '6:/jobs/0/select: a release job updates the hosts its release planned (odoops release show <id>): leave select out (or "all")',
      ])
      const ok = parseSchedule(file('  - id: w\n    kind: release\n    cron: "0 2 * * 0"\n    options: {release: rel-20261204T101500-ab12, canary: 1, includeFailed: true}\n'))
      expect(ok.issues).to.deep.equal([])
    })

    it('against the store: an unknown or failed release is an error at its line; applied or never rehearsed, a warning', async () => {
      const failed = await newRelease({state: 'failed', error: {code: 'RELEASE_HOST_ROLLED_BACK', message: 'web2: gamma unhealthy', host: 'web2'}})
      const applied = await newRelease({state: 'applied'})
      const planned = await newRelease({state: 'planned'})
      const rehearsed = await newRelease()
      const text = file(
        [failed, applied, planned, rehearsed, 'rel-20991231T000000-0000'].map((id, i) => `  - id: w${i}\n    kind: release\n    cron: "0 2 * * 0"\n    options: {release: ${id}}\n`).join('') +
          '  - {id: nightly, kind: backup, cron: "0 1 * * *"}\n',
      )
      const parsed = parseSchedule(text)
      expect(parsed.issues).to.deep.equal([])
      const checked = await scheduleReferenceIssues(parsed.schedule!, text, store)
      expect(checked.issues.map((i) => `${i.line}:${i.path}: ${i.message}`)).to.deep.equal([
        `6:/jobs/0/options/release: release ${failed} failed (web2: gamma unhealthy): it is not applied again (odoops release show ${failed}); plan a new release and name it here`,
        `22:/jobs/4/options/release: no release "rel-20991231T000000-0000" in the state store (odoops release list)`,
      ])
      expect(checked.warnings).to.deep.equal([`job w1: release ${applied} is applied already: each run will skip it; remove the job`, `job w2: release ${planned} was never rehearsed (odoops release rehearse ${planned})`])
    })

    it('schedule validate and apply (CLI) read the store: an unknown release exits 2 at its line, an applied one warns', async function () {
      this.timeout(60_000)
      const env = isolatedEnv()
      const cliStore = await storeOf(env)
      const applied = 'rel-20261122T020000-ab12'
      await cliStore.releases.insert({id: applied, series: '17.0', state: 'applied', hosts: []})
      await cliStore.close()
      const dir = mkdtempSync(join(tmpdir(), 'odoops-release-sched-'))
      const unknown = join(dir, 'unknown.yaml')
      writeFileSync(unknown, file('  - id: window\n    kind: release\n    cron: "0 2 * * 0"\n    options: {release: rel-20991231T000000-0000}\n'))
      const bad = await runCli(['schedule', 'validate', unknown, '--json'], {env})
      expect(bad.code).to.equal(2)
      expect(bad.json.error.message).to.contain(`${unknown}:6:`).and.contain('no release "rel-20991231T000000-0000" in the state store')
      const refused = await runCli(['schedule', 'apply', unknown, '--json'], {env})
      expect(refused.code).to.equal(2)
      const stale = join(dir, 'applied.yaml')
      writeFileSync(stale, file(`  - id: window\n    kind: release\n    cron: "0 2 * * 0"\n    options: {release: ${applied}}\n`))
      const good = await runCli(['schedule', 'validate', stale, '--json'], {env})
      expect(good.code, good.stderr).to.equal(0)
      expect(good.json).to.deep.include({valid: true, storeChecked: true, jobs: [{id: 'window', kind: 'release', cron: '0 2 * * 0'}]})
      expect(good.json.warnings).to.deep.equal([`job window: release ${applied} is applied already: each run will skip it; remove the job`])
    })
  })
})

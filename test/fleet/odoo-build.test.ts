import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {behindCell, odooBuildLines, odooBuildOf, type FleetOdooBuild} from '../../src/lib/fleet/odoo-build.js'
import {fleetStatus, type FleetStatusReport} from '../../src/lib/fleet/status.js'
import {openStore} from '../../src/lib/state/open.js'
import type {HostRecord, SharedServiceRecord, TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {scriptedHost} from './scripted-host.js'

/**
 * `fleet status` shows the Odoo build each tenant runs (its host's service of the series) and
 * how many builds behind the newest offered it is, from what `release plan` last read of the
 * host's Odoo source; information only, never points. The host is a scripted connection (unit
 * active, disk and database read; no nginx, so every active tenant keeps one health-failed
 * deduction), as in pack-checks.test.ts.
 */

const NOW = new Date('2026-12-05T12:00:00.000Z')
const SHA_A = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2'
const SHA_B = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100'

function service(over: Partial<SharedServiceRecord> = {}): SharedServiceRecord {
  return {
    series: '17.0',
    odooVersion: '17.0-20261120',
    unit: 'odoops-shared-17.service',
    config: '/etc/odoops/shared-17.conf',
    dataDir: '/var/lib/odoops/shared-17',
    logFile: '/var/log/odoops/shared-17.log',
    httpPort: 8069,
    geventPort: 8072,
    role: 'odoops_shared_17',
    pgHost: '127.0.0.1',
    pgPort: 5432,
    databases: [],
    preparedAt: '2026-11-20T10:00:00.000Z',
    ...over,
  }
}

const OFFERED = {versions: ['17.0.20261101', '17.0.20261120', '17.0.20261127', '17.0.20261204'], checkedAt: '2026-12-04T09:00:00.000Z'}

describe('fleet status: the Odoo build each tenant runs', () => {
  describe('odooBuildOf', () => {
    it('counts the builds offered newer than the installed package (Debian order, not string order)', () => {
      const build = odooBuildOf({series: '17.0'}, {services: {'17.0': service({odooPackage: '17.0.20261120', odooAvailable: OFFERED})}})
      expect(build).to.deep.equal({series: '17.0', build: '17.0.20261120', source: 'package', newest: '17.0.20261204', behind: 2, checkedAt: '2026-12-04T09:00:00.000Z'})
      // 1.10 is newer than 1.9 for dpkg, older as strings; a ~ build sorts before its release.
      const odd = odooBuildOf({series: '17.0'}, {services: {'17.0': service({odooPackage: '17.0.9', odooAvailable: {versions: ['17.0.9~rc1', '17.0.9', '17.0.10'], checkedAt: OFFERED.checkedAt}})}})
      expect(odd?.behind).to.equal(1)
    })

    it('is 0 on the newest build, and on a build newer than anything offered', () => {
      expect(odooBuildOf({series: '17.0'}, {services: {'17.0': service({odooPackage: '17.0.20261204', odooAvailable: OFFERED})}})?.behind).to.equal(0)
      expect(odooBuildOf({series: '17.0'}, {services: {'17.0': service({odooPackage: '17.0.20261231', odooAvailable: OFFERED})}})?.behind).to.equal(0)
    })

    it('is unknown (null) when release plan never read the source, or only odoo --version is recorded', () => {
      expect(odooBuildOf({series: '17.0'}, {services: {'17.0': service({odooPackage: '17.0.20261120'})}})).to.deep.equal({
        series: '17.0',
        build: '17.0.20261120',
        source: 'package',
        newest: null,
        behind: null,
        checkedAt: null,
      })
      // Prepared before odoops recorded the package: the build falls back to odooVersion, which does not compare with apt's versions.
      expect(odooBuildOf({series: '17.0'}, {services: {'17.0': service({odooAvailable: OFFERED})}})).to.include({build: '17.0-20261120', source: 'version', behind: null, newest: '17.0.20261204'})
    })

    it('is null without a record of the series on the host', () => {
      expect(odooBuildOf({series: '16.0'}, {services: {'17.0': service()}})).to.equal(null)
      expect(odooBuildOf({series: '17.0'}, undefined)).to.equal(null)
    })
  })

  it('the lines under the table: hosts behind (most first), then those never checked; nothing when all are newest', () => {
    const row = (tenant: string, host: string, odoo: FleetOdooBuild | null) => ({tenant, host, odoo})
    const at = (behind: number | null, build = '17.0.20261120'): FleetOdooBuild => ({series: '17.0', build, source: 'package', newest: behind === null ? null : '17.0.20261204', behind, checkedAt: behind === null ? null : OFFERED.checkedAt})
    const lines = odooBuildLines([row('a', 'web1', at(2)), row('b', 'web1', at(2)), row('c', 'web2', at(3, '17.0.20261101')), row('d', 'web3', at(0, '17.0.20261204')), row('e', 'web4', at(null)), row('f', 'web5', null)])
    expect(lines).to.deep.equal([
      'web2 17.0: runs 17.0.20261101, 3 builds behind 17.0.20261204 (offered on 2026-12-04; 1 tenant): odoops release plan --host web2 --series 17.0',
      'web1 17.0: runs 17.0.20261120, 2 builds behind 17.0.20261204 (offered on 2026-12-04; 2 tenants): odoops release plan --host web1 --series 17.0',
      'web4 17.0: runs 17.0.20261120; builds behind unknown (never checked): run odoops release plan --host web4 --series 17.0',
    ])
    expect(odooBuildLines([row('d', 'web3', at(0))])).to.deep.equal([])
    expect([at(2), at(0), at(null), null].map(behindCell)).to.deep.equal(['2', '0', 'unknown', ''])
  })

  describe('in the report (--json)', () => {
    let store: StateStore


    const tenant = (id: string, host: string, extra: Partial<TenantRecord> = {}): TenantRecord => ({
      id,
      host,
      mode: 'shared',
      domain: `${id}.erp.example`,
      series: '17.0',
      database: `${id}.erp.example`,
      state: 'active',
      service: {unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', dataDir: '/var/lib/odoops/shared-17', httpPort: 8069, geventPort: 8072, role: 'odoops_shared_17'},
      ...extra,
    })

    const host = (id: string, svc: SharedServiceRecord): HostRecord => ({id, address: `${id}.example`, port: 22, user: 'root', services: {'17.0': svc}})

    before(async () => {
      store = await openStore({backend: 'local', dir: mkdtempSync(join(tmpdir(), 'odoops-fleet-odoo-'))})
      await store.hosts.put(host('web1', service({odooPackage: '17.0.20261120', odooAvailable: OFFERED, addons: [{repo: 'acme-addons', sha256: SHA_A}]})))
      await store.hosts.put(host('web2', service({odooPackage: '17.0.20261204'})))
      await store.tenants.put(tenant('acme', 'web1'))
      await store.tenants.put(tenant('solo', 'web1', {mode: 'dedicated', addons: [{repo: 'solo-addons', sha256: SHA_B}]}))
      await store.tenants.put(tenant('beta', 'web2'))
      for (const slug of ['acme', 'solo', 'beta']) {
        await store.backups.put({id: `${slug}-b1`, tenant: slug, target: 'default', status: 'complete', startedAt: '2026-12-05T02:00:00.000Z', verification: {status: 'verified', at: '2026-12-05T04:00:00.000Z'}})
      }
    })
    after(async () => store.close())

    it('each row has its build, the newest offered and how far behind; addons as repo@sha256 prefix; no points for it', async () => {
      const report = JSON.parse(JSON.stringify(await fleetStatus({store, rpo: {defaultHours: 24, byPlan: {}}, now: () => NOW, connect: scriptedHost, packChecks: {checks: []}}))) as FleetStatusReport
      const row = (slug: string) => report.tenants.find((t) => t.tenant === slug)!
      expect(row('acme').odoo).to.deep.equal({series: '17.0', build: '17.0.20261120', source: 'package', newest: '17.0.20261204', behind: 2, checkedAt: '2026-12-04T09:00:00.000Z'})
      // A dedicated tenant runs its host's package too.
      expect(row('solo').odoo).to.include({build: '17.0.20261120', behind: 2})
      expect(row('beta').odoo).to.deep.equal({series: '17.0', build: '17.0.20261204', source: 'package', newest: null, behind: null, checkedAt: null})
      expect(row('acme').addons.map((a) => `${a.repo}@${a.release}`)).to.deep.equal([`acme-addons@sha256:${SHA_A.slice(0, 12)}`])
      expect(row('solo').addons.map((a) => `${a.repo}@${a.release}`)).to.deep.equal([`solo-addons@sha256:${SHA_B.slice(0, 12)}`])
      // Two builds behind costs nothing: only the missing nginx is deducted, as for the up-to-date host.
      for (const slug of ['acme', 'solo', 'beta']) expect(row(slug).deductions.map((d) => d.code)).to.deep.equal(['health-failed'])
      expect(report.breaches).to.equal(3)
      expect(odooBuildLines(report.tenants)).to.deep.equal([
        'web1 17.0: runs 17.0.20261120, 2 builds behind 17.0.20261204 (offered on 2026-12-04; 2 tenants): odoops release plan --host web1 --series 17.0',
        'web2 17.0: runs 17.0.20261204; builds behind unknown (never checked): run odoops release plan --host web2 --series 17.0',
      ])
    })
  })
})

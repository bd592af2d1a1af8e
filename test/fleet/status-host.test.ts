import {expect} from 'chai'
import {join} from 'node:path'
import {ROOT, runCli} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {tenantWithData, type TenantWithData} from '../helpers/tenant-with-data.js'
import {withStore} from '../helpers/store.js'

interface Row {
  tenant: string
  host: string
  status: string
  score: number
  http: {ok: boolean} | null
  service: {active: string} | null
  diskFreeBytes: number | null
  rpo: {hours: number; source: string}
  backups: {newest: {id: string; ageHours: number} | null; newestVerified: {id: string; ageHours: number} | null; lastVerification: {status: string} | null}
  usage: {plan: string; checks: {metric: string; value: string; threshold: number; over: boolean}[]} | null
  deductions: {code: string; points: number; breach: boolean; reason: string}[]
}

/**
 * `fleet status` on a prepared host (fixture Odoo): one tenant whose newest VERIFIED
 * backup (a real backup run + verify, its time then moved 3 days back in the catalog) is
 * older than the 24 h RPO while a fresh unverified one exists, one tenant over its plan's
 * fair-use threshold (plan applied from templates/plans/, usage snapshots inserted), and a
 * tenant on a host that cannot be reached: both flagged with the reasons, the unreachable
 * host marks its tenant without failing the command, exit 1.
 */
describe('fleet status on a prepared host @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  let stale: TenantWithData
  let greedy: TenantWithData
  const cli = async (args: string[], expected = 0) => {
    const r = await runCli(args, {env, timeoutMs: 300_000})
    expect(r.code, `odoops ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).to.equal(expected)
    return r
  }

  before(async function () {
    a = await preparedHostFor(this, 900_000)
    env = a.env
    stale = await tenantWithData(a, {prefix: 'fs-stale', attachments: 3})
    greedy = await tenantWithData(a, {prefix: 'fs-greedy', attachments: 3})

    // stale: a backup verified for real, then moved 3 days into the past; a newer one unverified.
    const first = (await cli(['backup', 'run', stale.slug, '--json'])).json.results[0].backup.id as string
    await cli(['backup', 'verify', first, '--json'])
    const threeDaysAgo = new Date(Date.now() - 72 * 3_600_000).toISOString()
    await withStore(env, (store) => store.backups.update(first, {startedAt: threeDaysAgo}))
    await cli(['backup', 'run', stale.slug, '--json'])

    // greedy: on Business Unlimited (50 internal users fair use) with 75 measured today.
    await cli(['plan', 'apply', join(ROOT, 'templates/plans/unlimited.yaml'), '--json'])
    await cli(['tenant', 'set-plan', greedy.slug, 'business-unlimited', '--json'])
    const today = new Date().toISOString().slice(0, 10)
    await withStore(env, async (store) => {
      for (const [metric, value, unit] of [['users.internal', 75, 'count'], ['storage.database_bytes', 2e9, 'B'], ['storage.filestore_bytes', 1e9, 'B'], ['invoices.posted', 12, 'count']] as const) {
        await store.usageSnapshots.put({id: `${greedy.slug}/${today}/${metric}`, tenant: greedy.slug, date: today, metric, value, unit, queryVersion: 1, odooVersion: '17.0', collectedAt: new Date().toISOString()})
      }
    })
  })

  it('warns of the stale verified backup, flags the fair-use breach with their reasons, and exits 1', async function () {
    this.timeout(300_000)
    const r = await cli(['fleet', 'status', '--host', a.host, '--json'], 1)
    const rows = r.json.tenants as Row[]
    const s = rows.find((t) => t.tenant === stale.slug)!
    const g = rows.find((t) => t.tenant === greedy.slug)!
    expect(r.json.hosts).to.deep.include({host: a.host, reachable: true, tenants: rows.length})

    // Both are up: health through nginx, service active, disk free read on the host.
    for (const row of [s, g]) {
      expect(row.http?.ok, row.tenant).to.equal(true)
      expect(row.service?.active, row.tenant).to.equal('active')
      expect(row.diskFreeBytes, row.tenant).to.be.greaterThan(1024 ** 3)
    }

    // A verified backup older than the RPO is a warning (one did restore), not a breach.
    expect(s.status).to.equal('warning')
    expect(s.rpo).to.deep.equal({hours: 24, source: 'config'})
    expect(s.backups.newest!.ageHours).to.be.below(1)
    expect(s.backups.newestVerified!.ageHours).to.be.within(71.9, 73)
    expect(s.backups.lastVerification?.status).to.equal('verified')
    expect(s.deductions.map((d) => d.code)).to.deep.equal(['verified-stale'])
    expect(s.deductions[0].reason).to.contain(s.backups.newestVerified!.id).and.contain('RPO 24 h')
    expect(s.score).to.equal(85)

    expect(g.status).to.equal('breach')
    expect(g.usage?.plan).to.equal('business-unlimited')
    expect(g.usage?.checks.find((c) => c.metric === 'users.internal')).to.deep.include({value: '75', threshold: 50, over: true})
    const codes = g.deductions.map((d) => d.code)
    expect(codes).to.include('fair-use-over')
    // Created minutes ago: no backup yet is a warning, not a breach.
    expect(codes).to.include('no-backup-yet')
    expect(g.deductions.filter((d) => d.breach).map((d) => d.code)).to.deep.equal(['fair-use-over'])
    expect(g.deductions.find((d) => d.code === 'fair-use-over')!.reason).to.contain('users.internal 75 over the fair-use threshold 50')

    // The human form: one row each, the deductions with their reasons.
    const text = await cli(['fleet', 'status', '--host', a.host], 1)
    expect(text.stdout).to.match(new RegExp(`${stale.slug}\\s+${a.host}\\s+85\\s+warning`))
    expect(text.stdout).to.contain(`${greedy.slug}  -10  fair-use-over: users.internal 75`)
  })

  it('marks the tenants of a host that cannot be reached, without failing on it', async function () {
    this.timeout(300_000)
    // A registered host nobody listens for (port 1 on loopback: connection refused at once).
    await withStore(env, async (store) => {
      await store.hosts.insert({id: 'fs-ghost', address: '127.0.0.1', port: 1, user: 'root', hostKey: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'})
      await store.tenants.insert({id: 'fs-ghost-t', host: 'fs-ghost', mode: 'shared', domain: 'fs-ghost-t.example.test', series: '17.0', database: 'fs-ghost-t.example.test', state: 'active', service: {unit: 'odoo-17.service', config: '/etc/odoo/x.conf', dataDir: '/var/lib/odoo', httpPort: 8069, geventPort: 8072, role: 'odoo'}})
    })
    try {
      const r = await cli(['fleet', 'status', '--json'], 1)
      const ghost = (r.json.tenants as Row[]).find((t) => t.tenant === 'fs-ghost-t')!
      expect(r.json.hosts.find((h: {host: string}) => h.host === 'fs-ghost')).to.include({reachable: false, tenants: 1})
      expect(ghost.status).to.equal('breach')
      expect(ghost.deductions[0].code).to.equal('host-unreachable')
      // The reachable host's tenants are still checked in the same run.
      expect((r.json.tenants as Row[]).find((t) => t.tenant === stale.slug)?.http?.ok).to.equal(true)
    } finally {
      await withStore(env, async (store) => {
        await store.tenants.delete('fs-ghost-t')
        await store.hosts.delete('fs-ghost')
      })
    }
  })

  it('fleet report counts these tenants and backups in the month', async function () {
    this.timeout(120_000)
    const period = new Date().toISOString().slice(0, 7)
    const r = await cli(['fleet', 'report', '--period', period, '--json'])
    expect(r.json.onboarding.tenants).to.include.members([stale.slug, greedy.slug])
    expect(r.json.backups.succeeded).to.be.at.least(2)
    expect(r.json.verification.verified).to.be.at.least(1)
    expect(r.json.fairUse.breaches.map((b: {tenant: string}) => b.tenant)).to.include(greedy.slug)
  })
})

import {expect} from 'chai'
import {execa} from 'execa'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {CHART_COLORS} from '../../src/lib/fleet/svg.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {AuditEvent} from '../../src/lib/state/records.js'
import {isolatedEnv, ROOT, runCli} from '../helpers/cli.js'
import {requireTool} from '../helpers/tools.js'
import {countColor, decodePng} from './png.js'

const CHROMIUM = process.env.ODOOPS_CHROMIUM ?? '/usr/bin/chromium'

/** Headless Chromium as root in a container: no sandbox, no GPU, a throwaway profile. */
async function chromium(args: string[]): Promise<{stdout: string; stderr: string}> {
  const profile = mkdtempSync(join(tmpdir(), 'odoops-chromium-'))
  const result = await execa(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-extensions', `--user-data-dir=${profile}`, ...args], {reject: false, timeout: 120_000})
  if (result.exitCode !== 0) throw new Error(`chromium failed (exit ${result.exitCode}): ${result.stderr}`)
  return {stdout: result.stdout, stderr: result.stderr}
}

const ev = (command: string, time: string, over: Partial<AuditEvent> = {}): AuditEvent => ({time, user: 'ops', machine: 'ops1', command, args: [], outcome: 'ok', exitCode: 0, durationMs: 2000, ...over})

/**
 * `fleet report` through the built CLI on a store seeded with a month of activity
 * (February 2026): the KPIs in JSON and the table, and the HTML page opened in headless
 * Chromium (Debian's chromium): its DOM holds the SVG charts and a screenshot shows their
 * colours.
 */
describe('fleet report (CLI, HTML in headless Chromium)', function () {
  const env = isolatedEnv()
  const out = mkdtempSync(join(tmpdir(), 'odoops-fleet-report-'))
  const htmlFile = join(out, 'scorecard-2026-02.html')

  before(async function () {
    this.timeout(120_000)
    const apply = await runCli(['plan', 'apply', join(ROOT, 'templates/plans/unlimited.yaml'), '--json'], {env})
    expect(apply.code, apply.stdout + apply.stderr).to.equal(0)
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    try {
      const tenant = (id: string) => ({id, host: 'web1', mode: 'shared' as const, domain: `${id}.example.test`, series: '17.0', database: `${id}.example.test`, state: 'active' as const, plan: 'business-unlimited', planHistory: [{plan: 'business-unlimited', from: '2026-01-01'}]})
      for (const id of ['acme', 'bigco', 'corner']) await store.tenants.insert(tenant(id))
      // Onboarding: acme 1 h 30 m, bigco 45 m (resumed after a failure), corner failed.
      await store.onboardingRuns.insert({id: 'r-acme', template: 'starter', state: 'done', customer: 'acme', startedAt: '2026-02-03T09:00:00.000Z', finishedAt: '2026-02-03T10:30:00.000Z'})
      await store.onboardingRuns.insert({id: 'r-bigco', template: 'distribution', state: 'done', customer: 'bigco', startedAt: '2026-02-09T14:00:00.000Z', finishedAt: '2026-02-09T14:45:00.000Z'})
      await store.onboardingRuns.insert({id: 'r-corner', template: 'services', state: 'failed', customer: 'corner', startedAt: '2026-02-16T08:00:00.000Z'})
      await store.audit.append(ev('onboard', '2026-02-03T10:30:01.000Z', {tenant: 'acme'}))
      await store.audit.append(ev('onboard', '2026-02-09T14:45:01.000Z', {tenant: 'bigco'}))
      // Nightly backups of 3 tenants on each of the 28 days; on the 10th and 20th one fails.
      for (let day = 1; day <= 28; day++) {
        const date = `2026-02-${String(day).padStart(2, '0')}`
        const failed = day === 10 || day === 20 ? 1 : 0
        await store.audit.append(ev('backup:run', `${date}T02:10:00.000Z`, {outcome: failed ? 'partial' : 'ok', exitCode: failed ? 3 : 0, details: {tenants: ['acme', 'bigco', 'corner'], succeeded: 3 - failed, failed}}))
        await store.backups.insert({id: `acme-${date}`, tenant: 'acme', target: 'default', status: 'complete', startedAt: `${date}T02:00:00.000Z`, ...(day % 7 === 0 ? {verification: {status: 'verified', at: `${date}T05:00:00.000Z`, durationMs: 1000}} : {})})
      }
      // Weekly verification of the 3 newest: one failed in the second week.
      for (const [date, verified, failed] of [['2026-02-07', 3, 0], ['2026-02-14', 2, 1], ['2026-02-21', 3, 0], ['2026-02-28', 3, 0]] as const) {
        await store.audit.append(ev('backup:verify', `${date}T05:00:00.000Z`, {outcome: failed ? 'error' : 'ok', exitCode: failed ? 1 : 0, details: {backups: ['x', 'y', 'z'], verified, failed, errors: 0}}))
      }
      // Usage: acme 62 internal users (threshold 50), bigco 130 GB storage (threshold 100), corner within.
      const snap = (tenant: string, metric: string, value: number, unit: string) => store.usageSnapshots.insert({id: `${tenant}/2026-02-15/${metric}`, tenant, date: '2026-02-15', metric, value, unit, queryVersion: 1, odooVersion: '17.0', collectedAt: '2026-02-15T23:00:00.000Z'})
      for (const [tenant, users, db, fs] of [['acme', 62, 5e9, 5e9], ['bigco', 20, 80e9, 50e9], ['corner', 8, 1e9, 1e9]] as const) {
        await snap(tenant, 'users.internal', users, 'count')
        await snap(tenant, 'storage.database_bytes', db, 'B')
        await snap(tenant, 'storage.filestore_bytes', fs, 'B')
      }
    } finally {
      await store.close()
    }
  })

  it('computes the KPIs from the audit trail and the store (--format json)', async () => {
    const r = await runCli(['fleet', 'report', '--period', '2026-02', '--format', 'json'], {env})
    expect(r.code, r.stderr).to.equal(0)
    const report = r.json
    expect(report.onboarding).to.deep.include({tenantsOnboarded: 2, tenants: ['acme', 'bigco'], runsStarted: 3, runsFailed: 1})
    expect(report.onboarding.goLiveStats).to.deep.equal({count: 2, medianMs: (90 + 45) * 30_000, meanMs: (90 + 45) * 30_000, maxMs: 90 * 60_000})
    // 28 nights × 3 tenants = 84 attempts, 2 failed: 82/84.
    expect(report.backups).to.deep.include({attempts: 84, succeeded: 82, failed: 2, successRate: Math.round((82 / 84) * 10_000) / 10_000, taken: 28, takenVerified: 4})
    expect(report.verification).to.deep.equal({attempts: 12, verified: 11, failed: 1, errors: 0, passRate: Math.round((11 / 12) * 10_000) / 10_000})
    expect(report.fairUse.tenantsChecked).to.equal(3)
    expect(report.fairUse.breaches.map((b: {tenant: string; metric: string; value: string}) => [b.tenant, b.metric, b.value])).to.deep.equal([
      ['acme', 'users.internal', '62'],
      ['bigco', 'storage.total', '130'],
    ])
  })

  it('prints the scorecard as a table', async () => {
    const r = await runCli(['fleet', 'report', '--period', '2026-02'], {env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/Tenants onboarded\s+2/).and.match(/Backup success rate\s+97\.6%/).and.match(/Verification pass rate\s+91\.7%/).and.match(/Fair-use breaches\s+2/)
  })

  it('refuses a period that is not YYYY-MM (exit 2)', async () => {
    const r = await runCli(['fleet', 'report', '--period', '2026-13'], {env})
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain('PERIOD_INVALID')
  })

  it('writes a self-contained HTML page: inline CSS and SVG, no script, no external resource', async () => {
    const r = await runCli(['fleet', 'report', '--period', '2026-02', '--format', 'html', '--output', htmlFile], {env})
    expect(r.code, r.stderr).to.equal(0)
    const html = readFileSync(htmlFile, 'utf8')
    expect(html).to.match(/^<!DOCTYPE html>/).and.contain('<style>')
    expect(html).not.to.match(/<script|<link|<img|@import|url\(/i)
    // The only URL is the SVG namespace name (an identifier, never fetched).
    expect(html.match(/https?:\/\/[^"'\s<]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).to.deep.equal([])
    expect(html).to.contain('@media print')
  })

  it('renders in headless Chromium: the DOM holds the charts and a screenshot shows their colours', async function () {
    this.timeout(300_000)
    requireTool(this, CHROMIUM, {debianPackage: 'chromium'})
    const dom = (await chromium(['--dump-dom', `file://${htmlFile}`])).stdout
    expect(dom.match(/<svg/g)?.length).to.equal(6) // go-live, backups per day, 3 rings, fair use
    // Backups per day: 28 green bars and 2 red ones; go-live: 2 bars; fair use: 2 bars.
    expect(dom.match(new RegExp(`class="bar"[^>]*fill="${CHART_COLORS.success}"`, 'g'))?.length).to.equal(28)
    expect(dom.match(new RegExp(`class="bar"[^>]*fill="${CHART_COLORS.failure}"`, 'g'))?.length).to.equal(2)
    expect(dom.match(new RegExp(`class="bar"[^>]*fill="${CHART_COLORS.accent}"`, 'g'))?.length).to.equal(2)
    expect(dom.match(new RegExp(`class="bar"[^>]*fill="${CHART_COLORS.warning}"`, 'g'))?.length).to.equal(2)
    expect(dom).to.contain('97.6%').and.contain('91.7%')

    const png = join(out, 'scorecard.png')
    await chromium([`--screenshot=${png}`, '--window-size=1200,2000', `file://${htmlFile}`])
    expect(statSync(png).size).to.be.greaterThan(20_000)
    const image = decodePng(readFileSync(png))
    expect([image.width, image.height]).to.deep.equal([1200, 2000])
    // Each chart colour covers a real area (bars and rings), not a stray pixel of text.
    const area = {success: countColor(image, CHART_COLORS.success), failure: countColor(image, CHART_COLORS.failure), accent: countColor(image, CHART_COLORS.accent), warning: countColor(image, CHART_COLORS.warning)}
    writeFileSync(join(out, 'colours.json'), JSON.stringify(area))
    expect(area.success, 'green bars and ring').to.be.greaterThan(5000)
    expect(area.failure, 'red bars').to.be.greaterThan(100)
    expect(area.accent, 'blue go-live bars and ring').to.be.greaterThan(3000)
    expect(area.warning, 'orange fair-use bars and ring').to.be.greaterThan(2000)
    process.stdout.write(`      screenshot: ${png} (${JSON.stringify(area)})\n`)
  })
})

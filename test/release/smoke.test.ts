import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {checkLabel, countTables, smokeSummary, templateChecksLookup} from '../../src/lib/release/smoke.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {CORE_TEMPLATE_DIR, parseTemplate} from '../../src/lib/templates/index.js'

describe('release smoke checks from templates', () => {
  let store: StateStore
  let dir: string
  const run = (id: string, customer: string, template: string, checks: unknown[] | undefined, finishedAt: string, state = 'done') => ({
    id,
    template,
    templateVersion: 1,
    templateSnapshot: {name: 'x', title: 'x', version: 1, series: ['17.0'], modules: [], ...(checks ? {checks} : {})},
    state,
    customer,
    customerName: customer,
    domain: `${customer}.example.test`,
    autoPlace: true,
    answers: {},
    secretAnswers: [],
    steps: [],
    users: [],
    backupId: null,
    startedAt: finishedAt,
    finishedAt,
  })

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'odoops-smoke-'))
    store = await openStore(parseStateLocation(undefined, join(dir, 'data')))
  })

  afterEach(async () => {
    await store.close()
  })

  it('the schema takes read, report and count checks and refuses anything else', () => {
    const base = readFileSync(join(CORE_TEMPLATE_DIR, 'starter.yaml'), 'utf8')
    const good = parseTemplate(`${base}\nchecks:\n  - read: sale.order\n  - report: sale.report_saleorder\n  - count: res.partner\n`)
    expect(good.issues).to.deep.equal([])
    expect(good.template?.checks).to.deep.equal([{read: 'sale.order'}, {report: 'sale.report_saleorder'}, {count: 'res.partner'}])
    for (const bad of ['  - read: "sale.order; DROP TABLE x"', '  - write: sale.order', '  - {read: sale.order, count: res.partner}', '  - count: Partner']) {
      expect(parseTemplate(`${base}\nchecks:\n${bad}\n`).issues.length, bad).to.be.greaterThan(0)
    }
  })

  it('a tenant\'s checks come from its newest finished onboarding: the template as it is now, else its snapshot; none without an onboarding', async () => {
    expect((await templateChecksLookup(store))('acme')).to.equal(undefined)
    await store.onboardingRuns.insert(run('r1', 'acme', 'gone-template', [{read: 'res.partner'}], '2026-11-01T00:00:00Z'))
    await store.onboardingRuns.insert(run('r2', 'acme', 'gone-template', [{count: 'sale.order'}], '2026-11-02T00:00:00Z', 'failed'))
    await store.onboardingRuns.insert(run('r3', 'other', 'gone-template', [{read: 'crm.lead'}], '2026-11-03T00:00:00Z'))
    expect((await templateChecksLookup(store))('acme')).to.deep.equal({template: 'gone-template', checks: [{read: 'res.partner'}]})

    // The template file still loads: its checks of today, not the snapshot's.
    const file = join(dir, 'retail.yaml')
    writeFileSync(file, `${readFileSync(join(CORE_TEMPLATE_DIR, 'starter.yaml'), 'utf8')}\nchecks:\n  - report: sale.report_saleorder\n`)
    await store.onboardingRuns.insert(run('r4', 'acme', file, [{read: 'res.partner'}], '2026-11-04T00:00:00Z'))
    expect((await templateChecksLookup(store))('acme')).to.deep.equal({template: file, checks: [{report: 'sale.report_saleorder'}]})
  })

  it('labels, count tables by Odoo\'s naming rule, and one summary line', () => {
    expect(checkLabel({report: 'sale.report_saleorder'})).to.equal('report sale.report_saleorder')
    expect(countTables([{read: 'a.b'}, {count: 'sale.order.line'}])).to.deep.equal(['sale_order_line'])
    expect(smokeSummary([{check: 'read a.b', ok: true, detail: '1 record(s) read'}])).to.equal('1 smoke check(s) pass')
    expect(smokeSummary([{check: 'read a.b', ok: true, detail: ''}, {check: 'report x.y', ok: false, detail: 'ValueError: boom'}])).to.equal('report x.y: ValueError: boom')
  })
})

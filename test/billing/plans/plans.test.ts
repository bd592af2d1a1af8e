import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parsePlan} from '../../../src/lib/billing/plans/file.js'
import {applyPlan, getPlanVersion, listPlans, versionForPeriod} from '../../../src/lib/billing/plans/store.js'
import {openStore} from '../../../src/lib/state/open.js'
import {PLAN_DIR, templatePlan, version} from '../helpers.js'

const issuesOf = (text: string) => parsePlan(text).issues.map((i) => `${i.path}: ${i.message}`)

describe('billing: plan files (schema and rules)', () => {
  it('the four example plans in templates/plans validate, one of each kind', () => {
    const files = readdirSync(PLAN_DIR).filter((f) => f.endsWith('.yaml'))
    expect(files).to.have.length.at.least(4)
    const kinds = files.map((f) => {
      const parsed = parsePlan(readFileSync(join(PLAN_DIR, f), 'utf8'))
      expect(parsed.issues, f).to.deep.equal([])
      return parsed.plan!.kind
    })
    expect(kinds).to.include.members(['per-user', 'unlimited', 'bands', 'hybrid'])
  })

  it('reports every schema error with its path and line:column', () => {
    const parsed = parsePlan(['id: Bad', 'name: x', 'kind: hybrid', 'currency: EUR', 'period: weekly', 'tax: {category: S, percent: 21}', 'extra: 1', 'components:', '  - type: flat', '    price: abc', '  - type: nope'].join('\n'))
    const found = parsed.issues.map((i) => [i.path, i.line])
    expect(found).to.deep.include.members([
      ['/id', 1],
      ['/period', 5],
      ['/extra', 7],
      ['/components/0', 9],
      ['/components/0/price', 10],
      ['/components/1/type', 11],
    ])
    expect(parsed.plan).to.equal(undefined)
  })

  it('rules across fields: kind composition, declared aggregations, band order, tax, currency', () => {
    const base = (body: string, extra = '') => `id: p\nname: P\nkind: ${body}\nperiod: monthly\n${extra}`
    expect(issuesOf(base('per-user\ncurrency: EUR\ntax: {category: S, percent: 21}', 'components:\n  - {type: per-user, price: 10}\n'))).to.deep.equal([
      '/components/0: metric "users.internal" has no aggregation: declare it under metrics (e.g. metrics: {users.internal: {aggregation: max}})',
    ])
    expect(issuesOf(base('unlimited\ncurrency: EUX\ntax: {category: S, percent: 0}', 'components:\n  - {type: addon, id: a, description: A, price: 1}\n'))).to.deep.equal([
      '/currency: "EUX" is not an ISO 4217 currency (EUR, USD, JPY, KWD…)',
      '/tax/percent: category S (standard rate) needs a rate above 0 (use Z for zero-rated)',
      '/components/0/type: a unlimited plan has no "addon" component (allowed: flat, fair-use)',
      '/components: a unlimited plan has exactly one "flat" component (found 0)',
      '/components: a unlimited plan needs at least one "fair-use" component',
    ])
    const bands = base(
      'bands\ncurrency: EUR\ntax: {category: AE, percent: 21}',
      'metrics: {storage.total: {aggregation: max}}\ncomponents:\n  - type: bands\n    metric: storage.total\n    mode: volume\n    bands: [{upTo: 10, unitPrice: 1}, {unitPrice: 2}, {upTo: 5, unitPrice: 3}]\n  - {type: fair-use, metric: storage.total, threshold: 5, action: overage}\n',
    )
    expect(issuesOf(bands)).to.deep.equal([
      '/tax/percent: category AE carries a 0 % rate (EN 16931)',
      '/components/0/bands/1: only the last band may omit upTo',
      '/components/1: action overage needs a price per unit above the threshold',
    ])
  })

  describe('stored versions', () => {
    it('apply stores a new version only when the content changed (key order does not count)', async () => {
      const store = await openStore({backend: 'local', dir: mkdtempSync(join(tmpdir(), 'odoops-plans-'))})
      try {
        const plan = templatePlan('per-user')
        expect(await applyPlan(store, plan)).to.include({plan: plan.id, version: 1, changed: true})
        const reordered = Object.fromEntries(Object.entries(plan).reverse()) as typeof plan
        expect(await applyPlan(store, reordered)).to.include({version: 1, changed: false})
        expect(await applyPlan(store, {...plan, components: [{...plan.components[0], price: '26.00'} as (typeof plan.components)[0], ...plan.components.slice(1)]})).to.include({version: 2, changed: true, previousVersion: 1})
        expect((await getPlanVersion(store, plan.id, 1)).definition).to.deep.equal(plan)
        expect((await getPlanVersion(store, plan.id)).version).to.equal(2)
        expect((await listPlans(store)).map((p) => [p.plan, p.latestVersion, p.versions])).to.deep.equal([[plan.id, 2, 2]])
        await getPlanVersion(store, 'nope').then(
          () => expect.fail('no error'),
          (e: {code: string}) => expect(e.code).to.equal('PLAN_NOT_FOUND'),
        )
      } finally {
        await store.close()
      }
    })

    it('a period is rated with the latest version applied before its end (else the latest)', () => {
      const plan = templatePlan('per-user')
      const versions = [version(plan, 1, '2026-01-10T00:00:00Z'), version(plan, 2, '2026-03-01T00:00:00Z')]
      expect(versionForPeriod(versions, '2026-02-28')?.version).to.equal(1)
      expect(versionForPeriod(versions, '2026-03-31')?.version).to.equal(2)
      expect(versionForPeriod(versions, '2025-12-31')?.version).to.equal(2)
    })
  })
})

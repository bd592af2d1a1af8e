import {expect} from 'chai'
import {checkFairUse} from '../../src/lib/billing/fair-use.js'
import {describeSuggestion, suggestNextTier} from '../../src/lib/billing/next-tier.js'
import {examplePlans} from '../../src/lib/billing/plans/examples.js'
import {applyPlan} from '../../src/lib/billing/plans/store.js'
import type {PlanVersionRecord} from '../../src/lib/billing/plans/types.js'
import type {UsageSnapshot} from '../../src/lib/billing/types.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {billedTenant, daily, tempStore, templatePlan, version} from './helpers.js'

const GB = 1e9
const FROM = '2026-11-01'
const TO = '2026-11-20'

function usage(tenant: string, users: number, gb: number): UsageSnapshot[] {
  return [
    ...daily(tenant, 'users.internal', FROM, TO, () => users),
    ...daily(tenant, 'storage.database_bytes', FROM, TO, () => (gb / 2) * GB, 'bytes'),
    ...daily(tenant, 'storage.filestore_bytes', FROM, TO, () => (gb / 2) * GB, 'bytes'),
  ]
}

function tenant(id: string, plan: string): TenantRecord {
  return billedTenant(id, {plan})
}

/** `meter check` says what to do about a breach: the next tier and the monthly price difference (issue 17, item 5). */
describe('billing: next tier for a fair-use breach', () => {
  let store: StateStore
  let removeStore: () => Promise<void>

  before(async () => {
    ;({store, remove: removeStore} = await tempStore('odoops-next-tier-'))
    // Every shipped example plan: starter, business, standard-per-user, business-unlimited, infra-bands, managed-gold.
    for (const {plan} of examplePlans()) await applyPlan(store, plan, {now: new Date('2026-01-01T00:00:00Z')})
    await store.transaction(async (tx) => {
      await tx.tenants.insert(tenant('small', 'starter'))
      await tx.tenants.insert(tenant('big', 'business-unlimited'))
      await tx.tenants.insert(tenant('fine', 'business'))
      for (const s of [...usage('small', 12, 5), ...usage('big', 62, 20), ...usage('fine', 8, 4)]) await tx.usageSnapshots.insert(s)
    })
  })
  after(() => removeStore())

  it('meter check keeps its breaches and adds one suggestion per tenant over, with both monthly prices and the difference', async () => {
    const report = await checkFairUse(store)
    expect(report.over.map((o) => [o.tenant, o.plan, o.metric, o.value, o.threshold, o.action])).to.deep.equal([
      ['big', 'business-unlimited', 'users.internal', '62', '50', 'overage'],
      ['small', 'starter', 'users.internal', '12', '10', 'alert'],
    ])
    expect(report.suggestions.map((s) => s.tenant)).to.deep.equal(['big', 'small'])
    const [big, small] = report.suggestions

    // big: 990 + 12 × 15.00 = 1170.00 now. infra-bands: users above 50 → 900.00, storage graduated 10 GB free + 10 × 0.80 = 8.00 → 908.00.
    // (starter and business alert above 10 / 50 users; standard-per-user 62 × 24.90 = 1543.80; managed-gold 619 + 62 × 19.50 = 1828.00.)
    expect(big).to.deep.include({plan: 'business-unlimited', planVersion: 1, currency: 'EUR', currentMonthly: '1170.00', metrics: ['users.internal'], overageOnly: true})
    expect(big.next).to.deep.equal({plan: 'infra-bands', planVersion: 1, name: 'Infrastructure (bands)', kind: 'bands', monthly: '908.00', difference: '-262.00', command: 'odoops tenant set-plan big infra-bands'})

    // small: 12 × 14.90 = 178.80 now; standard-per-user 12 × 24.90 = 298.80 is the cheapest plan without an alert
    // (business 358.80, infra-bands 450.00, managed-gold 853.00, business-unlimited 990.00).
    expect(small).to.deep.include({plan: 'starter', currentMonthly: '178.80', overageOnly: false})
    expect(small.next).to.deep.include({plan: 'standard-per-user', kind: 'per-user', monthly: '298.80', difference: '120.00'})
    expect(describeSuggestion(small)).to.equal("small: next tier standard-per-user (Odoo Standard (per user), per-user): 298.80 EUR/month at this month's usage, +120.00 vs starter (178.80) — odoops tenant set-plan small standard-per-user")
  })

  it('an overage the current plan bills for less than the next tier: staying is named as the cheaper option', () => {
    const versions = new Map<string, PlanVersionRecord[]>(examplePlans().map((e) => [e.id, [version(e.plan)]]))
    const business = versions.get('business')![0]
    // business: 12 × 29.90 + 5 GB × 0.50 overage = 361.30. infra-bands: 450.00 + 45 GB × 0.80 = 486.00
    // (standard-per-user alerts above 20 GB; business-unlimited 990.00; managed-gold 853.00 + 55 × 0.40 = 875.00).
    const s = suggestNextTier({tenant: 'heavy', customer: 'heavy', current: business, metrics: ['storage.total'], overageOnly: true, snapshots: usage('heavy', 12, 55), day: TO, versions})
    expect(s).to.deep.include({currentMonthly: '361.30', overageOnly: true})
    expect(s.next).to.deep.include({plan: 'infra-bands', monthly: '486.00', difference: '124.70'})
    expect(describeSuggestion(s)).to.contain('+124.70 vs business (361.30); staying on business bills the overage and costs less — odoops tenant set-plan heavy infra-bands')
  })

  it('says so when no stored plan fits the usage', () => {
    const starter = version(templatePlan('starter'))
    const snapshots = usage('small', 12, 5)
    const versions = new Map<string, PlanVersionRecord[]>([['starter', [starter]]])
    const suggestion = suggestNextTier({tenant: 'small', customer: 'small', current: starter, metrics: ['users.internal'], snapshots, day: TO, versions})
    expect(suggestion).to.deep.include({next: null, currentMonthly: '178.80'})
    expect(suggestion.reason).to.contain('no other EUR plan takes this usage')
    expect(describeSuggestion(suggestion)).to.match(/^small: over users\.internal of starter, no other EUR plan/)
  })

  it('never suggests a plan in another currency', () => {
    const starter = version(templatePlan('starter'))
    const yen = version({...templatePlan('per-user'), id: 'yen-per-user', currency: 'JPY', components: [{type: 'per-user', price: '1000'}]})
    const versions = new Map<string, PlanVersionRecord[]>([
      ['starter', [starter]],
      ['yen-per-user', [yen]],
    ])
    expect(suggestNextTier({tenant: 'small', customer: 'small', current: starter, metrics: ['users.internal'], snapshots: usage('small', 12, 5), day: TO, versions}).next).to.equal(null)
  })
})

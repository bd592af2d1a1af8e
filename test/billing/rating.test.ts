import {expect} from 'chai'
import {buildDraft} from '../../src/lib/billing/build.js'
import {parsePeriod} from '../../src/lib/billing/period.js'
import type {PlanDefinition, PlanVersionRecord} from '../../src/lib/billing/plans/types.js'
import {planIntervals, rateTenant, type TaxChoice} from '../../src/lib/billing/rate.js'
import type {PlanAssignment} from '../../src/lib/billing/tenant-billing.js'
import type {UsageSnapshot} from '../../src/lib/billing/types.js'
import {daily, templatePlan, version} from './helpers.js'

const NOV = parsePeriod('2026-11') // 30 days
const GB = 1e9
const T = 'acme'

const perUser = templatePlan('per-user')
const unlimited = templatePlan('unlimited')
const infra = templatePlan('infrastructure')
const hybrid = templatePlan('hybrid')

function custom(overrides: Partial<PlanDefinition>): PlanDefinition {
  return {id: 'custom', name: 'Custom', kind: 'hybrid', currency: 'EUR', period: 'monthly', tax: {category: 'S', percent: '21'}, components: [], ...overrides}
}

const users = (value: (day: number) => number, from = NOV.start, to = NOV.end) => daily(T, 'users.internal', from, to, value)
const storage = (gb: number, from = NOV.start, to = NOV.end) => [
  ...daily(T, 'storage.database_bytes', from, to, () => gb * 0.4 * GB, 'bytes'),
  ...daily(T, 'storage.filestore_bytes', from, to, () => gb * 0.6 * GB, 'bytes'),
]

interface Case {
  name: string
  plans: PlanVersionRecord[]
  history: PlanAssignment[]
  start?: string
  snapshots: UsageSnapshot[]
  period?: typeof NOV
  tax?: TaxChoice
  /** [quantity, unitPrice, netAmount] per line, in order. */
  lines: [string, string, string][]
  totals: [net: string, tax: string, gross: string]
}

const on = (plan: PlanDefinition, from = '2026-01-01'): PlanAssignment => ({plan: plan.id, from})

const CASES: Case[] = [
  {
    name: 'per-user: the month\'s max of internal users × price',
    plans: [version(perUser)],
    history: [on(perUser)],
    snapshots: users((d) => (d < 20 ? 10 : 12)),
    lines: [['12', '24.90', '298.80']],
    // 298.80 × 21 % = 62.748 → 62.75
    totals: ['298.80', '62.75', '361.55'],
  },
  {
    name: 'per-user: below the minimum, the minimum is billed',
    plans: [version(perUser)],
    history: [on(perUser)],
    snapshots: users(() => 2),
    lines: [['3', '24.90', '74.70']],
    totals: ['74.70', '15.69', '90.39'],
  },
  {
    name: 'per-user: tenant created on day 17 of a 30-day month → 14/30',
    plans: [version(perUser)],
    history: [on(perUser, '2026-11-17')],
    start: '2026-11-17',
    snapshots: users(() => 12, '2026-11-17'),
    // 12 × 14/30 = 5.6 users × 24.90 = 139.44
    lines: [['5.6', '24.90', '139.44']],
    totals: ['139.44', '29.28', '168.72'],
  },
  {
    name: 'unlimited: flat fee plus fair-use overage on users and storage (GB from bytes); the sum alert bills nothing',
    plans: [version(unlimited)],
    history: [on(unlimited)],
    snapshots: [...users((d) => 40 + Math.min(d, 17)), ...storage(105.5), ...daily(T, 'invoices.posted', NOV.start, NOV.end, () => 500)],
    // 990 + (57 − 50) × 15 + (105.5 − 100) × 0.50 = 990 + 105 + 2.75
    lines: [
      ['1', '990.00', '990.00'],
      ['7', '15.00', '105.00'],
      ['5.5', '0.50', '2.75'],
    ],
    // 1097.75 × 21 % = 230.5275 → 230.53
    totals: ['1097.75', '230.53', '1328.28'],
  },
  {
    name: 'unlimited: under every threshold, only the flat fee',
    plans: [version(unlimited)],
    history: [on(unlimited)],
    snapshots: [...users(() => 50), ...storage(100)],
    lines: [['1', '990.00', '990.00']],
    totals: ['990.00', '207.90', '1197.90'],
  },
  {
    name: 'bands: graduated storage (average) and volume user bands (flat fee of the band)',
    plans: [version(infra)],
    history: [on(infra)],
    // storage 120 GB on days 1-15 and 140 GB on days 16-30: average 130 GB
    snapshots: [...users(() => 23), ...storage(120, NOV.start, '2026-11-15'), ...storage(140, '2026-11-16', NOV.end)],
    // 10 GB × 0 + 90 GB × 0.80 + 30 GB × 0.50; 23 users → band 10–50: 450
    lines: [
      ['10', '0.00', '0.00'],
      ['90', '0.80', '72.00'],
      ['30', '0.50', '15.00'],
      ['1', '450.00', '450.00'],
    ],
    totals: ['537.00', '112.77', '649.77'],
  },
  {
    name: 'hybrid: base fee, three add-ons, per-user minimum, volume storage band',
    plans: [version(hybrid)],
    history: [on(hybrid)],
    snapshots: [...users(() => 4), ...storage(120)],
    // 49 + 150 + 300 + 120 + 5 × 19.50 + 120 GB × 0.40
    lines: [
      ['1', '49.00', '49.00'],
      ['1', '150.00', '150.00'],
      ['1', '300.00', '300.00'],
      ['1', '120.00', '120.00'],
      ['5', '19.50', '97.50'],
      ['120', '0.40', '48.00'],
    ],
    // 764.50 × 21 % = 160.545 → 160.55 (half-up, not half-even)
    totals: ['764.50', '160.55', '925.05'],
  },
  {
    name: 'mid-period change on day 17: per-user for 16 days, then unlimited for 14 days',
    plans: [version(perUser), version(unlimited)],
    history: [on(perUser, '2026-10-01'), on(unlimited, '2026-11-17')],
    start: '2026-10-01',
    snapshots: [...users((d) => (d < 17 ? 8 : 20)), ...storage(10)],
    // per-user: 8 users (max of days 1-16) × 16/30 × 24.90 = 106.24; unlimited: 990 × 14/30 = 462.00
    lines: [
      ['4.266667', '24.90', '106.24'],
      ['0.466667', '990.00', '462.00'],
    ],
    // 568.24 × 21 % = 119.3304 → 119.33
    totals: ['568.24', '119.33', '687.57'],
  },
  {
    name: 'rounding: a third of a month rounds down, two thirds up (plan change on day 11)',
    plans: [
      version(custom({components: [{type: 'flat', description: 'Base', price: '100.00'}]})),
      version(custom({id: 'custom-b', components: [{type: 'flat', description: 'Base B', price: '100.00'}]})),
    ],
    history: [{plan: 'custom', from: '2026-11-01'}, {plan: 'custom-b', from: '2026-11-11'}],
    snapshots: [],
    // 100 × 10/30 = 33.333… → 33.33; 100 × 20/30 = 66.666… → 66.67
    lines: [
      ['0.333333', '100.00', '33.33'],
      ['0.666667', '100.00', '66.67'],
    ],
    totals: ['100.00', '21.00', '121.00'],
  },
  {
    name: 'rounding: half-up at exactly half a cent (0.125 → 0.13)',
    plans: [version(custom({components: [{type: 'flat', description: 'Base', price: '0'}, {type: 'addon', id: 'x', description: 'Tiny', price: '0.125'}]}))],
    history: [{plan: 'custom', from: '2026-01-01'}],
    snapshots: [],
    lines: [
      ['1', '0.00', '0.00'],
      ['1', '0.125', '0.13'],
    ],
    totals: ['0.13', '0.03', '0.16'],
  },
  {
    name: 'rounding: JPY has no minor unit (7 users × 17/30 × ¥1000 = 3966.67 → 3967)',
    plans: [version(custom({id: 'yen', kind: 'per-user', currency: 'JPY', tax: {category: 'S', percent: 10}, metrics: {'users.internal': {aggregation: 'max'}}, components: [{type: 'per-user', price: 1000}]}))],
    history: [{plan: 'yen', from: '2026-11-14'}],
    start: '2026-11-14',
    snapshots: users(() => 7, '2026-11-14'),
    lines: [['3.966667', '1000', '3967']],
    // 3967 × 10 % = 396.7 → 397
    totals: ['3967', '397', '4364'],
  },
  {
    name: 'rounding: KWD has three decimals (12.345 × 13/30 = 5.3495 → 5.350)',
    plans: [version(custom({id: 'kwd', currency: 'KWD', tax: {category: 'Z', percent: 0}, components: [{type: 'flat', description: 'Base', price: '12.345'}]}))],
    history: [{plan: 'kwd', from: '2026-11-18'}],
    snapshots: [],
    lines: [['0.433333', '12.345', '5.350']],
    totals: ['5.350', '0.000', '5.350'],
  },
  {
    name: 'sum metric: the threshold is prorated, the counted quantity is not',
    plans: [
      version(
        custom({
          id: 'tx',
          kind: 'unlimited',
          metrics: {'invoices.posted': {aggregation: 'sum'}},
          components: [
            {type: 'flat', description: 'Base', price: '300'},
            {type: 'fair-use', metric: 'invoices.posted', threshold: 2000, action: 'overage', price: '0.10'},
          ],
        }),
      ),
    ],
    history: [{plan: 'tx', from: '2026-11-17'}],
    snapshots: daily(T, 'invoices.posted', '2026-11-17', NOV.end, () => 100),
    // base 300 × 14/30 = 140.00; 1400 invoices − 2000 × 14/30 (933.333…) = 466.666… × 0.10 = 46.67
    lines: [
      ['0.466667', '300.00', '140.00'],
      ['466.666667', '0.10', '46.67'],
    ],
    totals: ['186.67', '39.20', '225.87'],
  },
  {
    name: 'customer tax override (reverse charge AE 0 %)',
    plans: [version(perUser)],
    history: [on(perUser)],
    snapshots: users(() => 12),
    tax: {category: 'AE', percent: '0'},
    lines: [['12', '24.90', '298.80']],
    totals: ['298.80', '0.00', '298.80'],
  },
]

describe('billing: rating (pure, table-driven)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const versions: Record<string, PlanVersionRecord[]> = {}
      for (const v of c.plans) (versions[v.plan] ??= []).push(v)
      const period = c.period ?? NOV
      const rated = rateTenant({tenant: T, start: c.start, history: c.history, versions, snapshots: c.snapshots, period, tax: c.tax})
      expect(rated.problems).to.deep.equal([])
      expect(rated.lines.map((l) => [l.quantity, l.unitPrice, l.netAmount])).to.deep.equal(c.lines)
      const draft = buildDraft({customer: T, period, currency: c.plans[0].definition.currency, seller: {name: 'Partner'}, buyer: {name: 'Acme'}, lines: rated.lines, now: new Date('2026-12-01T00:00:00Z')})
      expect([draft.totalNet, draft.totalTax, draft.totalGross]).to.deep.equal(c.totals)
      expect(draft.lines.map((l) => l.position)).to.deep.equal(c.lines.map((_, i) => i + 1))
    })
  }

  it('every line names its tenant, plan version, days, and for metered lines the metric, aggregation and snapshots', () => {
    const rated = rateTenant({tenant: T, history: [on(perUser, '2026-10-01'), on(unlimited, '2026-11-17')], versions: {[perUser.id]: [version(perUser)], [unlimited.id]: [version(unlimited, 1), version(unlimited, 2, '2026-11-20T00:00:00Z')]}, snapshots: [...users((d) => (d === 9 ? 11 : 8)), ...storage(150)], period: NOV})
    const [users0, flat, storageLine] = rated.lines
    expect(users0.source).to.deep.equal({tenant: T, plan: perUser.id, planVersion: 1, daysActive: 16, daysInPeriod: 30, metric: 'users.internal', aggregation: 'max', snapshots: [`${T}/2026-11-09/users.internal`], measured: '11'})
    // version 2 was applied before the period ended: it rates the period
    expect(flat.source).to.include({plan: unlimited.id, planVersion: 2, daysActive: 14})
    expect(storageLine.source.snapshots).to.deep.equal([`${T}/2026-11-17/storage.database_bytes`, `${T}/2026-11-17/storage.filestore_bytes`])
    expect(storageLine.source.measured).to.equal('150')
    expect(rated.plans.map((p) => [p.plan, p.version, p.from, p.to])).to.deep.equal([
      [perUser.id, 1, '2026-11-01', '2026-11-16'],
      [unlimited.id, 2, '2026-11-17', '2026-11-30'],
    ])
  })

  it('missing snapshots are a problem, never a zero quantity', () => {
    const rated = rateTenant({tenant: T, history: [on(perUser)], versions: {[perUser.id]: [version(perUser)]}, snapshots: [], period: NOV})
    expect(rated.lines).to.deep.equal([])
    expect(rated.problems[0].message).to.include('no snapshot of users.internal between 2026-11-01 and 2026-11-30')
    expect(rated.problems[0].suggestion).to.include('odoops meter collect acme')
  })

  it('a plan missing from the store is a problem naming it', () => {
    const rated = rateTenant({tenant: T, history: [{plan: 'gone', from: '2026-01-01'}], versions: {}, snapshots: [], period: NOV})
    expect(rated.problems[0].message).to.equal('plan gone is not in the state store')
  })

  it('a quantity above the last bounded band is a problem', () => {
    const plan = custom({id: 'b', kind: 'bands', metrics: {'users.internal': {aggregation: 'latest'}}, components: [{type: 'bands', metric: 'users.internal', mode: 'volume', bands: [{upTo: 10, unitPrice: 1}]}]})
    const rated = rateTenant({tenant: T, history: [{plan: 'b', from: '2026-01-01'}], versions: {b: [version(plan)]}, snapshots: users(() => 11), period: NOV})
    expect(rated.problems[0].message).to.include('above the last band')
  })

  it('plan intervals: history entries clipped to the period and to the tenant\'s first day', () => {
    const history = [
      {plan: 'a', from: '2026-09-01'},
      {plan: 'b', from: '2026-11-10'},
      {plan: 'c', from: '2026-12-05'},
    ]
    expect(planIntervals(history, '2026-11-03', NOV).map((i) => [i.assignment.plan, i.from, i.to])).to.deep.equal([
      ['a', '2026-11-03', '2026-11-09'],
      ['b', '2026-11-10', '2026-11-30'],
    ])
    expect(planIntervals(history, '2026-12-01', NOV)).to.deep.equal([])
  })
})

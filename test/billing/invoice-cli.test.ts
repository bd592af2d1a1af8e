import {expect} from 'chai'
import {statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {TenantRecord} from '../../src/lib/state/records.js'
import {openStore} from '../../src/lib/state/open.js'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {daily, PLAN_DIR} from './helpers.js'

const GB = 1e9

function tenant(id: string, createdAt: string, fields: Partial<TenantRecord>): TenantRecord {
  return {id, host: 'nowhere', mode: 'shared', domain: `${id}.example.test`, series: '17.0', database: id, state: 'active', createdAt, ...fields}
}

/**
 * The invoice lifecycle through the built CLI on an isolated local store: no host, the
 * usage snapshots are inserted directly. Figures are computed by hand in the comments.
 */
describe('odoops plan / invoice / meter check (CLI, no host)', function () {
  this.timeout(300_000)
  let env: Record<string, string>
  const cli = async (args: string[], code = 0) => {
    const result = await runCli([...args, '--json'], {env})
    expect(result.code, `${args.join(' ')}: ${result.stderr}${result.stdout}`).to.equal(code)
    return result.json
  }

  before(async () => {
    env = isolatedEnv()
    const store = await openStore({backend: 'local', dir: join(env.ODOOPS_DATA_DIR, 'state')})
    try {
      await store.transaction(async (tx) => {
        await tx.tenants.insert(tenant('acme', '2026-09-01T10:00:00Z', {customer: 'acme-corp', plan: 'standard-per-user'}))
        await tx.tenants.insert(tenant('acme-staging', '2026-10-17T08:00:00Z', {customer: 'acme-corp', plan: 'standard-per-user', billing: {name: 'Acme Corp SA', vat: 'BE0123456789', country: 'BE'}}))
        await tx.tenants.insert(tenant('beta', '2026-09-01T10:00:00Z', {plan: 'business-unlimited'}))
        await tx.tenants.insert(tenant('gamma', '2026-09-01T10:00:00Z', {}))
        const snaps = [
          ...daily('acme', 'users.internal', '2026-10-01', '2026-11-30', () => 6),
          ...daily('acme', 'storage.database_bytes', '2026-10-01', '2026-11-30', () => GB, 'bytes'),
          ...daily('acme', 'storage.filestore_bytes', '2026-10-01', '2026-11-30', () => GB, 'bytes'),
          ...daily('acme-staging', 'users.internal', '2026-10-17', '2026-11-30', () => 2),
          ...daily('beta', 'users.internal', '2026-10-01', '2026-11-30', () => 30),
          ...daily('beta', 'storage.database_bytes', '2026-10-01', '2026-11-30', () => 10 * GB, 'bytes'),
          ...daily('beta', 'storage.filestore_bytes', '2026-10-01', '2026-11-30', () => 15 * GB, 'bytes'),
        ]
        for (const s of snaps) await tx.usageSnapshots.insert(s)
      })
    } finally {
      await store.close()
    }
    for (const [key, value] of Object.entries({'partner.name': 'Partner SRL', 'partner.vat': 'BE0999999999', 'partner.country': 'BE'})) await cli(['config', 'set', key, value])
  })

  it('plan validate / apply / list / show: versions only on change, every error reported', async () => {
    for (const f of ['per-user', 'unlimited']) {
      expect(await cli(['plan', 'validate', join(PLAN_DIR, `${f}.yaml`)])).to.include({valid: true})
      expect(await cli(['plan', 'apply', join(PLAN_DIR, `${f}.yaml`)])).to.include({version: 1, changed: true})
    }
    expect(await cli(['plan', 'apply', join(PLAN_DIR, 'per-user.yaml')])).to.include({version: 1, changed: false})
    const list = await cli(['plan', 'list'])
    expect(list.plans.map((p: {plan: string}) => p.plan)).to.deep.equal(['business-unlimited', 'standard-per-user'])
    const shown = await cli(['plan', 'show', 'standard-per-user', '--version', '1'])
    expect(shown.definition.components[0]).to.include({type: 'per-user', price: '24.90', minimum: 3})
    const bad = join(env.ODOOPS_DATA_DIR, '..', 'bad-plan.yaml')
    writeFileSync(bad, 'id: x\nname: X\nkind: per-user\ncurrency: EUR\nperiod: monthly\ntax: {category: S, percent: 21}\ncomponents:\n  - {type: per-user, price: ten}\n  - {type: flat}\n')
    const invalid = await cli(['plan', 'validate', bad], 2)
    expect(invalid.error.code).to.equal('PLAN_INVALID')
    expect(invalid.error.data.issues.map((i: {path: string; message: string}) => `${i.path}: ${i.message}`)).to.deep.equal([
      '/components/0/price: must be a decimal amount such as "24.90"',
      '/components/1: missing property "description"',
      '/components/1: missing property "price"',
    ])
    const human = await runCli(['plan', 'apply', bad], {env})
    expect(human.code).to.equal(2)
    expect(human.stderr).to.include('bad-plan.yaml:8:29 /components/0/price')
  })

  it('generate three times: one draft per customer, replaced not duplicated; --dry-run writes nothing', async () => {
    const dry = await cli(['invoice', 'generate', '--period', '2026-10', '--dry-run'])
    // Draft ids are keyed by the customer's first tenant slug (acme-corp: acme, acme-staging).
    expect(dry.invoices.map((i: {id: string}) => i.id)).to.deep.equal(['draft/acme/2026-10', 'draft/beta/2026-10'])
    expect((await cli(['invoice', 'list'])).invoices).to.deep.equal([])
    let first: unknown
    for (let run = 0; run < 3; run++) {
      const report = await cli(['invoice', 'generate', '--period', '2026-10'])
      expect(report.unbilled).to.deep.equal([{tenant: 'gamma', reason: 'no plan (odoops tenant set-plan)'}])
      first ??= report.invoices.map((i: {lines: unknown}) => i.lines)
      expect(report.invoices.map((i: {lines: unknown}) => i.lines)).to.deep.equal(first)
    }
    const drafts = (await cli(['invoice', 'list', '--period', '2026-10'])).invoices
    expect(drafts.map((i: {id: string; status: string}) => [i.id, i.status])).to.deep.equal([
      ['draft/acme/2026-10', 'draft'],
      ['draft/beta/2026-10', 'draft'],
    ])
    // acme: 6 users × 24.90 = 149.40; acme-staging from 17 Oct: minimum 3 users × 15/31 × 24.90 = 36.145… → 36.15
    // net 185.55, tax 21 % = 38.9655 → 38.97, gross 224.52. beta: flat 990.00 (30 users, 25 GB: under fair use).
    expect(drafts.map((i: {totalNet: string; totalTax: string; totalGross: string}) => [i.totalNet, i.totalTax, i.totalGross])).to.deep.equal([
      ['185.55', '38.97', '224.52'],
      ['990.00', '207.90', '1197.90'],
    ])
    const acme = await cli(['invoice', 'show', 'acme-corp/2026-10'])
    expect(acme.buyer).to.deep.equal({name: 'Acme Corp SA', vat: 'BE0123456789', country: 'BE'})
    expect(acme.seller).to.deep.include({name: 'Partner SRL', vat: 'BE0999999999', country: 'BE'})
    expect(acme.lines[1]).to.deep.include({quantity: '1.451613', unitPrice: '24.90', netAmount: '36.15'})
    expect(acme.lines[1].source).to.deep.include({tenant: 'acme-staging', plan: 'standard-per-user', planVersion: 1, daysActive: 15, daysInPeriod: 31, metric: 'users.internal', aggregation: 'max'})
  })

  it('issue numbers the drafts gaplessly; issued invoices never change; numbers continue across periods', async () => {
    const issued = await cli(['invoice', 'issue', '--period', '2026-10', '--date', '2026-11-02'])
    expect(issued.issued.map((i: {number: string; customer: string}) => [i.number, i.customer])).to.deep.equal([
      ['INV-2026-00001', 'acme-corp'],
      ['INV-2026-00002', 'beta'],
    ])
    const before = await cli(['invoice', 'show', 'INV-2026-00001'])
    expect(before).to.include({status: 'issued', issueDate: '2026-11-02', dueDate: '2026-12-02', totalGross: '224.52'})

    const again = await cli(['invoice', 'generate', '--period', '2026-10'])
    expect(again.invoices).to.deep.equal([])
    expect(again.skipped.map((s: {customer: string; number: string}) => [s.customer, s.number])).to.deep.equal([
      ['acme-corp', 'INV-2026-00001'],
      ['beta', 'INV-2026-00002'],
    ])
    expect((await cli(['invoice', 'issue', '--period', '2026-10'])).issued).to.deep.equal([])
    expect(await cli(['invoice', 'show', 'INV-2026-00001'])).to.deep.equal(before)

    // A plan change reaching into the issued period is refused; from November it is taken.
    const refused = await cli(['tenant', 'set-plan', 'beta', 'standard-per-user', '--from', '2026-10-20'], 2)
    expect(refused.error.code).to.equal('INVOICE_PERIOD_ISSUED')
    const set = await cli(['tenant', 'set-plan', 'beta', 'standard-per-user', '--from', '2026-11-17'])
    expect(set.history.map((h: {plan: string; from: string}) => [h.plan, h.from])).to.deep.equal([
      ['business-unlimited', '2026-09-01'],
      ['standard-per-user', '2026-11-17'],
    ])

    for (let run = 0; run < 3; run++) await cli(['invoice', 'generate', '--period', '2026-11'])
    const nov = await cli(['invoice', 'issue', '--period', '2026-11', '--date', '2026-12-01'])
    expect(nov.issued.map((i: {number: string}) => i.number)).to.deep.equal(['INV-2026-00003', 'INV-2026-00004'])
    // beta: 990 × 16/30 = 528.00 + 30 users × 14/30 × 24.90 = 348.60 → net 876.60, tax 184.086 → 184.09
    expect(nov.issued.map((i: {totalNet: string; totalGross: string}) => [i.totalNet, i.totalGross])).to.deep.equal([
      ['224.10', '271.16'],
      ['876.60', '1060.69'],
    ])
    const all = (await cli(['invoice', 'list', '--status', 'issued'])).invoices
    expect(all.map((i: {number: string}) => i.number)).to.deep.equal(['INV-2026-00001', 'INV-2026-00002', 'INV-2026-00003', 'INV-2026-00004'])
  })

  it('credit notes: own gapless sequence, once per invoice, the invoice untouched; the period can be billed again', async () => {
    const before = await cli(['invoice', 'show', 'INV-2026-00001'])
    const note = await cli(['invoice', 'credit', 'INV-2026-00001', '--reason', 'wrong user count', '--date', '2026-12-03'])
    expect(note).to.include({id: 'CN-2026-00001', number: 'CN-2026-00001', kind: 'credit-note', status: 'issued', creditOf: 'INV-2026-00001', totalGross: '224.52', reason: 'wrong user count'})
    expect((await cli(['invoice', 'credit', 'INV-2026-00001'], 2)).error.code).to.equal('INVOICE_ALREADY_CREDITED')
    expect((await cli(['invoice', 'credit', 'CN-2026-00001'], 2)).error.code).to.equal('INVOICE_NOT_CREDITABLE')
    expect((await cli(['invoice', 'credit', 'INV-2026-09999'], 2)).error.code).to.equal('INVOICE_NOT_FOUND')
    const after = await cli(['invoice', 'show', 'INV-2026-00001'])
    expect(after.creditedBy).to.equal('CN-2026-00001')
    delete after.creditedBy
    expect(after).to.deep.equal(before)

    expect((await cli(['invoice', 'credit', 'INV-2026-00003'])).number).to.equal('CN-2026-00002')
    const regenerated = await cli(['invoice', 'generate', '--period', '2026-10'])
    expect(regenerated.invoices.map((i: {id: string}) => i.id)).to.deep.equal(['draft/acme/2026-10'])
    expect((await cli(['invoice', 'issue', '--period', '2026-10'])).issued.map((i: {number: string}) => i.number)).to.deep.equal(['INV-2026-00005'])
    const notes = (await cli(['invoice', 'list', '--kind', 'credit-note'])).invoices
    expect(notes.map((i: {number: string; creditOf: string}) => [i.number, i.creditOf])).to.deep.equal([
      ['CN-2026-00001', 'INV-2026-00001'],
      ['CN-2026-00002', 'INV-2026-00003'],
    ])
  })

  it('a period without snapshots is refused per customer with the reason (exit 1), and nothing is drafted', async () => {
    const result = await runCli(['invoice', 'generate', '--period', '2026-12', '--json'], {env})
    expect(result.code).to.equal(1)
    expect(result.json.invoices).to.deep.equal([])
    expect(result.json.problems.map((p: {customer: string}) => p.customer)).to.include.members(['acme-corp', 'beta'])
    expect(result.json.problems[0].message).to.include('no snapshot of users.internal')
    expect((await cli(['invoice', 'list', '--period', '2026-12'])).invoices).to.deep.equal([])
  })

  it('issue without a seller name is a usage error', async () => {
    const bare = isolatedEnv()
    const result = await runCli(['invoice', 'issue', '--period', '2026-10', '--json'], {env: bare})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('INVOICE_SELLER_MISSING')
  })

  it('meter check: tenants over fair use from their latest snapshots, exit 1', async () => {
    // beta is on standard-per-user since 17 Nov: 25 GB of storage over its 20 GB alert threshold.
    const result = await runCli(['meter', 'check', '--json'], {env})
    expect(result.code, result.stderr).to.equal(1)
    expect(result.json.over.map((o: {tenant: string; metric: string; value: string; threshold: string; action: string}) => [o.tenant, o.metric, o.value, o.threshold, o.action])).to.deep.equal([['beta', 'storage.total', '25', '20', 'alert']])
    expect(result.json.notMeasured).to.deep.equal([{tenant: 'acme-staging', metric: 'storage.total', reason: 'no snapshot of storage.database_bytes + storage.filestore_bytes between 2026-11-30 and 2026-11-30'}])
    // The next tier: business-unlimited takes 25 GB (990.00 a month) against 30 users × 24.90 = 747.00 now.
    expect(result.json.suggestions).to.deep.equal([
      {
        tenant: 'beta', customer: 'beta', plan: 'standard-per-user', planVersion: 1, currency: 'EUR', currentMonthly: '747.00', metrics: ['storage.total'], overageOnly: false,
        next: {plan: 'business-unlimited', planVersion: 1, name: 'Business Unlimited', kind: 'unlimited', monthly: '990.00', difference: '243.00', command: 'odoops tenant set-plan beta business-unlimited'},
      },
    ])
    const human = await runCli(['meter', 'check'], {env})
    expect(human.stdout).to.contain("beta: next tier business-unlimited (Business Unlimited, unlimited): 990.00 EUR/month at this month's usage, +243.00 vs standard-per-user (747.00) — odoops tenant set-plan beta business-unlimited")
  })

  it('invoice export --output: a new name is a file; an existing file and an empty path are refused (exit 2)', async () => {
    const out = join(env.ODOOPS_DATA_DIR, '..', 'exports')
    const file = join(out, 'october.csv')
    const written = await cli(['invoice', 'export', '--period', '2026-10', '--format', 'csv', '--output', file])
    expect(written.target).to.equal('file')
    expect(written.files.map((f: {path: string}) => f.path)).to.deep.equal([file])
    expect(statSync(file).isFile()).to.equal(true)
    expect((await cli(['invoice', 'export', '--period', '2026-10', '--format', 'csv', '--output', file], 2)).error.code).to.equal('OUTPUT_PATH_INVALID')
    expect((await cli(['invoice', 'export', '--period', '2026-10', '--format', 'csv', '--output', ''], 2)).error.code).to.equal('OUTPUT_PATH_INVALID')
    const dir = await cli(['invoice', 'export', '--period', '2026-10', '--format', 'json', '--output', out])
    expect(dir).to.deep.include({target: 'directory', outputDir: out})
    expect(dir.files.map((f: {path: string}) => f.path)).to.deep.equal([join(out, 'invoices-2026-10.json')])
  })

  it('tenant set-billing sets and unsets buyer fields', async () => {
    const set = await cli(['tenant', 'set-billing', 'beta', '--name', 'Beta BV', '--country', 'NL', '--endpoint-id', '0106:12345678'])
    expect(set.billing).to.deep.equal({name: 'Beta BV', country: 'NL', endpointId: '0106:12345678'})
    expect((await cli(['tenant', 'set-billing', 'beta', '--unset', 'country'])).billing).to.deep.equal({name: 'Beta BV', endpointId: '0106:12345678'})
    expect((await cli(['tenant', 'set-billing', 'beta', '--country', 'Netherlands'], 2)).error.code).to.equal('BILLING_INVALID')
  })
})

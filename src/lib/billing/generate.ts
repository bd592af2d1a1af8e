import type {StateStore} from '../state/store.js'
import {buildDraft, draftKeyOf} from './build.js'
import {parsePeriod} from './period.js'
import type {PlanVersionRecord} from './plans/types.js'
import {rateTenant, type RatedLine, type RatingProblem} from './rate.js'
import {einvoiceGaps, type IncompleteInvoice} from './einvoice.js'
import {billingTenantOf, buyerOf, customerOf, planHistoryOf, tenantStart, type BillableTenant} from './tenant-billing.js'
import type {Invoice, InvoiceParty, UsageSnapshot} from './types.js'

export interface GenerateOptions {
  period: string
  dryRun?: boolean
  seller: InvoiceParty
  now?: Date
}

export interface CustomerProblem extends RatingProblem {
  customer: string
}

export interface GenerateReport {
  period: string
  dryRun: boolean
  /** The drafts written (or, with --dry-run, that would be). */
  invoices: Invoice[]
  /** Customers whose invoice for the period is issued already (never regenerated). */
  skipped: {customer: string; number: string; reason: string}[]
  /** Drafts of the period no longer produced (customer gone, or not ratable now): deleted. */
  removedDrafts: string[]
  /** Tenants not billed for the period, and why. */
  unbilled: {tenant: string; reason: string}[]
  /** Customers that could not be rated (no draft for them). */
  problems: CustomerProblem[]
  /**
   * Drafts that lack what the configured e-invoice format needs (Peppol when partner.endpointId
   * is set, einvoice.ts): `invoice issue` refuses them until `tenant set-billing` fills the gaps.
   */
  incomplete: IncompleteInvoice[]
}

/** States whose tenants are not billed: never finished creating. */
const UNBILLED_STATES = new Set(['creating', 'failed'])

function plansById(records: PlanVersionRecord[]): Record<string, PlanVersionRecord[]> {
  const out: Record<string, PlanVersionRecord[]> = {}
  for (const r of records) (out[r.plan] ??= []).push(r)
  return out
}

/** Issued invoices of the period that still stand (not corrected by a credit note), by customer. */
export function standingIssued(invoices: Invoice[]): Map<string, Invoice> {
  const credited = new Set(invoices.filter((i) => i.kind === 'credit-note').map((i) => i.creditOf))
  const out = new Map<string, Invoice>()
  for (const i of invoices) if (i.kind === 'invoice' && i.status === 'issued' && !credited.has(i.number)) out.set(i.customer, i)
  return out
}

/**
 * One draft invoice per customer for the period (tenants grouped by customer). Re-running
 * replaces the period's drafts in one transaction, so there are never two; customers with an
 * issued invoice for the period are skipped and reported (issued invoices are never touched).
 */
export async function generateInvoices(store: StateStore, options: GenerateOptions): Promise<GenerateReport> {
  const period = parsePeriod(options.period)
  const now = options.now ?? new Date()
  const report: GenerateReport = {period: period.period, dryRun: Boolean(options.dryRun), invoices: [], skipped: [], removedDrafts: [], unbilled: [], problems: [], incomplete: []}

  const versions = plansById((await store.plans.list()) as unknown as PlanVersionRecord[])
  const customers = new Map<string, BillableTenant[]>()
  for (const tenant of (await store.tenants.list()) as BillableTenant[]) {
    const start = tenantStart(tenant)
    if (start && start > period.end) continue
    if (UNBILLED_STATES.has(tenant.state)) {
      report.unbilled.push({tenant: tenant.id, reason: `state ${tenant.state}`})
      continue
    }
    if (planHistoryOf(tenant).length === 0) {
      report.unbilled.push({tenant: tenant.id, reason: 'no plan (odoops tenant set-plan)'})
      continue
    }
    const key = customerOf(tenant)
    customers.set(key, [...(customers.get(key) ?? []), tenant])
  }

  const issued = standingIssued((await store.invoices.list({period: period.period})) as unknown as Invoice[])
  for (const [customer, tenants] of [...customers.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const done = issued.get(customer)
    if (done) {
      report.skipped.push({customer, number: done.number!, reason: `issued as ${done.number}`})
      continue
    }
    const buyer = buyerOf(customer, tenants)
    const lines: RatedLine[] = []
    const problems: RatingProblem[] = []
    const currencies = new Set<string>()
    for (const tenant of [...tenants].sort((a, b) => a.id.localeCompare(b.id))) {
      const snapshots = ((await store.usageSnapshots.list({tenant: tenant.id})) as unknown as UsageSnapshot[]).filter((s) => s.date >= period.start && s.date <= period.end)
      const rated = rateTenant({tenant: tenant.id, start: tenantStart(tenant), history: planHistoryOf(tenant), versions, snapshots, period, tax: buyer.tax})
      lines.push(...rated.lines)
      problems.push(...rated.problems)
      for (const p of rated.plans) currencies.add(p.currency)
    }
    if (currencies.size > 1) problems.push({tenant: tenants.map((t) => t.id).join(', '), message: `the plans of customer ${customer} in ${period.period} use different currencies (${[...currencies].sort().join(', ')}): one invoice has one currency`, suggestion: 'Give the customer\'s tenants plans in one currency (odoops tenant set-plan).'})
    if (problems.length > 0) {
      report.problems.push(...problems.map((p) => ({customer, ...p})))
      continue
    }
    if (lines.length === 0) continue
    const draft = buildDraft({customer, key: draftKeyOf(tenants.map((t) => t.id), customer), period, currency: [...currencies][0], seller: options.seller, buyer: buyer.party, lines, now})
    report.invoices.push(draft)
    const gaps = einvoiceGaps(draft, billingTenantOf(tenants)?.id)
    if (gaps) report.incomplete.push(gaps)
  }

  const produced = new Set(report.invoices.map((i) => i.id))
  if (options.dryRun) {
    const drafts = (await store.invoices.list({period: period.period, status: 'draft'})).map((r) => r.id)
    report.removedDrafts = drafts.filter((id) => !produced.has(id))
    return report
  }
  await store.transaction(async (tx) => {
    const current = (await tx.invoices.list({period: period.period})) as unknown as Invoice[]
    // An `invoice issue` may have run since the reads above: its invoices win.
    const nowIssued = standingIssued(current)
    report.invoices = report.invoices.filter((draft) => {
      const done = nowIssued.get(draft.customer)
      if (done && !report.skipped.some((s) => s.customer === draft.customer)) report.skipped.push({customer: draft.customer, number: done.number!, reason: `issued as ${done.number}`})
      return !done
    })
    const keep = new Set(report.invoices.map((i) => i.id))
    report.incomplete = report.incomplete.filter((i) => keep.has(i.invoice))
    for (const draft of current.filter((i) => i.status === 'draft' && !keep.has(i.id))) {
      await tx.invoices.delete(draft.id)
      report.removedDrafts.push(draft.id)
    }
    for (const draft of report.invoices) await tx.invoices.put(draft)
  })
  return report
}


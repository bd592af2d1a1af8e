import {usageError} from '../errors.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {dayOf, periodOf} from './period.js'
import {getPlanVersion} from './plans/store.js'
import type {Invoice, InvoiceParty} from './types.js'

/**
 * Billing fields kept on tenant records (TenantRecord keeps unknown fields):
 * - `billing`: the customer's party data for invoices, and an optional tax override
 *   (reverse charge for a cross-border business customer);
 * - `planHistory`: which plan applied from which day. A tenant with only the older `plan`
 *   field (set by `tenant create --plan`) has that plan from its creation day.
 */
export interface TenantBilling extends Partial<InvoiceParty> {
  /** Overrides the plan's tax category/percent for this customer (e.g. AE, 0). */
  taxCategory?: string
  taxPercent?: string
}

export interface PlanAssignment {
  plan: string
  /** First day the plan applies (YYYY-MM-DD); it applies until the next entry's day. */
  from: string
  /** Pinned plan version; without it each period uses the version in force then. */
  version?: number
  setAt?: string
}

export type BillableTenant = TenantRecord & {billing?: TenantBilling; planHistory?: PlanAssignment[]}

/** The customer key invoices are grouped by: the tenant's customer, or its slug when it has none. */
export function customerOf(tenant: TenantRecord): string {
  return tenant.customer ?? tenant.id
}

/** The first day a tenant exists (its record's creation day). */
export function tenantStart(tenant: TenantRecord): string | undefined {
  return tenant.createdAt ? dayOf(tenant.createdAt) : undefined
}

export function planHistoryOf(tenant: BillableTenant): PlanAssignment[] {
  if (Array.isArray(tenant.planHistory) && tenant.planHistory.length > 0) return [...tenant.planHistory].sort((a, b) => a.from.localeCompare(b.from))
  if (tenant.plan) return [{plan: tenant.plan, from: tenantStart(tenant) ?? '1970-01-01'}]
  return []
}

/** The assignment in force on a day. */
export function planOn(history: PlanAssignment[], day: string): PlanAssignment | undefined {
  return history.filter((a) => a.from <= day).at(-1)
}

async function getTenant(store: StateStore, slug: string): Promise<BillableTenant> {
  const tenant = await store.tenants.get(slug)
  if (!tenant) throw usageError('TENANT_NOT_FOUND', `No tenant "${slug}".`, ['odoops tenant list shows the tenants.'])
  return tenant
}

/** Refuse a change that reaches into a period already invoiced (issued, not credited) for the customer. */
async function assertNotInvoiced(store: StateStore, customer: string, from: string): Promise<void> {
  const invoices = (await store.invoices.list({customer})) as unknown as Invoice[]
  const credited = new Set(invoices.filter((i) => i.kind === 'credit-note' && i.creditOf).map((i) => i.creditOf))
  const blocking = invoices.filter((i) => i.kind === 'invoice' && i.status === 'issued' && i.period >= periodOf(from) && !credited.has(i.number))
  if (blocking.length > 0) {
    const first = blocking.sort((a, b) => a.period.localeCompare(b.period))[0]
    throw usageError('INVOICE_PERIOD_ISSUED', `Customer ${customer} is already invoiced for ${first.period} (${first.number}): a plan change from ${from} would not match it.`, [
      `Choose a day after ${blocking.at(-1)!.periodEnd}: --from ${nextDay(blocking.at(-1)!.periodEnd)}`,
      `Or correct the invoice: odoops invoice credit ${first.number}, then change the plan and generate again.`,
    ])
  }
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}

export interface SetPlanResult {
  tenant: string
  plan: string
  from: string
  version?: number
  /** The whole history after the change, oldest first. */
  history: PlanAssignment[]
  /** The plan in force today. */
  current?: string
}

/** Record that a tenant is on `plan` from `from` (replacing an entry of the same day); a mid-period change prorates both plans. */
export async function setTenantPlan(store: StateStore, slug: string, plan: string, options: {from?: string; version?: number; now?: Date} = {}): Promise<SetPlanResult> {
  const now = options.now ?? new Date()
  const tenant = await getTenant(store, slug)
  await getPlanVersion(store, plan, options.version)
  const from = options.from ?? dayOf(now)
  await assertNotInvoiced(store, customerOf(tenant), from)
  const entry: PlanAssignment = {plan, from, ...(options.version === undefined ? {} : {version: options.version}), setAt: now.toISOString()}
  let history: PlanAssignment[] = []
  let current: string | undefined
  await store.tenants.update(slug, (t) => {
    history = [...planHistoryOf(t as BillableTenant).filter((a) => a.from !== from), entry].sort((a, b) => a.from.localeCompare(b.from))
    current = planOn(history, dayOf(now))?.plan ?? t.plan
    return {...t, planHistory: history, ...(current ? {plan: current} : {})}
  })
  return {tenant: slug, plan, from, ...(options.version === undefined ? {} : {version: options.version}), history, ...(current ? {current} : {})}
}

export const BILLING_FIELDS = ['name', 'vat', 'street', 'city', 'postcode', 'country', 'endpointId', 'email', 'taxCategory', 'taxPercent'] as const
export type BillingField = (typeof BILLING_FIELDS)[number]

/** Set (or, with undefined, remove) billing fields of a tenant; returns the billing data after the change. */
export async function setTenantBilling(store: StateStore, slug: string, change: Partial<Record<BillingField, string | undefined>>): Promise<TenantBilling> {
  await getTenant(store, slug)
  if (change.country !== undefined && !/^[A-Z]{2}$/.test(change.country)) throw usageError('BILLING_INVALID', `"${change.country}" is not an ISO 3166-1 alpha-2 country code.`, ['Use two capital letters, e.g. --country BE.'])
  if (change.endpointId !== undefined && !/^[0-9]{4}:\S+$/.test(change.endpointId)) throw usageError('BILLING_INVALID', `"${change.endpointId}" is not a Peppol endpoint.`, ['Write scheme:value, e.g. --endpoint-id 0208:0123456789.'])
  if (change.taxPercent !== undefined && !/^(0|[1-9][0-9]?|100)(\.[0-9]+)?$/.test(change.taxPercent)) throw usageError('BILLING_INVALID', `"${change.taxPercent}" is not a tax percent.`, ['Write it as a decimal, e.g. --tax-percent 0.'])
  if (change.taxCategory !== undefined && !['S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M'].includes(change.taxCategory)) throw usageError('BILLING_INVALID', `"${change.taxCategory}" is not a UNCL5305 tax category.`, ['Use S, Z, E, AE, K, G, O, L or M.'])
  let billing: TenantBilling = {}
  await store.tenants.update(slug, (t) => {
    const next: Record<string, string> = {...((t as BillableTenant).billing ?? {})}
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined || value === '') delete next[key]
      else next[key] = value
    }
    billing = next
    return {...t, billing: next}
  })
  return billing
}

/**
 * The tenant whose billing data makes a customer's buyer party: its first tenant (by slug) that
 * has any, else its first tenant, the one `tenant set-billing` should then be given.
 */
export function billingTenantOf(tenants: BillableTenant[]): BillableTenant | undefined {
  const sorted = [...tenants].sort((a, b) => a.id.localeCompare(b.id))
  return sorted.find((t) => t.billing && Object.keys(t.billing).length > 0) ?? sorted[0]
}

/** The buyer of a customer's invoice: the billing data of its first tenant (by slug) that has any. */
export function buyerOf(customer: string, tenants: BillableTenant[]): {party: InvoiceParty; tax?: {category: string; percent: string}} {
  const billing = billingTenantOf(tenants)?.billing ?? {}
  const party: InvoiceParty = {name: billing.name ?? customer}
  for (const key of ['vat', 'street', 'city', 'postcode', 'country', 'endpointId', 'email'] as const) if (billing[key]) party[key] = billing[key]
  const tax = billing.taxCategory ? {category: billing.taxCategory, percent: billing.taxPercent ?? '0'} : undefined
  return {party, ...(tax ? {tax} : {})}
}

/** The seller from config `partner.*`. */
export function sellerFromSettings(get: (key: string) => unknown): InvoiceParty {
  const text = (key: string) => {
    const v = get(`partner.${key}`)
    return typeof v === 'string' && v !== '' ? v : undefined
  }
  const party: InvoiceParty = {name: text('name') ?? ''}
  for (const key of ['vat', 'street', 'city', 'postcode', 'country', 'endpointId', 'email'] as const) {
    // partner.email is not a config key (yet): Settings refuses unknown keys.
    try {
      const v = text(key)
      if (v) party[key] = v
    } catch {
      /* not a known key */
    }
  }
  return party
}

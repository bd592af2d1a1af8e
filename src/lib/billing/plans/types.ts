/**
 * A pricing plan as written in YAML (docs/billing.md, templates/plans/). The store keeps
 * every applied version; invoices name the version they were rated with.
 */
export type PlanKind = 'per-user' | 'unlimited' | 'bands' | 'hybrid'

/** How a month of daily snapshots becomes one quantity. `sum` is for per-day counts (invoices posted in the day). */
export type Aggregation = 'max' | 'latest' | 'average' | 'sum'

/** Decimal amount: a string ("24.90") or a YAML number (read through its decimal text). */
export type Amount = string | number

export interface PlanMetric {
  aggregation: Aggregation
  /** Metrics summed day by day into this one (storage.total = storage.database_bytes + storage.filestore_bytes). */
  sources?: string[]
  /** Unit the plan prices in; snapshots in bytes are converted (GB = 10^9 B, GiB = 2^30 B). */
  unit?: string
  /** UN/ECE rec. 20 code of the invoice lines (`C62` one, `E34` gigabyte). */
  unitCode?: string
  description?: string
}

export interface FlatComponent {
  type: 'flat'
  description: string
  price: Amount
}

export interface PerUserComponent {
  type: 'per-user'
  description?: string
  /** Default users.internal (Odoo's `active AND NOT share`). */
  metric?: string
  price: Amount
  /** Billed at least this many users. */
  minimum?: number
}

export interface FairUseComponent {
  type: 'fair-use'
  description?: string
  metric: string
  threshold: number
  /** alert: `meter check` reports it, nothing is billed; overage: each unit above is billed at `price`. */
  action: 'alert' | 'overage'
  price?: Amount
}

export interface Band {
  /** Upper bound of the band, inclusive; omitted on the last band (no limit). */
  upTo?: number
  unitPrice?: Amount
  flatPrice?: Amount
}

export interface BandsComponent {
  type: 'bands'
  description?: string
  metric: string
  /** volume: the whole quantity at the rate of the band it falls in; graduated: each unit at the rate of its band. */
  mode: 'volume' | 'graduated'
  bands: Band[]
}

export interface AddonComponent {
  type: 'addon'
  /** managed-hosting, support-gold, dedicated-environment… */
  id: string
  description: string
  price: Amount
  quantity?: number
}

export type PlanComponent = FlatComponent | PerUserComponent | FairUseComponent | BandsComponent | AddonComponent

export interface PlanDefinition {
  id: string
  name: string
  description?: string
  kind: PlanKind
  /** ISO 4217. */
  currency: string
  period: 'monthly'
  tax: {category: string; percent: Amount}
  metrics?: Record<string, PlanMetric>
  components: PlanComponent[]
}

/** A stored plan version (collection `plans`, id `<plan>@<version>`). */
export interface PlanVersionRecord {
  id: string
  plan: string
  version: number
  kind: PlanKind
  name: string
  currency: string
  /** sha256 of the canonical JSON of the definition: an unchanged file stores no new version. */
  digest: string
  definition: PlanDefinition
  appliedAt: string
  source?: string
  createdAt?: string
  updatedAt?: string
  [key: string]: unknown
}

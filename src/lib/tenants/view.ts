import type {TenantRecord} from '../state/records.js'

/** The public shape of a tenant in command output (`--json`): no secrets, no internal fields. */
export interface TenantView {
  slug: string
  host: string
  mode: TenantRecord['mode']
  series: string
  domain: string
  database: string
  state: TenantRecord['state']
  customer?: string
  plan?: string
  modules: string[]
  lang?: string
  country?: string
  service?: TenantRecord['service']
  tls?: TenantRecord['tls']
  operation?: {kind: string; startedAt: string; finishedAt?: string; failedStep?: string; error?: string}
  createdAt?: string
  updatedAt?: string
}

export function tenantView(t: TenantRecord): TenantView {
  return {
    slug: t.id,
    host: t.host,
    mode: t.mode,
    series: t.series,
    domain: t.domain,
    database: t.database,
    state: t.state,
    ...(t.customer ? {customer: t.customer} : {}),
    ...(t.plan ? {plan: t.plan} : {}),
    modules: t.modules ?? [],
    ...(t.lang ? {lang: t.lang} : {}),
    ...(t.country ? {country: t.country} : {}),
    ...(t.service ? {service: t.service} : {}),
    ...(t.tls ? {tls: t.tls} : {}),
    ...(t.operation
      ? {operation: {kind: t.operation.kind, startedAt: t.operation.startedAt, finishedAt: t.operation.finishedAt, failedStep: t.operation.failedStep, error: t.operation.error}}
      : {}),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  }
}

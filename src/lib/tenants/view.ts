import {addonSetOf} from '../addons/deploy/layout.js'
import {releaseLabel} from '../addons/views.js'
import type {AddonRepoRecord, HostRecord, TenantRecord} from '../state/records.js'

/** The public shape of a tenant in command output (`--json`): no secrets, no internal fields. */
export interface TenantView {
  slug: string
  host: string
  mode: TenantRecord['mode']
  series: string
  domain: string
  /** More names its vhost serves (`--alias`). */
  aliases?: string[]
  database: string
  state: TenantRecord['state']
  customer?: string
  plan?: string
  modules: string[]
  /** The addon repositories it asked for at creation (its service's set may hold more: `addons`). */
  addonRepos?: string[]
  lang?: string
  country?: string
  service?: TenantRecord['service']
  tls?: TenantRecord['tls']
  /** Its ACME certificate (`--tls acme`): issued, or failed with the check that failed (docs/tls.md). */
  acme?: TenantRecord['acme']
  /** Old names (`tenant set-domain`) answered with a 301 to `domain` until `until`. */
  redirects?: {names: string[]; until: string; certificate: string}[]
  /** An unfinished `tenant set-domain` (continue it with `tenant set-domain <slug> --resume`). */
  domainChange?: {from: string; to: string}
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
    ...(t.aliases?.length ? {aliases: t.aliases} : {}),
    database: t.database,
    state: t.state,
    ...(t.customer ? {customer: t.customer} : {}),
    ...(t.plan ? {plan: t.plan} : {}),
    modules: t.modules ?? [],
    ...(t.addonRepos?.length ? {addonRepos: t.addonRepos} : {}),
    ...(t.lang ? {lang: t.lang} : {}),
    ...(t.country ? {country: t.country} : {}),
    ...(t.service ? {service: t.service} : {}),
    ...(t.tls ? {tls: t.tls} : {}),
    ...(t.acme ? {acme: t.acme} : {}),
    ...(t.redirects?.length ? {redirects: t.redirects.map((r) => ({names: r.names, until: r.until, certificate: r.certificate}))} : {}),
    ...(t.domainChange ? {domainChange: {from: t.domainChange.from.domain, to: t.domainChange.to.domain}} : {}),
    ...(t.operation
      ? {operation: {kind: t.operation.kind, startedAt: t.operation.startedAt, finishedAt: t.operation.finishedAt, failedStep: t.operation.failedStep, error: t.operation.error}}
      : {}),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  }
}

/** An addon release in the addons_path of the service a tenant runs on (`tenant show`, `fleet status`). */
export interface TenantAddonView {
  repo: string
  sha256: string
  /** The git commit of the release, when its source is git. */
  commit?: string
  /** Short form for people: the commit, else `sha256:<prefix>`. */
  release: string
  /** Whose set it is: the host's shared service (every tenant on it has it) or the tenant's own service. */
  service: 'shared' | 'dedicated'
}

/**
 * The addon releases a tenant's service runs, in addons_path order: the shared service's
 * recorded set for a shared tenant, its own for a dedicated one. Commits come from the
 * repositories' records (a removed repository shows its content hash only).
 */
export function tenantAddons(tenant: Pick<TenantRecord, 'mode' | 'series' | 'addons'>, host: Pick<HostRecord, 'services'> | undefined, repos: readonly AddonRepoRecord[]): TenantAddonView[] {
  return addonSetOf(tenant, host).map(({repo, sha256}) => {
    const commit = repos.find((r) => r.id === repo)?.releases.find((release) => release.sha256 === sha256)?.commit
    return {repo, sha256, ...(commit ? {commit} : {}), release: releaseLabel({sha256, commit}), service: tenant.mode}
  })
}

/** `repo@release, …` for a table cell. */
export function addonsCell(addons: readonly TenantAddonView[]): string {
  return addons.map((a) => `${a.repo}@${a.release}`).join(', ')
}

import {messageOf} from '../errors.js'
import type {PackOdoo} from '../plugins/api.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {SshConnection} from '../ssh/connection.js'
import type {OnboardingRunRecord, TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {withStoredTenantSession} from '../tenants/odoo-session.js'
import {checkAppliesTo, DEFAULT_PACK_CHECK_TIMEOUT_MS, type RegisteredPackCheck} from './check-registry.js'

/**
 * Running the packs' fleet checks on a tenant (docs/plugins.md, "Fleet checks"): one admin
 * session on its Odoo, every check that applies in parallel on it, each against its own
 * timeout. Nothing here throws: a check that throws, hangs or answers nonsense is an `error`
 * result naming its pack; a session that cannot be opened makes every check `not-run`.
 */

/**
 * - `ok` / `failed`: what the check answered;
 * - `error`: it threw, did not finish within its timeout, or returned no `{ok, detail}` (the pack's fault);
 * - `not-run`: not attempted (tenant not active, host unreachable, service down) or no session could be opened.
 */
export type PackCheckStatus = 'ok' | 'failed' | 'error' | 'not-run'

/** One pack check's result on one tenant (`fleet status --json`: `tenants[].packChecks[]`). */
export interface FleetCheckResult {
  /** `<namespace>/<check>`, e.g. `wholesale/modules`. */
  name: string
  /** The package that contributed it, e.g. `@odoops/wholesale`. */
  pack: string
  status: PackCheckStatus
  severity: 'warning' | 'breach'
  /** The check's own line (ok/failed), the error (error), or why it did not run (not-run). */
  detail: string
  durationMs: number
}

export interface TenantPackChecks {
  results: FleetCheckResult[]
  /** Why no admin session could be opened on an active tenant whose service runs (scored as `pack-checks-not-run`). */
  notRun?: string
}

/** Runs `fn` with an admin session on the tenant's Odoo (default: storedTenantOdoo; tests pass their own). */
export type TenantOdooOpener = <R>(tenant: TenantRecord, fn: (odoo: PackOdoo) => Promise<R>) => Promise<R>

export interface TenantTemplate {
  name: string
  version: number
}

/** A check's detail is one line in a table and a notification: long ones are cut. */
const MAX_DETAIL = 400

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`
const oneLine = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL - 1)}…` : line
}

/** The template each tenant was onboarded with: its newest `done` onboarding run. */
export async function tenantTemplates(store: Pick<StateStore, 'onboardingRuns'>): Promise<Map<string, TenantTemplate>> {
  const runs: OnboardingRunRecord[] = await store.onboardingRuns.list()
  const found = new Map<string, {template: TenantTemplate; at: string}>()
  for (const run of runs) {
    if (run.state !== 'done' || typeof run.customer !== 'string' || typeof run.template !== 'string') continue
    const at = [run.finishedAt, run.startedAt].find((t): t is string => typeof t === 'string') ?? ''
    const previous = found.get(run.customer)
    if (previous && previous.at >= at) continue
    found.set(run.customer, {template: {name: run.template, version: Number(run.templateVersion ?? 0)}, at})
  }
  return new Map([...found].map(([slug, v]) => [slug, v.template]))
}

/** The checks that concern a tenant onboarded with `template` (null: without a template). */
export function checksFor(checks: readonly RegisteredPackCheck[], template: TenantTemplate | null): RegisteredPackCheck[] {
  return checks.filter((c) => checkAppliesTo(c, template?.name ?? null))
}

export function notRunResults(checks: readonly RegisteredPackCheck[], reason: string): FleetCheckResult[] {
  return checks.map((c) => ({name: c.name, pack: c.pack, status: 'not-run', severity: c.severity, detail: reason, durationMs: 0}))
}

/** The session as a check sees it: calls refused once its time is up. */
function boundOdoo(odoo: PackOdoo, signal: AbortSignal): PackOdoo {
  return {
    db: odoo.db,
    uid: odoo.uid,
    call: (model, method, args, kwargs) => (signal.aborted ? Promise.reject(new Error('the check ran out of time')) : odoo.call(model, method, args, kwargs)),
  }
}

async function runOne(check: RegisteredPackCheck, odoo: PackOdoo, tenant: TenantRecord, template: TenantTemplate | null): Promise<FleetCheckResult> {
  const started = Date.now()
  const base = {name: check.name, pack: check.pack, severity: check.severity}
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<typeof controller>((resolve) => {
    timer = setTimeout(() => resolve(controller), check.timeoutMs)
  })
  try {
    // Through then(): a check that throws synchronously is caught like one that rejects.
    const work = Promise.resolve().then(() =>
      check.check({
        odoo: boundOdoo(odoo, controller.signal),
        tenant: {slug: tenant.id, domain: tenant.domain, database: tenant.database, series: tenant.series},
        template: template ? {...template} : null,
        signal: controller.signal,
      }),
    )
    work.catch(() => {})
    const outcome: unknown = await Promise.race([work, timedOut])
    const durationMs = Date.now() - started
    if (outcome === controller) {
      controller.abort()
      return {...base, status: 'error', detail: `no answer within ${seconds(check.timeoutMs)}`, durationMs}
    }
    const answer = outcome as {ok?: unknown; detail?: unknown} | null
    if (typeof answer !== 'object' || answer === null || typeof answer.ok !== 'boolean') {
      return {...base, status: 'error', detail: 'it returned no {ok, detail} outcome', durationMs}
    }
    const detail = typeof answer.detail === 'string' ? oneLine(answer.detail) : ''
    return {...base, status: answer.ok ? 'ok' : 'failed', detail, durationMs}
  } catch (error) {
    return {...base, status: 'error', detail: oneLine(messageOf(error)), durationMs: Date.now() - started}
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs `checks` on one tenant over one admin session. The whole run is bounded too (opening
 * the session gets `sessionTimeoutMs`, default 20 s, plus the longest check's timeout), so a
 * service that accepts connections and never answers cannot hold `fleet status`.
 */
export async function runPackChecks(
  tenant: TenantRecord,
  template: TenantTemplate | null,
  checks: readonly RegisteredPackCheck[],
  open: TenantOdooOpener,
  options: {sessionTimeoutMs?: number} = {},
): Promise<TenantPackChecks> {
  if (checks.length === 0) return {results: []}
  const results = new Map<string, FleetCheckResult>()
  let opened = false
  const run = open(tenant, async (odoo) => {
    opened = true
    await Promise.all(checks.map(async (c) => results.set(c.name, await runOne(c, odoo, tenant, template))))
  })
  run.catch(() => {})
  const limitMs = (options.sessionTimeoutMs ?? DEFAULT_PACK_CHECK_TIMEOUT_MS) + Math.max(...checks.map((c) => c.timeoutMs))
  let timer: NodeJS.Timeout | undefined
  let failure: string | undefined
  try {
    await Promise.race([
      run,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no session within ${seconds(limitMs)}`)), limitMs)
      }),
    ])
  } catch (error) {
    failure = messageOf(error)
  } finally {
    clearTimeout(timer)
  }
  // Every check answered (a failure while closing the session changes nothing).
  if (results.size === checks.length) return {results: checks.map((c) => results.get(c.name)!)}
  const reason = opened ? `the session on its Odoo broke: ${failure}` : `could not log into its Odoo as admin: ${failure}`
  return {results: checks.map((c) => results.get(c.name) ?? notRunResults([c], reason)[0]), notRun: reason}
}

/**
 * The admin session `withTenantOdoo` gives a pack command: the tenant's stored credentials
 * (the vault, opened once on first use), over its host's SSH connection, without waiting for
 * a service that is not answering.
 */
export function storedTenantOdoo(store: StateStore, box: (() => Promise<SecretBox>) | undefined, connect: (host: string) => Promise<SshConnection>): TenantOdooOpener {
  let opened: Promise<SecretBox> | undefined
  return async (tenant, fn) => {
    if (!box) throw new Error("odoops' secret key is needed to read the tenant's admin credentials")
    opened ??= box()
    const secrets = await opened
    const conn = await connect(tenant.host)
    return withStoredTenantSession(store, secrets, conn, tenant, (session) => fn(session), {waitMs: 0})
  }
}

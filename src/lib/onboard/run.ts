import {withHeldLock} from '../state/with-lock.js'
import {randomBytes} from 'node:crypto'
import {ExitCode, isOdoopsError, OdoopsError, usageError} from '../errors.js'
import {StepFailedError, runSteps, type StepRecord} from '../steps/runner.js'
import {validateDomain} from '../names/domain.js'
import {validateSlug} from '../names/slug.js'
import {deleteSecrets, readSecret, secretIds, writeSecret} from '../secrets/vault.js'
import type {TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {busyError, lockOwner} from '../tenants/lock.js'
import {renderValue, wholeAnswerRef} from '../templates/refs.js'
import type {Template} from '../templates/types.js'
import {answersError, checkAnswers, registerPasswordAnswers, resolveAnswers, type AnswerIssue, type AnswerPrompter, type Answers} from './answers.js'
import type {OnboardContext, OnboardEnv} from './context.js'
import {answerSecret, onboardLockKey, runSecretPrefix, userPasswordSecret, type OnboardedUser, type OnboardingRun} from './record.js'
import {onboardSteps} from './steps.js'
import {slugify} from '../names/slug.js'
import {checkAddonRepos, mergeAddonRepos} from '../tenants/addons.js'

const LOCK_TTL_MS = 5 * 60_000

/** Everything an onboarding needs, checked, before anything is created. */
export interface OnboardRequest {
  template: Template
  answers: Answers
  customer: {slug: string; name: string; domain: string}
  /** Addon repositories: the template's, then those of --addons (addons_path order). */
  addons: string[]
  host?: string
  plan?: string
  backupTarget?: string
}

export interface OnboardInput {
  template: Template
  /** From the answers file, then `--answer` flags. */
  given: Record<string, unknown>
  /** --customer: the tenant slug (default: from the company name). */
  slug?: string
  /** --domain: overrides the template's domain answer. */
  domain?: string
  host?: string
  plan?: string
  backupTarget?: string
  /** --addons: repositories beyond the template's. */
  addons?: string[]
  /** odoops' data directory: the repositories' release tars must be there. */
  dataDir?: string
  interactive: boolean
  prompter?: AnswerPrompter
}

export interface OnboardResult {
  run: OnboardingRun
  tenant: TenantRecord
  url: string
  /** The customer was onboarded before: nothing was created, the existing tenant is reported. */
  existing: boolean
  resumed: boolean
  /** Initial passwords, for the caller to show once or write to a 0600 file (empty for `existing`). */
  credentials: {admin?: string; users: {login: string; password: string}[]}
}

/**
 * Answers (file, flags, prompts), the customer's slug, name and domain, and the fleet
 * rules, all checked together: every problem is listed at once (exit 2), nothing is
 * created. An answer bound to the domain (`customer.domain: "{{ answers.domain }}"`) is
 * overridden by --domain.
 */
export async function planOnboarding(store: StateStore, input: OnboardInput): Promise<OnboardRequest> {
  const {template} = input
  // Before any question is asked: a repository nobody registered fails the whole onboarding.
  const addons = mergeAddonRepos(template.addons, input.addons)
  await checkAddonRepos({store, ...(input.dataDir ? {dataDir: input.dataDir} : {})}, addons)
  const given = {...input.given}
  // Before any check can quote them: password answers from the file and the flags, then the prompts'.
  registerPasswordAnswers(template, given)
  const domainAnswer = wholeAnswerRef(template.customer?.domain)
  if (input.domain !== undefined && domainAnswer) given[domainAnswer] = input.domain
  const answers = input.interactive ? await resolveAnswers(template, given, {interactive: true, prompter: input.prompter}) : undefined
  if (answers) registerPasswordAnswers(template, answers)
  const checked = answers ? {answers, issues: [] as AnswerIssue[]} : checkAnswers(template, given)
  const issues = [...checked.issues]
  const scope = {answers: checked.answers, tenant: {}}
  const safe = (value: string | undefined) => {
    try {
      return value === undefined ? undefined : String(renderValue(value, scope))
    } catch {
      return undefined // an unanswered question: already reported
    }
  }
  const name = safe(template.customer?.name) ?? String((checked.answers.company_name as string | undefined) ?? '')
  const rawDomain = input.domain ?? safe(template.customer?.domain)
  const slug = input.slug ?? safe(template.customer?.slug) ?? (name ? slugify(name) : undefined)
  let domain: string | undefined
  if (!rawDomain) {
    if (!domainAnswer || !issues.some((i) => i.question === domainAnswer)) issues.push({question: 'domain', message: 'no domain: pass --domain <fqdn> (or answer the template\'s domain question)'})
  } else {
    try {
      domain = validateDomain(rawDomain)
    } catch (error) {
      if (!domainAnswer || !issues.some((i) => i.question === domainAnswer)) issues.push({question: domainAnswer ?? 'domain', message: (error as Error).message})
    }
  }
  if (!name) issues.push({question: 'customer', message: 'no customer name: the template names none and there is no company_name answer'})
  if (slug) {
    try {
      validateSlug(slug)
    } catch (error) {
      issues.push({question: 'customer', message: `${(error as Error).message} Pass --customer <slug>.`})
    }
  }
  // One onboarding per customer: a finished one is reported again, not repeated (see startOnboarding).
  const earlier = slug ? (await store.onboardingRuns.list({customer: slug})) as OnboardingRun[] : []
  if (slug && domain && earlier.length === 0) {
    const tenant = await store.tenants.get(slug)
    if (tenant) issues.push({question: 'customer', message: `a tenant "${slug}" already exists (on ${tenant.host}, not from an onboarding): choose another slug with --customer`})
    const sameDomain = (await store.tenants.list({domain}))[0]
    if (sameDomain && sameDomain.id !== slug) issues.push({question: domainAnswer ?? 'domain', message: `${domain} is already the domain of tenant "${sameDomain.id}": use another domain`})
  }
  if (issues.length) throw answersError(template, issues)
  return {
    template,
    answers: checked.answers,
    customer: {slug: slug!, name, domain: domain!},
    addons,
    ...(input.host ? {host: input.host} : {}),
    ...(input.plan ?? template.plan ? {plan: input.plan ?? template.plan} : {}),
    ...(input.backupTarget ? {backupTarget: input.backupTarget} : {}),
  }
}

/** A short run id, e.g. `ob-3f9a1c2e`. */
export function newRunId(): string {
  return `ob-${randomBytes(4).toString('hex')}`
}

/**
 * Start an onboarding. A customer onboarded before (a finished run with its tenant) is
 * reported as it is, nothing created; an unfinished run of the same customer must be
 * resumed, not started again.
 */
export async function startOnboarding(env: OnboardEnv, request: OnboardRequest): Promise<OnboardResult> {
  const {store} = env
  const {slug} = request.customer
  // Under the customer's lock: two starts of the same customer never both create a run.
  return withRunLock(store, slug, () => startLocked(env, request))
}

async function startLocked(env: OnboardEnv, request: OnboardRequest): Promise<OnboardResult> {
  const {store} = env
  const {slug} = request.customer
  const earlier = (await store.onboardingRuns.list({customer: slug})) as OnboardingRun[]
  const finished = earlier.find((r) => r.state === 'done')
  if (finished) {
    const tenant = await store.tenants.get(slug)
    if (tenant) return {run: finished, tenant, url: `https://${tenant.domain}`, existing: true, resumed: false, credentials: {users: []}}
  }
  const open = earlier.find((r) => r.state !== 'done')
  if (open) {
    throw usageError('ONBOARD_UNFINISHED', `Customer "${slug}" has an unfinished onboarding (${open.id}, ${open.state}${open.failedStep ? ` at ${open.failedStep}` : ''}).`, [
      `Continue it: odoops onboard --resume ${open.id}`,
      'odoops onboard list shows the runs.',
    ])
  }
  const id = newRunId()
  const secretAnswers = request.template.questions.filter((q) => q.type === 'password' && request.answers[q.id]).map((q) => q.id)
  for (const q of secretAnswers) await writeSecret(store, env.box, answerSecret(id, q), request.answers[q] as string)
  const answers = Object.fromEntries(Object.entries(request.answers).map(([k, v]) => [k, secretAnswers.includes(k) ? '' : v]))
  await store.onboardingRuns.insert({
    id,
    template: request.template.name,
    templateVersion: request.template.version,
    templateSnapshot: request.template,
    state: 'running',
    customer: slug,
    customerName: request.customer.name,
    domain: request.customer.domain,
    ...(request.addons.length ? {addons: request.addons} : {}),
    ...(request.plan ? {plan: request.plan} : {}),
    ...(request.host ? {host: request.host} : {}),
    autoPlace: !request.host,
    ...(request.backupTarget ? {backupTarget: request.backupTarget} : {}),
    answers,
    secretAnswers,
    steps: [],
    users: [],
    backupId: null,
    startedAt: new Date().toISOString(),
  } satisfies OnboardingRun)
  return executeLocked(env, id, false)
}

/** `onboard --resume <run-id>`: continue from the failed (or interrupted) step. */
export async function resumeOnboarding(env: OnboardEnv, runId: string): Promise<OnboardResult> {
  const run = (await env.store.onboardingRuns.get(runId)) as OnboardingRun | undefined
  if (!run) throw usageError('ONBOARD_RUN_NOT_FOUND', `No onboarding run "${runId}".`, ['odoops onboard list shows the runs and their ids.'])
  return executeRun(env, runId, true)
}

function withRunLock<R>(store: StateStore, slug: string, fn: () => Promise<R>): Promise<R> {
  return withHeldLock(
    store,
    {key: onboardLockKey(slug), owner: lockOwner('onboard'), ttlMs: LOCK_TTL_MS, busy: (holder) => busyError('ONBOARD_BUSY', `The onboarding of "${slug}" is running`, holder)},
    fn,
  )
}

async function credentialsOf(env: OnboardEnv, run: OnboardingRun): Promise<OnboardResult['credentials']> {
  const admin = await readSecret(env.store, env.box, secretIds.tenantAdminPassword(run.customer))
  const users: {login: string; password: string}[] = []
  for (const u of run.users.filter((x) => x.created)) {
    const password = await readSecret(env.store, env.box, userPasswordSecret(run.customer, u.login))
    if (password) users.push({login: u.login, password})
  }
  return {...(admin ? {admin} : {}), users}
}

async function executeRun(env: OnboardEnv, runId: string, resumed: boolean): Promise<OnboardResult> {
  const first = (await env.store.onboardingRuns.get(runId)) as OnboardingRun
  return withRunLock(env.store, first.customer, () => executeLocked(env, runId, resumed))
}

/** Runs (or continues) the plan of a run; the caller holds the customer's lock. */
async function executeLocked(env: OnboardEnv, runId: string, resumed: boolean): Promise<OnboardResult> {
  const {store} = env
  let run = (await store.onboardingRuns.get(runId)) as OnboardingRun
  if (run.state === 'done') {
    const tenant = await store.tenants.get(run.customer)
    if (!tenant) throw new OdoopsError('ONBOARD_TENANT_GONE', `Run ${run.id} finished, but tenant "${run.customer}" has since been removed.`, {exit: ExitCode.USAGE, suggestions: ['Onboard the customer again (a new run).']})
    return {run, tenant, url: `https://${tenant.domain}`, existing: true, resumed, credentials: {users: []}}
  }
  const answers: Answers = {...run.answers}
  for (const q of run.secretAnswers) answers[q] = (await readSecret(store, env.box, answerSecret(run.id, q))) ?? ''
  const save = async (change: Partial<OnboardingRun>) => {
    run = (await store.onboardingRuns.update(run.id, (current) => ({...current, ...change}))) as OnboardingRun
    ctx.run = run
  }
  const ctx: OnboardContext = {env, run, template: run.templateSnapshot, answers, save}
  if (resumed) await save({state: 'running', failedStep: undefined, error: undefined})
  let steps: StepRecord[]
  try {
    steps = await runSteps(onboardSteps(ctx), ctx, {previous: run.steps, signal: env.signal, observer: env.observer, save: (records) => save({steps: records})})
  } catch (error) {
    if (error instanceof StepFailedError) {
      const failure = isOdoopsError(error.failure) ? error.failure : undefined
      if (error.nothingChanged) {
        // Failed before its first change (no prepared host): nothing to resume, so no run is
        // kept (with its answers in the vault); the same command can simply be run again.
        await deleteSecrets(store, runSecretPrefix(run.id))
        await store.onboardingRuns.delete(run.id)
        throw new OdoopsError(failure?.code ?? 'ONBOARD_STEP_FAILED', `Onboarding of ${run.customer}: ${error.message} Nothing was created.`, {
          exit: failure?.exit === ExitCode.USAGE ? ExitCode.USAGE : ExitCode.FAILURE,
          suggestions: [...(failure?.suggestions ?? []), 'Fix the cause, then run the same odoops onboard command again.'],
          data: {customer: run.customer, failedStep: error.step, steps: error.records},
          cause: error.failure,
        })
      }
      await save({state: 'failed', steps: error.records, failedStep: error.step, error: error.message})
      throw new OdoopsError(failure?.code ?? 'ONBOARD_STEP_FAILED', `Onboarding ${run.id} of ${run.customer}: ${error.message}`, {
        exit: failure?.exit === ExitCode.USAGE ? ExitCode.USAGE : ExitCode.FAILURE,
        suggestions: [...(failure?.suggestions ?? []), `Fix the cause, then: odoops onboard --resume ${run.id}`],
        data: {run: run.id, customer: run.customer, failedStep: error.step, steps: error.records},
        cause: error.failure,
      })
    }
    throw error
  }
  await save({state: 'done', steps, finishedAt: new Date().toISOString()})
  const tenant = (await store.tenants.get(run.customer))!
  return {run, tenant, url: `https://${tenant.domain}`, existing: false, resumed, credentials: await credentialsOf(env, run)}
}

export type OnboardingRunState = OnboardingRun['state'] | 'interrupted'

export interface OnboardingRunView {
  id: string
  template: string
  templateVersion: number
  customer: string
  customerName: string
  domain: string
  host?: string
  state: OnboardingRunState
  failedStep?: string
  error?: string
  startedAt: string
  finishedAt?: string
  durationMs?: number
  users: OnboardedUser[]
  backupId: string | null
  steps: StepRecord[]
}

/** Runs, newest first; a `running` run whose lock nobody holds was killed: `interrupted`. */
export async function listOnboardingRuns(store: StateStore): Promise<OnboardingRunView[]> {
  const runs = (await store.onboardingRuns.list()) as OnboardingRun[]
  const held = new Set((await store.locks.list()).map((l) => l.key))
  return runs
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .map((r) => ({
      id: r.id,
      template: r.template,
      templateVersion: r.templateVersion,
      customer: r.customer,
      customerName: r.customerName,
      domain: r.domain,
      ...(r.host ? {host: r.host} : {}),
      state: r.state === 'running' && !held.has(onboardLockKey(r.customer)) ? 'interrupted' : r.state,
      ...(r.failedStep ? {failedStep: r.failedStep} : {}),
      ...(r.error ? {error: r.error} : {}),
      startedAt: r.startedAt,
      ...(r.finishedAt ? {finishedAt: r.finishedAt, durationMs: Date.parse(r.finishedAt) - Date.parse(r.startedAt)} : {}),
      users: r.users,
      backupId: r.backupId,
      steps: r.steps,
    }))
}


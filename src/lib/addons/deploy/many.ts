import pLimit from 'p-limit'
import {ExitCode, OdoopsError, messageOf, usageError} from '../../errors.js'
import type {AddonProblem} from '../checks.js'
import {assertRemovable, deploySet, hostOpsFor, type AddonsDeployEnv, type AddonsDeployResult} from './deploy.js'
import type {Change} from '../../remote/files.js'
import type {DeployHostOps} from './host-ops.js'
import {checkOnHost, pickReleases, type PickedRelease} from './pick.js'
import {resolveTarget, SHARED, targetLabel, type DeployTarget} from './service.js'

/**
 * `addons deploy` to several services in one run (`--host` and `--service` repeated): a
 * partner rolling a release out to its fleet. Every service is checked against its host's Odoo
 * first, and an error anywhere refuses the whole run with nothing changed on any host (one
 * report). Then the hosts go in parallel; on each, its services are switched side by side,
 * each under its own lock, restarted and health-checked as a single deploy is (each release is
 * copied once per host, by the first service that needs it). A service that fails is switched
 * back by itself and does not stop the others: each outcome is in `services`.
 */
export interface AddonsDeployManyInput {
  hosts: string[]
  /** `shared` (the shared service of each host) and dedicated tenants' slugs (each on one of the hosts). */
  services: string[]
  repos: string[]
  upgrade?: boolean
  /** Repositories taken away from every service named (each must run it). */
  remove?: string[]
}

export interface ServiceDeployOutcome {
  host: string
  /** `shared` or the dedicated tenant's slug. */
  service: string
  ok: boolean
  result?: AddonsDeployResult
  error?: {code: string; message: string; suggestions: string[]}
}

export interface AddonsDeployManyResult {
  /** Releases copied to a host by this run (once per host, whatever the number of its services). */
  copies: {host: string; repo: string; sha256: string}[]
  services: ServiceDeployOutcome[]
}

/** Services of one host switched side by side (each runs a few SSH channels at once). */
const SERVICES_AT_ONCE_PER_HOST = 4

interface Wanted {
  host: string
  service: string
  /** As resolved before the checks (the deploy resolves it again under the service's lock). */
  target: DeployTarget
}

export async function deployMany(env: AddonsDeployEnv, input: AddonsDeployManyInput): Promise<AddonsDeployManyResult> {
  const picked = await pickReleases(env, input.repos)
  assertRemovable(input.repos, input.remove ?? [])
  const wanted = await wantedServices(env, input)
  const byHost = new Map<string, Wanted[]>()
  for (const item of wanted) byHost.set(item.host, [...(byHost.get(item.host) ?? []), item])

  await checkEverywhere(env, byHost, picked)

  const copies: AddonsDeployManyResult['copies'] = []
  // The services of a host start together; the first to need a release copies it and the
  // others wait for that copy (each service's health check before its restart runs meanwhile).
  const opsByHost = new Map<string, Promise<DeployHostOps>>()
  const sharedEnv: AddonsDeployEnv = {
    ...env,
    hostOps: (host) => {
      let ops = opsByHost.get(host)
      if (!ops) opsByHost.set(host, (ops = hostOpsFor(env)(host).then((inner) => copyingOnce(inner, host, picked, copies))))
      return ops
    },
  }
  const outcomes = await Promise.all(
    [...byHost].map(async ([, services]) => {
      const limit = pLimit(SERVICES_AT_ONCE_PER_HOST)
      return Promise.all(services.map((item) => limit(() => deployOne(sharedEnv, item, picked, {upgrade: input.upgrade === true, remove: input.remove ?? []}))))
    }),
  )
  const order = (item: Pick<Wanted, 'host' | 'service'>) => wanted.findIndex((w) => w.host === item.host && w.service === item.service)
  return {copies, services: outcomes.flat().sort((a, b) => order(a) - order(b))}
}

async function deployOne(env: AddonsDeployEnv, {host, service}: Wanted, picked: PickedRelease[], options: {upgrade: boolean; remove: readonly string[]}): Promise<ServiceDeployOutcome> {
  try {
    const {result} = await deploySet(env, {host, service, what: 'addons deploy'}, picked, options)
    const upgradesOk = (result.upgrades ?? []).every((u) => u.ok)
    return {host, service, ok: upgradesOk, result}
  } catch (error) {
    if (env.signal?.aborted) throw error
    return {host, service, ok: false, error: error instanceof OdoopsError ? {code: error.code, message: error.message, suggestions: error.suggestions} : {code: 'ADDONS_DEPLOY_FAILED', message: messageOf(error), suggestions: []}}
  }
}

/** Host operations whose upload of a release happens once per host, the first caller told `changed`. */
function copyingOnce(inner: DeployHostOps, host: string, picked: PickedRelease[], copies: AddonsDeployManyResult['copies']): DeployHostOps {
  const uploads = new Map<string, Promise<Change>>()
  return {
    probe: (request) => inner.probe(request),
    readConfig: (path) => inner.readConfig(path),
    writeConfig: (path, text) => inner.writeConfig(path, text),
    restart: (unit, httpPort) => inner.restart(unit, httpPort),
    stop: (unit) => inner.stop(unit),
    upgradeModules: (run) => inner.upgradeModules(run),
    health: (tenant, options) => inner.health(tenant, options),
    journal: (unit) => inner.journal(unit),
    installedVersions: (database, modules) => inner.installedVersions(database, modules),
    remove: (names) => inner.remove(names),
    upload(sha256, tarPath) {
      const running = uploads.get(sha256)
      if (running) return running.then(() => 'unchanged' as const)
      const upload = inner.upload(sha256, tarPath).then((change) => {
        if (change === 'changed') copies.push({host, repo: picked.find((p) => p.release.sha256 === sha256)?.repo ?? '', sha256})
        return change
      })
      uploads.set(sha256, upload)
      return upload
    },
  }
}

/** The (host, service) pairs asked for: `shared` on every host, each tenant on its own host. */
async function wantedServices(env: AddonsDeployEnv, input: AddonsDeployManyInput): Promise<Wanted[]> {
  const hosts = [...new Set(input.hosts)]
  if (hosts.length !== input.hosts.length) throw usageError('ADDONS_HOST_DUPLICATE', 'A host is named twice.', ['Name each host once: --host h1 --host h2'])
  if (new Set(input.services).size !== input.services.length) throw usageError('ADDONS_SERVICE_DUPLICATE', 'A service is named twice.', ['Name each service once: --service shared --service <tenant>'])
  const pairs: Omit<Wanted, 'target'>[] = []
  for (const service of input.services) {
    if (service === SHARED) {
      for (const host of hosts) pairs.push({host, service})
      continue
    }
    const tenant = await env.store.tenants.get(service)
    const host = tenant?.host && hosts.includes(tenant.host) ? tenant.host : hosts[0]
    pairs.push({host, service})
  }
  // Every pair resolves (tenant on that host, dedicated, settled; the host has a shared service) before anything is read on a host.
  const wanted: Wanted[] = []
  for (const pair of pairs) wanted.push({...pair, target: await resolveTarget(env.store, pair.host, pair.service)})
  return wanted
}

/** Probes each host once and checks every service on it; all problems of all hosts in one report. */
async function checkEverywhere(env: AddonsDeployEnv, byHost: Map<string, Wanted[]>, picked: PickedRelease[]): Promise<void> {
  const python = picked.flatMap(({release}) => release.modules.flatMap((module) => module.externalPython))
  const failures: {host: string; service: string; error: OdoopsError}[] = []
  await Promise.all(
    [...byHost].map(async ([host, services]) => {
      env.onProgress?.(`Reading Odoo on ${host}`)
      const facts = await (await hostOpsFor(env)(host)).probe({python, configs: []})
      for (const {service, target} of services) {
        try {
          checkOnHost({host, series: target.series, label: targetLabel(target)}, picked, facts)
        } catch (error) {
          if (!(error instanceof OdoopsError)) throw error
          failures.push({host, service, error})
        }
      }
    }),
  )
  if (failures.length === 0) return
  if (failures.some((f) => f.error.code !== 'ADDONS_CHECK_FAILED')) throw failures.find((f) => f.error.code !== 'ADDONS_CHECK_FAILED')!.error
  throw new OdoopsError('ADDONS_CHECK_FAILED', `The checks failed for ${failures.length} of the services; nothing was changed on any host:\n${failures.map((f) => f.error.message).join('\n')}`, {
    exit: ExitCode.FAILURE,
    suggestions: [...new Set(failures.flatMap((f) => f.error.suggestions))],
    data: {
      problems: failures.flatMap((f) => problemsOf(f.error)),
      services: failures.map((f) => ({host: f.host, service: f.service, problems: problemsOf(f.error)})),
    },
  })
}

const problemsOf = (error: OdoopsError): AddonProblem[] => (error.data as {problems?: AddonProblem[]} | undefined)?.problems ?? []

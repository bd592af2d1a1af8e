import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {OdoopsError, ExitCode} from '../errors.js'
import {planOnboarding, startOnboarding} from '../onboard/index.js'
import type {StepObserver} from '../steps/runner.js'
import {prepareHost} from '../provision/prepare.js'
import {buildFixtureRepo} from '../sandbox/fixture.js'
import {FIXTURE_APT_SOURCE, sandboxDown, sandboxList, sandboxUp} from '../sandbox/index.js'
import type {SecretBox} from '../secrets/secret-box.js'
import {readSecret, secretIds} from '../secrets/vault.js'
import {openStore, parseStateLocation} from '../state/open.js'
import type {BackupRecord} from '../state/records.js'
import {connectHost} from '../hosts/connect.js'
import {checkTenantThroughNginx} from '../tenants/health.js'
import {loadTemplate} from '../templates/catalog.js'
import {DEMO_ANSWERS, DEMO_TEMPLATE} from './sample.js'

export const DEMO_SANDBOX = 'demo'

export interface DemoOptions {
  dataDir: string
  cacheDir: string
  box: SecretBox
  /** The real Odoo repository instead of the fixture stand-in (needs internet in the sandbox). */
  odooAptSource?: string
  series?: string
  keep: boolean
  signal?: AbortSignal
  /** One line per phase ("Booting a sandbox…"). */
  say: (line: string) => void
  observer?: StepObserver
}

export interface DemoResult {
  odoo: 'fixture' | 'real'
  sandbox: {name: string; address: string}
  tenant: {slug: string; domain: string; url: string; database: string; host: string; mode: string}
  usersCreated: string[]
  backup: {id: string; totalBytes: number; files: number; verified: boolean | null} | null
  health: {ok: boolean; detail: string}
  kept: boolean
  /** Where the demo's own state store lives (only meaningful with --keep). */
  state: string
  durationMs: number
  phases: {name: string; durationMs: number}[]
}

/**
 * The README demo: a disposable sandbox, prepared with the fixture Odoo (or the real
 * repository), a sample customer onboarded from the distribution template, its initial
 * backup, and a health check through nginx — the main job end to end. It uses a state
 * store of its own (`<dataDir>/demo/state`) so it never mixes with real hosts and
 * tenants, and removes everything unless `keep`.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now()
  const demoDir = join(options.dataDir, 'demo')
  if ((await sandboxList({dataDir: options.dataDir})).sandboxes.some((s) => s.name === DEMO_SANDBOX)) {
    throw new OdoopsError('DEMO_RUNNING', `A demo sandbox is still running (kept by an earlier odoops demo --keep).`, {
      exit: ExitCode.USAGE,
      suggestions: [`Remove it first: odoops sandbox down --name ${DEMO_SANDBOX} --state ${join(demoDir, 'state')}`, `Then: rm -rf ${demoDir}`],
    })
  }
  rmSync(demoDir, {recursive: true, force: true})
  const store = await openStore(parseStateLocation(join(demoDir, 'state'), options.dataDir))
  const phases: DemoResult['phases'] = []
  const phase = async <T>(name: string, line: string, fn: () => Promise<T>): Promise<T> => {
    options.say(line)
    const at = Date.now()
    const value = await fn()
    phases.push({name, durationMs: Date.now() - at})
    return value
  }
  const series = options.series ?? '17.0'
  let booted = false
  try {
    const fixture = options.odooAptSource
      ? undefined
      : await phase('fixture', 'Building the fixture Odoo package (a small stand-in for tests and demos, NOT the real Odoo)…', () => buildFixtureRepo(options.cacheDir, series as '17.0'))
    const up = await phase('sandbox', 'Booting a disposable Debian 12 test host (systemd-nspawn)…', () =>
      sandboxUp({dataDir: options.dataDir, cacheDir: options.cacheDir, name: DEMO_SANDBOX, image: 'postgres-nginx', fixtureOdoo: fixture, store, signal: options.signal}),
    )
    booted = true
    const sandbox = up.sandboxes[0]
    await phase('prepare', `Preparing ${sandbox.name} (${sandbox.address}): PostgreSQL, nginx, the odoo package, the shared service…`, () =>
      prepareHost({store, box: options.box, host: sandbox.name, series, aptSource: options.odooAptSource ?? FIXTURE_APT_SOURCE, signal: options.signal}),
    )
    const env = {store, box: options.box, signal: options.signal, observer: options.observer, dataDir: demoDir}
    const onboarded = await phase('onboard', `Onboarding "${DEMO_ANSWERS.company_name as string}" from the ${DEMO_TEMPLATE} template (tenant, modules, company, users, backup)…`, async () => {
      const {template} = loadTemplate(DEMO_TEMPLATE)
      const request = await planOnboarding(store, {template, given: DEMO_ANSWERS, host: sandbox.name, backupTarget: 'default', interactive: false})
      return startOnboarding(env, request)
    })
    const tenant = onboarded.tenant
    const backups = (await store.backups.list({tenant: tenant.id})) as (BackupRecord & {totalBytes?: number; files?: unknown[]; verification?: {status: string}})[]
    const backup = backups.at(-1)
    const health = await phase('health', `Checking ${tenant.domain} through nginx as its users will reach it…`, async () => {
      const password = await readSecret(store, options.box, secretIds.tenantAdminPassword(tenant.id))
      return checkTenantThroughNginx(await connectHost(store, sandbox.name), tenant, {password, waitMs: 30_000})
    })
    return {
      odoo: options.odooAptSource ? 'real' : 'fixture',
      sandbox: {name: sandbox.name, address: sandbox.address},
      tenant: {slug: tenant.id, domain: tenant.domain, url: onboarded.url, database: tenant.database, host: tenant.host, mode: tenant.mode},
      usersCreated: onboarded.credentials.users.map((u) => u.login),
      backup: backup ? {id: backup.id, totalBytes: backup.totalBytes ?? 0, files: backup.files?.length ?? 0, verified: backup.verification ? backup.verification.status === 'verified' : null} : null,
      health: {ok: health.ok, detail: health.detail},
      kept: options.keep,
      state: join(demoDir, 'state'),
      durationMs: Date.now() - started,
      phases,
    }
  } finally {
    if (!options.keep) {
      if (booted) await sandboxDown({dataDir: options.dataDir, names: [DEMO_SANDBOX], store}).catch(() => {})
      await store.close()
      if (existsSync(demoDir)) rmSync(demoDir, {recursive: true, force: true})
    } else {
      await store.close()
    }
  }
}

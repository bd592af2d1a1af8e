import {expect} from 'chai'
import {addonsPathOf} from '../../src/lib/addons/deploy/addons-path.js'
import type {DeployHostOps} from '../../src/lib/addons/deploy/host-ops.js'
import type {HostAddonFacts} from '../../src/lib/addons/deploy/probe.js'
import {OdoopsError} from '../../src/lib/errors.js'
import {renderOdooConfig} from '../../src/lib/provision/odoo-config.js'
import type {SharedServiceRecord, TenantRecord} from '../../src/lib/state/records.js'

/** A host in memory for addons deploy/rollback tests (DeployHostOps), and records to go with it. */
export const CORE = '/usr/lib/python3/dist-packages/odoo/addons'
export const SHARED_CONFIG = '/etc/odoops/shared-17.conf'
export const DEDICATED_CONFIG = '/etc/odoops/tenants/solo.conf'

export const baseConfig = (dbNames: string[]) =>
  renderOdooConfig({series: '17.0', dbHost: '127.0.0.1', dbPort: 5432, dbUser: 'u', dbPassword: 'p', dataDir: '/d', httpPort: 8100, geventPort: 8101, adminPasswd: 'm', dbFilter: '^%h$', dbNames, workers: 2, maxCronThreads: 1, limitMemorySoft: 1, limitMemoryHard: 2, limitTimeCpu: 600, limitTimeReal: 1200})

/** A host in memory: files, the addons root, the service's health, and every call made to it. */
export class FakeHost implements DeployHostOps {
  calls: string[] = []
  files = new Map<string, string>([
    [SHARED_CONFIG, baseConfig(['acme.test', 'beta.test'])],
    [DEDICATED_CONFIG, baseConfig(['solo.test'])],
  ])
  entries = new Map<string, number>()
  /** A release that breaks the service: its tenants fail their health check while it is in addons_path. */
  breaks?: string
  /** The service does not start with any addons in its path. */
  restartFails = false
  /** Tenants that fail their health check whatever runs. */
  alwaysUnhealthy = new Set<string>()
  healthWaits: number[] = []
  versions: Record<string, Record<string, string>> = {}
  core = ['base', 'web', 'mail', 'contacts']
  missingPython: string[] = []

  async probe(request: {python: string[]; configs: string[]}): Promise<HostAddonFacts> {
    this.calls.push('probe')
    const referenced = request.configs.flatMap((config) => (addonsPathOf(this.files.get(config) ?? '') ?? []).flatMap((dir) => /\/([0-9a-f]{64})$/.exec(dir)?.[1] ?? []))
    return {
      odooAddons: [{path: CORE, modules: this.core}],
      missingPython: request.python.filter((name) => this.missingPython.includes(name)),
      entries: [...this.entries].map(([name, ageSeconds]) => ({name, ageSeconds})),
      referenced,
    }
  }
  async readConfig(path: string) {
    this.calls.push(`read ${path}`)
    return this.files.get(path)
  }
  async upload(sha256: string) {
    this.calls.push(`upload ${sha256.slice(0, 8)}`)
    if (this.entries.has(sha256)) return 'unchanged' as const
    this.entries.set(sha256, 0)
    return 'changed' as const
  }
  async writeConfig(path: string, text: string) {
    this.calls.push(`write ${path}`)
    const change = this.files.get(path) === text ? ('unchanged' as const) : ('changed' as const)
    this.files.set(path, text)
    return change
  }
  async restart(unit: string) {
    this.calls.push(`restart ${unit}`)
    if (this.restartFails && addonsPathOf(this.files.get(SHARED_CONFIG) ?? '')) throw new OdoopsError('UNIT_FAILED', `${unit} did not become active (it is failed).`)
  }
  async stop(unit: string) {
    this.calls.push(`stop ${unit}`)
  }
  /** Databases whose -u fails. */
  upgradeFails = new Set<string>()
  /** What -u sets each module's version to (default: the version it finds in the release, as Odoo does). */
  upgradeTo: Record<string, string> = {}
  async upgradeModules(run: {config: string; database: string; modules: readonly string[]}) {
    this.calls.push(`upgrade ${run.database} ${run.modules.join(',')} with ${(addonsPathOf(this.files.get(run.config) ?? '') ?? []).length} path(s)`)
    if (this.upgradeFails.has(run.database)) return {ok: false, detail: `odoo -u failed on ${run.database} (exit 1):\nERROR ${run.database} odoo.modules.loading: KeyError`}
    const versions = (this.versions[run.database] ??= {})
    for (const module of run.modules) if (this.upgradeTo[module]) versions[module] = this.upgradeTo[module]
    return {ok: true, detail: `upgraded ${run.modules.join(', ')}`}
  }
  async health(tenant: TenantRecord, options: {waitMs: number}) {
    this.calls.push(`health ${tenant.id}`)
    this.healthWaits.push(options.waitMs)
    const broken = this.breaks !== undefined && (addonsPathOf(this.files.get(SHARED_CONFIG) ?? '') ?? []).some((dir) => dir.endsWith(this.breaks!))
    return broken || this.alwaysUnhealthy.has(tenant.id) ? {ok: false, detail: '/web/health: HTTP 500'} : {ok: true, detail: '/web/health passes, login ok'}
  }
  async journal(unit: string) {
    this.calls.push(`journal ${unit}`)
    return '2026-01-01T00:00:00 host odoo[1]: ImportError: cannot import name broken\n2026-01-01T00:00:01 host systemd[1]: odoops-shared-17.service: Failed'
  }
  async installedVersions(database: string, modules: readonly string[]) {
    this.calls.push(`versions ${database}`)
    return Object.fromEntries(Object.entries(this.versions[database] ?? {}).filter(([name]) => modules.includes(name)))
  }
  async remove(names: readonly string[]) {
    this.calls.push(`remove ${names.map((n) => n.slice(0, 8)).join(',')}`)
    for (const name of names) this.entries.delete(name)
  }
}

export const shared: SharedServiceRecord = {
  series: '17.0',
  odooVersion: '17.0-20260101',
  unit: 'odoops-shared-17.service',
  config: SHARED_CONFIG,
  dataDir: '/var/lib/odoops/shared-17',
  logFile: '/var/log/odoops/shared-17.log',
  httpPort: 8100,
  geventPort: 8101,
  role: 'odoops_shared_17',
  pgHost: '127.0.0.1',
  pgPort: 5432,
  databases: ['acme.test', 'beta.test'],
  preparedAt: '2026-01-01T00:00:00Z',
}

export const tenant = (id: string, fields: Partial<TenantRecord> = {}): TenantRecord => ({id, host: 'h1', mode: 'shared', domain: `${id}.test`, series: '17.0', database: `${id}.test`, state: 'active', ...fields})

export function thrownBy(promise: Promise<unknown>): Promise<OdoopsError> {
  return promise.then(
    () => expect.fail('expected an error'),
    (error: unknown) => error as OdoopsError,
  )
}

import {X509Certificate} from 'node:crypto'
import {ExitCode, OdoopsError, messageOf, usageError} from '../errors.js'
import {connectHost} from '../hosts/connect.js'
import {getHost} from '../hosts/lookup.js'
import {dearmorKey, ensureAptSource, ensurePackages, installedVersion, parseAptSourceLine} from '../remote/apt.js'
import {freeBytes} from '../remote/disk.js'
import {ensureDirectory, ensureRemoteFile, readRemoteFile, type Change} from '../remote/files.js'
import {ensureNginxRunning, applyNginxSite} from '../remote/nginx.js'
import {listeningPorts, waitForPort} from '../remote/ports.js'
import {clusterUnit, ensureLoginRole, pgCluster, type PgClusterInfo} from '../remote/postgres-admin.js'
import {ensureUnitActive, ensureUnitFile, ensureUnitStopped, systemctl, unitStatus} from '../remote/systemd.js'
import {registerSecret} from '../secrets/redact.js'
import type {SecretBox} from '../secrets/secret-box.js'
import {ensureSecret, secretIds} from '../secrets/vault.js'
import type {SshConnection} from '../ssh/connection.js'
import {command, shell} from '../ssh/quote.js'
import type {HostAcmeRecord, HostRecord, SharedServiceRecord} from '../state/records.js'
import {ACME_WEBROOT, ensureAcmeSetup, resolveAcmeServer, validateAcmeEmail} from '../remote/acme.js'
import type {StateStore} from '../state/store.js'
import {sharedNames} from './service-names.js'
import {CONNECTION_UPGRADE_MAP, DEFAULT_SERVER_FILE, DEFAULT_TLS_SERVER, supportsRejectHandshake} from './vhost.js'
import {parseOdooConfig, renderOdooConfig} from './odoo-config.js'
import {allocatePortPair} from './port-allocation.js'
import {recordedAddonsPath} from '../addons/deploy/recorded-path.js'
import {renderOdooUnit} from './systemd-unit.js'

/**
 * `odoops host prepare`: turns a Debian host into one that runs a shared (multi-tenant)
 * Odoo service of one series, like an Ansible play: every step checks before it acts and
 * reports `changed` or `unchanged`, so a second run changes nothing. Everything that can
 * be refused (bad input, unreachable host, another Odoo series already installed, a full
 * disk) is refused before the first change.
 */
export interface PrepareOptions {
  store: StateStore
  box: SecretBox
  host: string
  series: string
  /** One-line apt source for the `odoo` package (default: Odoo's nightly repository of the series). */
  aptSource?: string
  /** The repository's OpenPGP key (armored or binary), installed at the source's signed-by path. */
  aptKey?: Buffer
  withWkhtmltopdf?: boolean
  signal?: AbortSignal
  /** Called when a step starts (no result) and when it ends. */
  onStep?: (step: {name: string; title: string}, result?: PrepareStepResult) => void
  /** Fetches the default repository key when it is not installed (tests replace it). */
  fetchKey?: (url: string) => Promise<Buffer>
  /** `--acme-email`: certbot and an ACME account on the host (docs/tls.md). */
  acme?: {email: string; /** Directory URL, `production` or `staging` (default production). */ server?: string; /** PEM the ACME server's TLS certificate chains to (a private or test CA). */ caBundle?: string}
}

export interface PrepareStepResult {
  name: string
  title: string
  change: Change
  detail?: string
  durationMs: number
}

export interface PrepareResult {
  host: string
  series: string
  /** `odoo --version` of the installed package, without "Odoo Server ". */
  odooVersion: string
  steps: PrepareStepResult[]
  service: SharedServiceRecord
  /** Number of steps that changed something (0 on a re-run). */
  changed: number
  /** The host's ACME account, when it has one (set up by this or an earlier run with --acme-email). */
  acme?: HostAcmeRecord
}

export const ODOO_KEY_URL = 'https://nightly.odoo.com/odoo.key'
export const ODOO_KEYRING = '/usr/share/keyrings/odoo-archive-keyring.gpg'
export const ODOO_SOURCE_FILE = 'odoo.list'
/** The package's own unit (debian/odoo.service): it serves /etc/odoo/odoo.conf on 8069 with the database manager open. */
export const PACKAGE_ODOO_UNIT = 'odoo.service'
const UPGRADE_MAP_FILE = 'odoops-upgrade-map.conf'
/** Installing PostgreSQL, nginx and Odoo needs room; a host with less is refused up front. */
const MIN_FREE_BYTES = 1024 ** 3

/** Odoo's official nightly repository of a series (odoo.com/documentation …/install/packaged). */
export function defaultAptSource(series: string): string {
  return `deb [signed-by=${ODOO_KEYRING}] https://nightly.odoo.com/${series}/nightly/deb/ ./`
}

/** Odoo series are "<major>.0"; odoops runs 14.0 and later (Python 3 only, longpolling/gevent ports). */
export function validateSeries(series: string): string {
  const match = /^(\d{2})\.0$/.exec(series)
  if (!match || Number(match[1]) < 14) {
    throw usageError('ODOO_SERIES_INVALID', `"${series}" is not an Odoo series odoops can prepare.`, ['Use a major series such as 17.0, 18.0 or 19.0 (--odoo 19.0).'])
  }
  return series
}

/** "Odoo Server 17.0-20240101" → "17.0-20240101". */
export function parseOdooVersion(output: string): string {
  return output.trim().split('\n')[0].replace(/^Odoo Server\s*/i, '').trim()
}

/** True when an Odoo version or Debian package version ("17.0-2024…", "17.0.2024…", "17.0") belongs to `series`. */
export function versionInSeries(version: string, series: string): boolean {
  return version === series || version.startsWith(`${series}-`) || version.startsWith(`${series}.`) || version.startsWith(`${series}+`)
}

/** Ports recorded for a host in the store: its shared services and its tenants' services. */
export async function recordedPorts(store: Pick<StateStore, 'tenants'>, host: HostRecord, exceptSeries?: string): Promise<number[]> {
  const ports: number[] = []
  for (const [series, service] of Object.entries(host.services ?? {})) {
    if (series !== exceptSeries) ports.push(service.httpPort, service.geventPort)
  }
  for (const tenant of await store.tenants.list({host: host.id})) {
    if (tenant.mode === 'dedicated' && tenant.service) ports.push(tenant.service.httpPort, tenant.service.geventPort)
  }
  return ports
}

interface PrepareContext {
  conn: SshConnection
  host: HostRecord
  series: string
  names: ReturnType<typeof sharedNames>
  aptSource: string
  keyring?: {path: string; content: Buffer}
  packages: string[]
  cluster?: PgClusterInfo
  odooVersion?: string
  /** The installed package's Debian version (dpkg), what `release` compares builds by. */
  odooPackage?: string
  dbPassword?: string
  /** --acme-email and its server, validated in the preflight. */
  acme?: {email: string; server: string; caBundle?: string}
  ports?: {httpPort: number; geventPort: number}
  configChanged?: boolean
}

type StepOutcome = Change | {change: Change; detail?: string}

interface PrepareStep {
  name: string
  title: string
  run(ctx: PrepareContext): Promise<StepOutcome>
}

function combine(...changes: Change[]): Change {
  return changes.includes('changed') ? 'changed' : 'unchanged'
}

async function defaultFetchKey(url: string): Promise<Buffer> {
  const response = await fetch(url, {signal: AbortSignal.timeout(30_000)})
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  return Buffer.from(await response.arrayBuffer())
}

function steps(options: PrepareOptions): PrepareStep[] {
  const {store, box} = options
  return [
    {
      name: 'packages',
      title: 'PostgreSQL, nginx and OpenSSL installed',
      async run(ctx) {
        return {change: await ensurePackages(ctx.conn, ctx.packages), detail: ctx.packages.join(', ')}
      },
    },
    {
      name: 'postgresql',
      title: 'PostgreSQL cluster running and enabled',
      async run(ctx) {
        let change: Change = 'unchanged'
        let cluster = await pgCluster(ctx.conn)
        if (!cluster.running) {
          await systemctl(ctx.conn, 'start', clusterUnit(cluster))
          change = 'changed'
        }
        // postgresql.service starts every cluster whose start.conf says auto (Debian's generator).
        if ((await unitStatus(ctx.conn, 'postgresql.service')).enabled !== 'enabled') {
          await systemctl(ctx.conn, 'enable', 'postgresql.service')
          change = 'changed'
        }
        cluster = await pgCluster(ctx.conn)
        if (!cluster.running) throw new OdoopsError('PG_NOT_RUNNING', `PostgreSQL ${cluster.major} (${cluster.name}) on ${ctx.host.id} did not start.`, {
          suggestions: [`See the log on the host: journalctl -u ${clusterUnit(cluster)}; /var/log/postgresql/`],
        })
        ctx.cluster = cluster
        return {change, detail: `PostgreSQL ${cluster.version.split(' ')[0]} on port ${cluster.port}`}
      },
    },
    {
      name: 'odoo-source',
      title: 'Odoo apt source configured',
      async run(ctx) {
        const change = await ensureAptSource(ctx.conn, ODOO_SOURCE_FILE, ctx.aptSource, ctx.keyring)
        return {change, detail: ctx.aptSource}
      },
    },
    {
      name: 'odoo-package',
      title: 'odoo package installed',
      async run(ctx) {
        const change = await ensurePackages(ctx.conn, ['odoo'])
        const version = parseOdooVersion(await ctx.conn.run(command(['/usr/bin/odoo', '--version']), {root: true, timeoutMs: 60_000}))
        if (!versionInSeries(version, ctx.series)) {
          throw new OdoopsError('ODOO_SERIES_MISMATCH', `The odoo package installed from "${ctx.aptSource}" is ${version}, not ${ctx.series}.`, {
            suggestions: [`Point --apt-source at the ${ctx.series} repository (default: ${defaultAptSource(ctx.series)}).`],
          })
        }
        ctx.odooVersion = version
        ctx.odooPackage = await installedVersion(ctx.conn, 'odoo')
        return {change, detail: `Odoo ${version}`}
      },
    },
    {
      name: 'default-service',
      title: "package's odoo.service stopped and disabled",
      async run(ctx) {
        // It would serve /etc/odoo/odoo.conf on 8069 with the database manager open, as a CREATEDB role.
        return {change: await ensureUnitStopped(ctx.conn, PACKAGE_ODOO_UNIT), detail: PACKAGE_ODOO_UNIT}
      },
    },
    {
      name: 'role',
      title: 'PostgreSQL role for the shared service',
      async run(ctx) {
        const password = await ensureSecret(store, box, secretIds.sharedDbPassword(ctx.host.id, ctx.series))
        registerSecret(password)
        ctx.dbPassword = password
        // CREATEDB: Odoo creates its tenants' databases itself; never a superuser (Odoo refuses db_user=postgres).
        const change = await ensureLoginRole(ctx.conn, ctx.names.role, password, {createdb: true})
        return {change, detail: `${ctx.names.role} (LOGIN CREATEDB NOSUPERUSER)`}
      },
    },
    {
      name: 'directories',
      title: 'odoops directories',
      async run(ctx) {
        const change = combine(
          await ensureDirectory(ctx.conn, '/etc/odoops', {mode: 0o755}),
          await ensureDirectory(ctx.conn, '/etc/odoops/tenants', {mode: 0o755}),
          await ensureDirectory(ctx.conn, '/var/lib/odoops', {mode: 0o755}),
          await ensureDirectory(ctx.conn, ctx.names.dataDir, {mode: 0o750, owner: 'odoo'}),
          await ensureDirectory(ctx.conn, '/var/log/odoops', {mode: 0o750, owner: 'odoo'}),
        )
        return {change, detail: `${ctx.names.dataDir}, /var/log/odoops`}
      },
    },
    {
      name: 'shared-config',
      title: 'shared service configuration',
      async run(ctx) {
        ctx.ports = await sharedPorts(store, ctx)
        const record = ctx.host.services?.[ctx.series]
        // Addons deployed to the service stay in its addons_path (addons deploy).
        const addonsPath = await recordedAddonsPath(ctx.conn, record?.addons)
        const content = renderOdooConfig({
          series: ctx.series,
          dbHost: '127.0.0.1',
          dbPort: ctx.cluster!.port,
          dbUser: ctx.names.role,
          dbPassword: ctx.dbPassword!,
          dataDir: ctx.names.dataDir,
          httpPort: ctx.ports.httpPort,
          geventPort: ctx.ports.geventPort,
          adminPasswd: registered(await ensureSecret(store, box, secretIds.sharedMasterPassword(ctx.host.id, ctx.series))),
          // One database per tenant, named after its domain: `^%h$` picks it from the Host header (Odoo's db_filter).
          dbFilter: '^%h$',
          dbNames: record?.databases ?? [],
          workers: 2,
          maxCronThreads: 1,
          limitMemorySoft: 640 * 2 ** 20,
          limitMemoryHard: 768 * 2 ** 20,
          limitTimeCpu: 600,
          limitTimeReal: 1200,
          ...(addonsPath ? {addonsPath} : {}),
        })
        const change = await ensureRemoteFile(ctx.conn, ctx.names.config, content, {mode: 0o640, owner: 'root', group: 'odoo'})
        ctx.configChanged = change === 'changed'
        return {change, detail: `${ctx.names.config} (HTTP ${ctx.ports.httpPort}, gevent ${ctx.ports.geventPort})`}
      },
    },
    {
      name: 'shared-unit',
      title: 'shared service running under systemd',
      async run(ctx) {
        const unitChange = await ensureUnitFile(ctx.conn, ctx.names.unit, renderOdooUnit({description: `Odoo ${ctx.series} shared service (odoops)`, config: ctx.names.config, logFile: ctx.names.logFile}))
        const restart = unitChange === 'changed' || ctx.configChanged === true
        const active = await ensureUnitActive(ctx.conn, ctx.names.unit, {restart})
        await waitForPort(ctx.conn, ctx.names.unit, ctx.ports!.httpPort, options.signal)
        return {change: combine(unitChange, active), detail: `${ctx.names.unit} on 127.0.0.1:${ctx.ports!.httpPort}`}
      },
    },
    {
      name: 'nginx',
      title: 'nginx running with the websocket upgrade map',
      async run(ctx) {
        let change = await applyNginxSite(ctx.conn, UPGRADE_MAP_FILE, CONNECTION_UPGRADE_MAP)
        const files = [UPGRADE_MAP_FILE]
        const version = await ctx.conn.exec(shell`nginx -v`, {root: true})
        if (supportsRejectHandshake(version.stderr.toString() + version.stdout.toString())) {
          change = combine(change, await applyNginxSite(ctx.conn, DEFAULT_SERVER_FILE, DEFAULT_TLS_SERVER))
          files.push(DEFAULT_SERVER_FILE)
        }
        change = combine(change, await ensureNginxRunning(ctx.conn))
        return {change, detail: files.map((f) => `/etc/nginx/conf.d/${f}`).join(', ')}
      },
    },
    ...(options.acme
      ? [
          {
            name: 'acme',
            title: 'certbot, ACME account, webroot, renewal hook and timer',
            async run(ctx: PrepareContext) {
              const {change, details} = await ensureAcmeSetup(ctx.conn, ctx.acme!)
              return {change, detail: [`webroot ${ACME_WEBROOT}`, ...details].join(', ')}
            },
          },
        ]
      : []),
  ]
}

function registered(secret: string): string {
  registerSecret(secret)
  return secret
}

/**
 * The shared service's ports: the recorded ones; else the ones its config file already
 * names (a run that failed after writing it); else a new pair clear of every port recorded
 * for the host and every port listening on it.
 */
async function sharedPorts(store: StateStore, ctx: PrepareContext): Promise<{httpPort: number; geventPort: number}> {
  const record = ctx.host.services?.[ctx.series]
  if (record) return {httpPort: record.httpPort, geventPort: record.geventPort}
  const recorded = await recordedPorts(store, ctx.host, ctx.series)
  const existing = await readRemoteFile(ctx.conn, ctx.names.config)
  if (existing) {
    const options = parseOdooConfig(existing)
    const httpPort = Number(options.http_port)
    const geventPort = Number(options.gevent_port ?? options.longpolling_port)
    if (Number.isInteger(httpPort) && Number.isInteger(geventPort) && !recorded.includes(httpPort) && !recorded.includes(geventPort)) return {httpPort, geventPort}
  }
  return allocatePortPair([...recorded, ...(await listeningPorts(ctx.conn))])
}

/**
 * Everything that can be refused is checked here, before any change: input, the host's
 * record and reachability, systemd and apt, another series' odoo package, free disk.
 */
async function preflight(options: PrepareOptions): Promise<PrepareContext> {
  const series = validateSeries(options.series)
  const acme = options.acme ? {email: validateAcmeEmail(options.acme.email), server: resolveAcmeServer(options.acme.server), ...(options.acme.caBundle ? {caBundle: checkCaBundle(options.acme.caBundle)} : {})} : undefined
  const aptSource = (options.aptSource ?? defaultAptSource(series)).trim()
  const source = parseAptSourceLine(aptSource)
  const signedBy = source.options['signed-by']
  if (options.aptKey && !signedBy) {
    throw usageError('APT_KEY_UNUSED', '--apt-key was given but the apt source has no signed-by= option naming where the key goes.', [
      `Add [signed-by=${ODOO_KEYRING}] to --apt-source, or leave out --apt-key.`,
    ])
  }
  const keyContent = options.aptKey ? dearmorKey(options.aptKey) : undefined
  const host = await getHost(options.store, options.host)
  const conn = await connectHost(options.store, options.host)
  const names = sharedNames(series)

  const probe = await conn.exec(shell`test -d /run/systemd/system && command -v apt-get >/dev/null && command -v dpkg-query >/dev/null`, {root: true})
  if (probe.code !== 0) {
    throw new OdoopsError('HOST_UNSUPPORTED', `${host.id} is not a Debian or Ubuntu host running systemd (no apt-get or no systemd).`, {
      suggestions: [`odoops host check ${host.id} says what the host is missing.`],
    })
  }
  const installed = await installedVersion(conn, 'odoo')
  if (installed && !versionInSeries(installed, series)) {
    // Every Odoo series ships as the one package "odoo": a host holds one series from apt.
    throw new OdoopsError('ODOO_SERIES_CONFLICT', `${host.id} already has the odoo package ${installed} installed; Odoo ${series} cannot be installed beside it (all series are the one Debian package "odoo").`, {
      exit: ExitCode.FAILURE,
      suggestions: [`Prepare ${series} on another host: odoops host prepare <other-host> --odoo ${series}`, `Or keep this host on its series: odoops host prepare ${host.id} --odoo ${installed.split(/[-.+]/).slice(0, 2).join('.')}`],
      data: {host: host.id, installed, series},
    })
  }
  const free = await freeBytes(conn, '/var/lib')
  if (free < MIN_FREE_BYTES) {
    throw new OdoopsError('DISK_FULL', `Only ${Math.floor(free / 2 ** 20)} MB free under /var/lib on ${host.id}: preparing it needs at least 1 GB.`, {
      suggestions: ['Free some space on the host (or grow its disk), then run the command again.'],
    })
  }

  let keyring: PrepareContext['keyring']
  if (signedBy && keyContent) {
    keyring = {path: signedBy, content: keyContent}
  } else if (signedBy && (await conn.exec(shell`test -s ${signedBy}`, {root: true})).code !== 0) {
    if (options.aptSource !== undefined && aptSource !== defaultAptSource(series)) {
      throw usageError('APT_KEY_MISSING', `The apt source names the keyring ${signedBy}, which is not on ${host.id}.`, [`Pass the repository's key: --apt-key <file>`])
    }
    let key: Buffer
    try {
      key = await (options.fetchKey ?? defaultFetchKey)(ODOO_KEY_URL)
    } catch (error) {
      throw new OdoopsError('APT_KEY_FETCH_FAILED', `Could not download Odoo's repository key from ${ODOO_KEY_URL}: ${messageOf(error)}.`, {
        suggestions: [`Download it elsewhere and pass it: --apt-key odoo.key`],
      })
    }
    keyring = {path: signedBy, content: dearmorKey(key)}
  }

  return {
    conn,
    host,
    series,
    names,
    ...(acme ? {acme} : {}),
    aptSource,
    keyring,
    packages: ['postgresql', 'nginx', 'openssl', 'ca-certificates', 'zstd', ...(options.withWkhtmltopdf ? ['wkhtmltopdf'] : [])],
  }
}

export async function prepareHost(options: PrepareOptions): Promise<PrepareResult> {
  const ctx = await preflight(options)
  const results: PrepareStepResult[] = []
  for (const step of steps(options)) {
    options.signal?.throwIfAborted()
    options.onStep?.({name: step.name, title: step.title})
    const started = Date.now()
    let outcome: StepOutcome
    try {
      outcome = await step.run(ctx)
    } catch (error) {
      const message = messageOf(error)
      throw new OdoopsError('PREPARE_STEP_FAILED', `host prepare ${ctx.host.id}: step "${step.name}" (${step.title}) failed: ${message}`, {
        exit: ExitCode.FAILURE,
        cause: error,
        suggestions: [
          ...(error instanceof OdoopsError ? error.suggestions : []),
          `Fix the cause and run the same command again: steps already done are kept (they report unchanged).`,
        ],
        data: {
          host: ctx.host.id,
          series: ctx.series,
          failedStep: step.name,
          ...(error instanceof OdoopsError ? {cause: error.code} : {}),
          steps: [...results, {name: step.name, title: step.title, change: 'failed', detail: message, durationMs: Date.now() - started}],
        },
      })
    }
    const change = typeof outcome === 'string' ? outcome : outcome.change
    const detail = typeof outcome === 'string' ? undefined : outcome.detail
    const result: PrepareStepResult = {name: step.name, title: step.title, change, ...(detail ? {detail} : {}), durationMs: Date.now() - started}
    results.push(result)
    options.onStep?.({name: step.name, title: step.title}, result)
  }

  const service = await recordService(options.store, ctx)
  const acme = ctx.acme ? await recordAcme(options.store, ctx) : ctx.host.acme
  return {host: ctx.host.id, series: ctx.series, odooVersion: ctx.odooVersion!, steps: results, service, changed: results.filter((r) => r.change === 'changed').length, ...(acme ? {acme} : {})}
}

/** A CA bundle must hold at least one PEM certificate (it is sent to the host as it is). */
function checkCaBundle(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  for (const block of blocks) {
    try {
      new X509Certificate(block)
    } catch (error) {
      throw usageError('ACME_CA_BUNDLE_INVALID', `--acme-ca-bundle holds a certificate that cannot be read: ${messageOf(error)}.`, ['Pass a PEM file of the CA certificate(s) the ACME server\'s TLS certificate chains to.'])
    }
  }
  if (blocks.length === 0) throw usageError('ACME_CA_BUNDLE_INVALID', '--acme-ca-bundle holds no PEM certificate.', ['Pass a PEM file (-----BEGIN CERTIFICATE-----) of the ACME server\'s CA.'])
  return blocks.join('\n') + '\n'
}

/** host.acme = the account as set up (the first registeredAt kept while email and server stay). */
async function recordAcme(store: StateStore, ctx: PrepareContext): Promise<HostAcmeRecord> {
  let saved: HostAcmeRecord | undefined
  const acme = ctx.acme!
  await store.hosts.update(ctx.host.id, (current) => {
    const previous = current.acme
    const same = previous?.email === acme.email && previous.server === acme.server
    saved = {email: acme.email, server: acme.server, caBundle: acme.caBundle !== undefined, webroot: ACME_WEBROOT, registeredAt: same ? previous.registeredAt : new Date().toISOString()}
    return {...current, acme: saved}
  })
  return saved!
}

/** host.services[series] = the service as prepared (databases and the first preparedAt kept). */
async function recordService(store: StateStore, ctx: PrepareContext): Promise<SharedServiceRecord> {
  let saved: SharedServiceRecord | undefined
  await store.hosts.update(ctx.host.id, (current) => {
    const previous = current.services?.[ctx.series]
    saved = {
      // What other commands record on the service (its addons) is kept.
      ...previous,
      series: ctx.series,
      odooVersion: ctx.odooVersion!,
      ...(ctx.odooPackage ? {odooPackage: ctx.odooPackage} : {}),
      unit: ctx.names.unit,
      config: ctx.names.config,
      dataDir: ctx.names.dataDir,
      logFile: ctx.names.logFile,
      httpPort: ctx.ports!.httpPort,
      geventPort: ctx.ports!.geventPort,
      role: ctx.names.role,
      pgHost: '127.0.0.1',
      pgPort: ctx.cluster!.port,
      databases: previous?.databases ?? [],
      preparedAt: previous?.preparedAt ?? new Date().toISOString(),
    }
    return {...current, services: {...current.services, [ctx.series]: saved}}
  })
  return saved!
}

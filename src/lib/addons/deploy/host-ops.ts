import type {Change} from '../../remote/files.js'
import {ensureRemoteFile, readRemoteFile} from '../../remote/files.js'
import {waitForPort} from '../../remote/ports.js'
import {ensureUnitActive, stopUnit, unitJournal} from '../../remote/systemd.js'
import type {SecretBox} from '../../secrets/secret-box.js'
import {readSecret, secretIds} from '../../secrets/vault.js'
import type {SshConnection} from '../../ssh/connection.js'
import type {StateStore} from '../../state/store.js'
import type {TenantRecord} from '../../state/records.js'
import {checkTenantThroughNginx} from '../../tenants/health.js'
import {runOdooModules} from '../../tenants/odoo-cli.js'
import {probeHostFacts, type HostAddonFacts, type HostFactsRequest} from './probe.js'
import {removeEntries} from './prune.js'
import {uploadRelease} from './upload.js'
import {installedVersions} from './versions.js'

/**
 * Everything a deploy does on the host, one method per action, so the deploy itself is
 * plain logic (and tests give it a host in memory).
 */
export interface DeployHostOps {
  probe(request: HostFactsRequest): Promise<HostAddonFacts>
  readConfig(path: string): Promise<string | undefined>
  upload(sha256: string, tarPath: string): Promise<Change>
  writeConfig(path: string, text: string): Promise<Change>
  /** Restart (or start) the unit and wait until its HTTP port listens. */
  restart(unit: string, httpPort: number): Promise<void>
  /** Stop the unit (a dedicated service, so `-u` has its database to itself). */
  stop(unit: string): Promise<void>
  /** `odoo -u <modules> --stop-after-init` on one database with this config (its addons_path). */
  upgradeModules(run: {config: string; database: string; series: string; modules: readonly string[]}): Promise<{ok: boolean; detail: string}>
  /** The tenant as its users see it: through nginx, logging in with its stored admin password; retried for `waitMs`. */
  health(tenant: TenantRecord, options: {waitMs: number}): Promise<{ok: boolean; detail: string}>
  journal(unit: string): Promise<string>
  installedVersions(database: string, modules: readonly string[]): Promise<Record<string, string>>
  /** Remove entries of the host's addons root (release directories, upload leftovers). */
  remove(names: readonly string[]): Promise<void>
}

/** Odoo configs are read by the odoo group only (as host prepare and tenant create write them). */
const CONFIG_OWNERSHIP = {mode: 0o640, owner: 'root', group: 'odoo'}

export function sshDeployOps(conn: SshConnection, env: {store: StateStore; box: SecretBox; signal?: AbortSignal}): DeployHostOps {
  return {
    probe: (request) => probeHostFacts(conn, request),
    readConfig: (path) => readRemoteFile(conn, path),
    upload: (sha256, tarPath) => uploadRelease(conn, sha256, tarPath),
    writeConfig: (path, text) => ensureRemoteFile(conn, path, text, CONFIG_OWNERSHIP),
    async restart(unit, httpPort) {
      await ensureUnitActive(conn, unit, {restart: true})
      await waitForPort(conn, unit, httpPort, env.signal)
    },
    async stop(unit) {
      await stopUnit(conn, unit)
    },
    async upgradeModules({config, database, series, modules}) {
      const run = await runOdooModules(conn, {config, database, series, update: [...modules]})
      return run.ok ? {ok: true, detail: `upgraded ${modules.join(', ')}`} : {ok: false, detail: run.message}
    },
    async health(tenant, {waitMs}) {
      const password = await readSecret(env.store, env.box, secretIds.tenantAdminPassword(tenant.id))
      // Health and the stored password's login; whether admin/admin is refused does not depend on addons (tenant status checks it).
      const report = await checkTenantThroughNginx(conn, tenant, {password, waitMs, defaultPasswordCheck: false})
      return {ok: report.ok, detail: report.detail}
    },
    journal: (unit) => unitJournal(conn, unit, 30),
    installedVersions: (database, modules) => installedVersions(conn, database, modules),
    remove: (names) => removeEntries(conn, names),
  }
}

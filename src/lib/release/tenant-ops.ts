import {randomBytes} from 'node:crypto'
import {OdoopsError} from '../errors.js'
import {filestoreDir} from '../backup/shell/pipeline.js'
import {backupSource, loadAsNewDatabase} from '../backup/restore-source.js'
import type {TargetEnv} from '../backup/targets/index.js'
import {dropDatabase, psqlAsPostgres} from '../remote/postgres-admin.js'
import type {SshConnection} from '../ssh/connection.js'
import {command, script, shell} from '../ssh/quote.js'
import {databaseLockFile, ODOO_UPDATE_TIMEOUT_MS, odooFailureSummary, runOdooModules} from '../tenants/odoo-cli.js'
import {neutralizeDatabase} from '../tenants/restore-steps.js'
import {noDemoFlags} from '../series/odoo-series.js'
import {addonsPathOf} from '../addons/deploy/addons-path.js'
import {releaseDir, releaseOfDir} from '../addons/deploy/layout.js'
import type {AddonSetEntry} from '../state/records.js'
import {PACKAGE_ADDONS} from './package.js'
import {countTables, runSmokeChecks, smokeSummary} from './smoke.js'
import type {TemplateCheck} from '../templates/types.js'

/** What the data of one tenant needs on its host: its database, config, role and data directory. */
export interface TenantData {
  database: string
  config: string
  role: string
  dataDir: string
  series: string
}

export type DataEnv = TargetEnv & {signal?: AbortSignal}

export type UpgradeOutcome = {ok: true; durationMs: number} | {ok: false; durationMs: number; message: string}

/** `odoo -u <modules> --stop-after-init --no-http` on the tenant's database with the installed build, timed. */
export async function upgradeDatabase(conn: SshConnection, data: TenantData, modules: readonly string[]): Promise<UpgradeOutcome> {
  const started = Date.now()
  const run = await runOdooModules(conn, {config: data.config, database: data.database, series: data.series, update: [...modules]})
  return {...run, durationMs: Date.now() - started}
}

/** Waits (up to the -u bound) until no `odoo -i/-u` run by odoops holds the database's lock file. */
export async function waitForDatabaseLock(conn: SshConnection, database: string): Promise<void> {
  await conn.run(command(['flock', '-w', String(ODOO_UPDATE_TIMEOUT_MS / 1000), databaseLockFile(database), 'true']), {root: true, timeoutMs: ODOO_UPDATE_TIMEOUT_MS + 60_000})
}

/**
 * Tables whose rows belong to the customer: an update must not change how many there are. Read
 * while the service is stopped (nobody else writes), before and after the `-u`.
 */
export const KEPT_COUNT_TABLES = ['res_partner', 'res_users', 'res_company', 'account_move', 'sale_order', 'purchase_order', 'stock_picking', 'product_template', 'crm_lead', 'project_task']

export async function keptCounts(conn: SshConnection, database: string, extra: readonly string[] = []): Promise<Record<string, number>> {
  // Beside the list above, the tables of the template's `count` checks. One round trip: the
  // tables present and their counts (query_to_xml runs a count per table; %I quotes the name).
  const wanted = [...new Set([...KEPT_COUNT_TABLES, ...extra])]
  const sql = `SELECT c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, '')))[1]::text
    FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY (string_to_array(:'tables', ','))`
  const out = await psqlAsPostgres(conn, sql, {database, vars: {tables: wanted.join(',')}})
  const counts: Record<string, number> = {}
  for (const line of out.split('\n').filter(Boolean)) {
    const [table, count] = line.split('|')
    counts[table] = Number(count)
  }
  return counts
}

/** Installed modules and their recorded versions (ir_module_module.latest_version). */
export async function installedModuleVersions(conn: SshConnection, database: string): Promise<Record<string, string>> {
  const out = await psqlAsPostgres(conn, "SELECT name || '|' || coalesce(latest_version, '') FROM ir_module_module WHERE state = 'installed' ORDER BY name", {database})
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('|') as [string, string]),
  )
}

/**
 * Replaces the tenant's database and filestore with a backup's, while its service is stopped:
 * the backup is loaded beside the live data first (odoops_release_<random>), then the live
 * database is dropped and the copy renamed over it, and the same for the filestore. Run again
 * after a kill, it ends in the same state (the live name missing is fine).
 */
export async function restoreTenantData(env: DataEnv, conn: SshConnection, data: TenantData, backup: string): Promise<void> {
  const source = await backupSource(env, backup)
  const staging = `odoops_release_${randomBytes(6).toString('hex')}`
  const liveDir = filestoreDir(data.dataDir, data.database)
  const stagingDir = filestoreDir(data.dataDir, staging)
  try {
    await loadAsNewDatabase(conn, source, {database: staging, role: data.role, filestoreDir: stagingDir}, env.signal)
    await psqlAsPostgres(conn, `DROP DATABASE IF EXISTS :"live" WITH (FORCE);\nALTER DATABASE :"staging" RENAME TO :"live";`, {vars: {live: data.database, staging}})
    await conn.run(script([shell`rm -rf -- ${liveDir}`, shell`if [ -e ${stagingDir} ]; then mv -T -- ${stagingDir} ${liveDir}; else install -d -o odoo -g odoo -m 0750 -- ${liveDir}; fi`]), {root: true})
  } catch (error) {
    await dropDatabase(conn, staging).catch(() => {})
    await conn.run(script([shell`rm -rf -- ${stagingDir} ${stagingDir}.restoring`]), {root: true}).catch(() => {})
    throw error
  }
}

export interface RehearsalOutcome {
  ok: boolean
  durationMs: number
  error?: string
}

/**
 * The addons_path a rehearsal's `-u` runs with: the config's, Odoo's own directories taken from
 * the unpacked build at `tree` when there is one, and the addon release directories replaced by
 * `addons` (the service's new set) when the release switches them.
 */
export function rehearsalAddonsPath(configured: readonly string[] | undefined, input: {tree?: string; addons?: readonly AddonSetEntry[]}): string[] {
  const dirs = configured ?? [PACKAGE_ADDONS]
  const core = input.addons ? dirs.filter((dir) => releaseOfDir(dir) === undefined) : dirs
  const path = input.addons ? [...core, ...input.addons.map((entry) => releaseDir(entry.sha256))] : [...core]
  return path.map((dir) => (input.tree && dir.startsWith('/usr/lib/python3/dist-packages/') ? `${input.tree}${dir}` : dir))
}

/**
 * A rehearsal on one tenant: its backup restored as a neutralized copy beside it (never its
 * live database), `-u` run on the copy by the new build unpacked at `tree` (PYTHONPATH first, so
 * `import odoo` finds the new build, its own addons in addons_path), or by the installed build
 * when the release keeps it; partner addons as the service has them, or the service's new set
 * (`addons`, already on the host) when the release switches them. Then the copy is checked (no
 * module left to upgrade, each changed module at its new version) and dropped.
 */
export async function rehearseOnCopy(
  env: DataEnv,
  conn: SshConnection,
  data: TenantData,
  input: {backup: string; tree?: string; modules: readonly string[]; expected: Record<string, string>; addons?: readonly AddonSetEntry[]; checks?: readonly TemplateCheck[]},
): Promise<RehearsalOutcome> {
  const source = await backupSource(env, input.backup)
  const copy = `odoops_rehearse_${randomBytes(6).toString('hex')}`
  const copyDir = filestoreDir(data.dataDir, copy)
  const started = {at: 0}
  try {
    await loadAsNewDatabase(conn, source, {database: copy, role: data.role, filestoreDir: copyDir}, env.signal)
    // No crons, no outgoing mail, whatever the update triggers (odoo neutralize, Odoo 16+).
    await neutralizeDatabase(conn, data.config, copy)
    const configText = await conn.run(command(['cat', '--', data.config]), {root: true})
    const addonsPath = rehearsalAddonsPath(addonsPathOf(configText), input)
    const args = ['-c', data.config, '-d', copy, '-u', input.modules.join(','), `--addons-path=${addonsPath.join(',')}`, '--stop-after-init', '--no-http', ...noDemoFlags(data.series)]
    const odoo = input.tree
      ? shell`cd /tmp && runuser -u odoo -- env PYTHONPATH=${`${input.tree}/usr/lib/python3/dist-packages`} python3 ${`${input.tree}/usr/bin/odoo`} ${args}`
      : shell`cd /tmp && runuser -u odoo -- odoo ${args}`
    const countsBefore = await keptCounts(conn, copy, countTables(input.checks))
    started.at = Date.now()
    const run = await conn.exec(odoo, {root: true, timeoutMs: ODOO_UPDATE_TIMEOUT_MS})
    const durationMs = Date.now() - started.at
    if (run.code !== 0) return {ok: false, durationMs, error: `odoo -u ${input.modules.join(',')} failed on the copy (exit ${run.code ?? run.signal}):\n${odooFailureSummary(run.stdout.toString() + run.stderr.toString())}`}
    const after = await installedModuleVersions(conn, copy)
    const pending = (await psqlAsPostgres(conn, "SELECT string_agg(name, ',') FROM ir_module_module WHERE state IN ('to upgrade', 'to install', 'to remove')", {database: copy})).trim()
    if (pending) return {ok: false, durationMs, error: `After -u, modules are still pending on the copy: ${pending}.`}
    const behind = Object.entries(input.expected).filter(([module, version]) => after[module] !== undefined && after[module] !== version)
    if (behind.length) return {ok: false, durationMs, error: `After -u, modules are not at their new version: ${behind.map(([m, v]) => `${m} ${after[m]} (expected ${v})`).join(', ')}.`}
    const countsAfter = await keptCounts(conn, copy, countTables(input.checks))
    const changed = Object.keys(countsBefore).filter((table) => countsAfter[table] !== countsBefore[table])
    if (changed.length) return {ok: false, durationMs, error: `The update changed how many rows the customer's tables hold: ${changed.map((t) => `${t} ${countsBefore[t]} → ${countsAfter[t] ?? 'missing'}`).join(', ')}.`}
    // The template's smoke checks, by the same code the -u ran with.
    const smoke = await runSmokeChecks(conn, data.config, copy, input.checks ?? [], {...(input.tree ? {tree: input.tree} : {}), addonsPath})
    if (smoke.some((r) => !r.ok)) return {ok: false, durationMs, error: `The template's smoke checks fail on the copy: ${smokeSummary(smoke)}`}
    return {ok: true, durationMs}
  } catch (error) {
    if (error instanceof OdoopsError) return {ok: false, durationMs: started.at ? Date.now() - started.at : 0, error: error.message}
    throw error
  } finally {
    await dropDatabase(conn, copy).catch(() => {})
    await conn.run(script([shell`rm -rf -- ${copyDir} ${copyDir}.restoring`]), {root: true}).catch(() => {})
  }
}

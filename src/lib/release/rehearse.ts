import {ExitCode, messageOf, OdoopsError} from '../errors.js'
import type {BackupEntry} from '../backup/catalog.js'
import {getHost} from '../hosts/lookup.js'
import type {SshConnection} from '../ssh/connection.js'
import {connectFor} from '../tenants/create.js'
import {installedOdooPackage, manifestVersions, stagePackage} from './package.js'
import type {ReleaseEnv} from './ops.js'
import {tenantData} from './ops.js'
import {getRelease, releaseTenants, saveRelease, type Release, type ReleaseRehearsalTenant} from './record.js'
import {rehearseOnCopy, type TenantData} from './tenant-ops.js'

export interface RehearseOptions {
  /** Restore the copies on this host (prepared for the series) instead of each tenant's own. */
  on?: string
  progress?: (line: string) => void
}

/** The tenant's newest backup whose last verification passed. */
async function newestVerifiedBackup(env: ReleaseEnv, slug: string): Promise<BackupEntry | undefined> {
  const entries = (await env.store.backups.list({tenant: slug})) as unknown as BackupEntry[]
  return entries.filter((e) => e.verification?.status === 'verified').sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0]
}

/**
 * `release rehearse`: for every tenant of the release, its newest verified backup restored as a
 * neutralized copy (never over its live database), updated by the release's build unpacked beside
 * the installed one, checked, dropped. The outcome per tenant is saved on the release: `apply`
 * leaves out a host with a tenant that failed, unless told to include it.
 */
export async function rehearseRelease(env: ReleaseEnv, id: string, options: RehearseOptions = {}): Promise<Release> {
  const progress = options.progress ?? (() => {})
  const release = await getRelease(env.store, id)
  if (release.state !== 'planned' && release.state !== 'rehearsed') {
    throw new OdoopsError('RELEASE_NOT_REHEARSABLE', `Release ${id} is ${release.state}: only a planned release is rehearsed.`, {exit: ExitCode.USAGE, suggestions: [`odoops release show ${id}`]})
  }
  const staging = options.on ? await getHost(env.store, options.on) : undefined
  const stagingService = staging?.services?.[release.series]
  if (staging && !stagingService) {
    throw new OdoopsError('RELEASE_STAGING_NOT_PREPARED', `${staging.id} runs no Odoo ${release.series} service to rehearse on.`, {exit: ExitCode.USAGE, suggestions: [`odoops host prepare ${staging.id} --odoo ${release.series}`]})
  }
  const trees = new Map<string, string>()
  const results: Record<string, ReleaseRehearsalTenant> = {}
  for (const {host, tenant} of releaseTenants(release)) {
    const where = staging?.id ?? host.host
    const backup = await newestVerifiedBackup(env, tenant.slug)
    if (!backup) {
      results[tenant.slug] = {ok: false, host: where, error: `No verified backup of ${tenant.slug} to rehearse on: odoops backup run --tenant ${tenant.slug}, then odoops backup verify --latest ${tenant.slug}.`}
      progress(`${tenant.slug}: no verified backup to rehearse on`)
      continue
    }
    progress(`${tenant.slug}: rehearsing odoo ${host.to} on a copy of ${backup.id} on ${where}`)
    try {
      const conn = await connectFor(env)(where)
      await assertRunsSeriesBuild(conn, where, staging ? undefined : host.from)
      // Per rehearsal host and build: hosts of one release may go to different builds.
      const key = `${where} ${host.to}`
      let tree = trees.get(key)
      if (!tree) trees.set(key, (tree = await stagePackage(conn, host.to)))
      const data: TenantData = stagingService ? {database: tenant.database, config: stagingService.config, role: stagingService.role, dataDir: stagingService.dataDir, series: release.series} : tenantData(tenant, release.series)
      const expected = await manifestVersions(conn, tree, release.series, Object.keys(tenant.changed))
      const outcome = await rehearseOnCopy(env, conn, data, {backup: backup.id, tree, modules: tenant.modules, expected})
      results[tenant.slug] = {ok: outcome.ok, host: where, backup: backup.id, durationMs: outcome.durationMs, ...(outcome.error ? {error: outcome.error} : {})}
      progress(`${tenant.slug}: ${outcome.ok ? 'passed' : 'FAILED'} (-u ${(outcome.durationMs / 1000).toFixed(1)} s)${outcome.error ? `\n${outcome.error}` : ''}`)
    } catch (error) {
      results[tenant.slug] = {ok: false, host: where, backup: backup.id, error: messageOf(error)}
      progress(`${tenant.slug}: FAILED: ${messageOf(error)}`)
    }
  }
  return saveRelease(env.store, id, (r) => ({...r, state: 'rehearsed', rehearsal: {at: new Date().toISOString(), ...(staging ? {on: staging.id} : {}), tenants: results}}))
}

/** A rehearsal host must have the series installed (its neutralize runs there). */
async function assertRunsSeriesBuild(conn: SshConnection, host: string, expected: string | undefined): Promise<void> {
  const installed = await installedOdooPackage(conn)
  if (!installed) throw new OdoopsError('RELEASE_NO_PACKAGE', `No odoo package is installed on ${host}.`)
  if (expected && installed !== expected) throw new OdoopsError('RELEASE_HOST_CHANGED', `${host} runs odoo ${installed}, not ${expected} as planned: plan again.`)
}

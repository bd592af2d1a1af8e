import {ExitCode, messageOf, OdoopsError} from '../errors.js'
import type {BackupEntry} from '../backup/catalog.js'
import {getHost} from '../hosts/lookup.js'
import type {SshConnection} from '../ssh/connection.js'
import {connectFor} from '../tenants/create.js'
import {ensureReleasesOnHost} from '../addons/deploy/carry.js'
import {installedOdooPackage, stagePackage} from './package.js'
import type {ReleaseEnv} from './ops.js'
import {tenantData} from './ops.js'
import {addonsChangeOf, getRelease, packageChanges, releaseTenants, saveRelease, type Release, type ReleaseRehearsalTenant} from './record.js'
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
    if (tenant.modules.length === 0) {
      // An addons change that changes none of its installed modules: its service switches, its database is not -u'd.
      progress(`${tenant.slug}: no installed module changes version: nothing to rehearse`)
      continue
    }
    const backup = await newestVerifiedBackup(env, tenant.slug)
    if (!backup) {
      results[tenant.slug] = {ok: false, host: where, error: `No verified backup of ${tenant.slug} to rehearse on: odoops backup run --tenant ${tenant.slug}, then odoops backup verify --latest ${tenant.slug}.`}
      progress(`${tenant.slug}: no verified backup to rehearse on`)
      continue
    }
    const change = addonsChangeOf(host, tenant)
    const what = [...(packageChanges(host) ? [`odoo ${host.to}`] : []), ...(change ? [change.to.map((e) => `${e.repo}@${e.sha256.slice(0, 12)}`).join(', ')] : [])].join(' with ')
    progress(`${tenant.slug}: rehearsing ${what} on a copy of ${backup.id} on ${where}`)
    try {
      const conn = await connectFor(env)(where)
      const installed = await assertRunsSeriesBuild(conn, where, staging ? undefined : host.from)
      // The release's build, unpacked: a new one, or the tenant's own on a staging host that runs another.
      let tree: string | undefined
      if (packageChanges(host) || installed !== host.to) {
        tree = trees.get(`${where}:${host.to}`)
        if (!tree) trees.set(`${where}:${host.to}`, (tree = await stagePackage(conn, host.to)))
      }
      // The copy's -u runs the new releases: on the host (or the staging host) before it.
      if (change) await ensureReleasesOnHost(conn, change.to, env.dataDir)
      const data: TenantData = stagingService ? {database: tenant.database, config: stagingService.config, role: stagingService.role, dataDir: stagingService.dataDir, series: release.series} : tenantData(tenant, release.series)
      // The versions the plan read from the build's manifests and the releases' (as Odoo records them).
      const expected = Object.fromEntries(Object.entries(tenant.changed).map(([module, [, to]]) => [module, to]))
      const outcome = await rehearseOnCopy(env, conn, data, {backup: backup.id, ...(tree ? {tree} : {}), modules: tenant.modules, expected, ...(change ? {addons: change.to} : {}), ...(tenant.checks ? {checks: tenant.checks} : {})})
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
async function assertRunsSeriesBuild(conn: SshConnection, host: string, expected: string | undefined): Promise<string> {
  const installed = await installedOdooPackage(conn)
  if (!installed) throw new OdoopsError('RELEASE_NO_PACKAGE', `No odoo package is installed on ${host}.`)
  if (expected && installed !== expected) throw new OdoopsError('RELEASE_HOST_CHANGED', `${host} runs odoo ${installed}, not ${expected} as planned: plan again.`)
  return installed
}

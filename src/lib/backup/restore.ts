import {ExitCode, OdoopsError} from '../errors.js'
import {getHost} from '../hosts/lookup.js'
import type {SshConnection} from '../ssh/connection.js'
import {createTenant, connectFor, type TenantCreateResult} from '../tenants/create.js'
import type {TenantEnv} from '../tenants/context.js'
import {normalizeCreateInput} from '../tenants/input.js'
import {checkFleetUnique, pickSeries} from '../tenants/preflight.js'
import {pgRestoreVersionCommand} from './shell/restore.js'
import {odooZipSource} from './odoo-zip-source.js'
import {backupSource} from './restore-source.js'
import type {TargetEnv} from './targets/index.js'
import {verifyBackup, type VerifyResult} from './verify.js'

export type RestoreEnv = TenantEnv & TargetEnv

export interface RestoreAsNewTenantInput {
  backup: string
  slug: string
  host: string
  domain: string
  /** Default: the backed-up tenant's mode. */
  mode?: string
  customer?: string
  size?: string
  asCopy: boolean
  neutralize: boolean
}

export interface RestoreResult {
  backup: string
  /** The verification that ran first, on the destination host. */
  verification: VerifyResult
  created: TenantCreateResult
}

/** pg_restore reads archives of its own major version and older only (pg_restore docs). */
async function checkPgRestore(conn: SshConnection, dumpVersion: string): Promise<void> {
  const output = await conn.run(pgRestoreVersionCommand(), {root: true})
  const have = Number.parseInt(/\(PostgreSQL\)\s+(\d+)/.exec(output)?.[1] ?? '0', 10)
  const need = Number.parseInt(dumpVersion, 10) || 0
  if (have < need) {
    throw new OdoopsError('PG_RESTORE_TOO_OLD', `pg_restore on ${conn.target.name} is ${have}, older than the pg_dump ${dumpVersion} that made the backup: it cannot read the archive.`, {
      exit: ExitCode.USAGE,
      suggestions: [`Install PostgreSQL client ${need} or newer on ${conn.target.name} (apt install postgresql-client-${need}), or restore on another host.`],
    })
  }
}

/**
 * `backup restore <id> --new-tenant`: the backup is verified first, on the destination host
 * (a backup that fails is refused before any database is created); then a tenant is created
 * by the usual recorded plan with the data loaded from the backup instead of `odoo -i`. A
 * failure leaves a failed tenant that `tenant create --resume` continues (it reopens the
 * backup) or `tenant remove` cleans up; the backed-up tenant is never touched.
 */
export async function restoreAsNewTenant(env: RestoreEnv, input: RestoreAsNewTenantInput): Promise<RestoreResult> {
  const source = await backupSource(env, input.backup)
  const {entry} = source
  const original = await env.store.tenants.get(entry.tenant)
  const createInput = normalizeCreateInput({
    slug: input.slug,
    host: input.host,
    mode: input.mode ?? entry.mode,
    domain: input.domain,
    series: entry.series,
    modules: (original?.modules ?? []).join(','),
    customer: input.customer ?? original?.customer,
    lang: original?.lang,
    country: original?.country,
    size: input.size ?? original?.service?.size,
  })
  // Cheap refusals before the verification, which restores the whole backup once.
  await checkFleetUnique(env.store, createInput.slug, createInput.domain)
  pickSeries(await getHost(env.store, input.host), entry.series)
  await checkPgRestore(await connectFor(env)(input.host), entry.pgDumpVersion)

  const verification = await verifyBackup(env, entry.id, {host: input.host})
  if (verification.status !== 'verified') {
    throw new OdoopsError('BACKUP_VERIFY_FAILED', `Backup ${entry.id} failed verification (${verification.reason}). Nothing was restored.`, {
      suggestions: [`Restore an older backup of ${entry.tenant}: odoops backup list ${entry.tenant}`],
      data: {verification},
    })
  }
  const created = await createTenant({...env, restoreSource: source}, {...createInput, restore: {from: {kind: 'backup', id: entry.id}, asCopy: input.asCopy, neutralize: input.neutralize}})
  return {backup: entry.id, verification, created}
}

/** Reopens the source of a restored tenant for `tenant create --resume`. */
export async function restoreSourceForResume(env: TargetEnv, restoredFrom: unknown) {
  const from = restoredFrom as {kind?: string; id?: string; path?: string} | undefined
  if (from?.kind === 'backup' && from.id) return backupSource(env, from.id)
  if (from?.kind === 'zip' && from.path) return odooZipSource(from.path)
  return undefined
}

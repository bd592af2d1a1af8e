import {randomUUID} from 'node:crypto'
import {OdoopsError} from '../errors.js'
import {filestoreDir} from '../backup/shell/pipeline.js'
import {neutralizeCommand} from '../backup/shell/restore.js'
import type {RestoreSource} from '../backup/restore-source.js'
import {odooPasswordHash} from '../odoo/password-hash.js'
import type {Step} from '../steps/runner.js'
import {createOdooDatabase, databaseExists, dropDatabase, psqlAsPostgres} from '../remote/postgres-admin.js'
import {ensureSecret, secretIds} from '../secrets/vault.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantStepContext} from './context.js'
import {saveTenant, serviceOf} from './save-tenant.js'

/**
 * The steps that give a new tenant its data from a backup or an Odoo zip instead of
 * `odoo -i`: they replace the `database` (and `admin-password`/`company`) steps of a
 * creation, and the plan around them (service, TLS, vhost, health) is the same.
 */
type TenantStep = Step<TenantStepContext>

/** How a restored tenant was asked for (kept on the tenant record as `restore`). */
export interface RestoreSpec {
  /** New `database.uuid` and `database.secret` (Odoo's "copy"); default keeps them, as a move must. */
  asCopy: boolean
  /** Run `odoo neutralize`: no crons, no outgoing mail (Odoo 16+). */
  neutralize: boolean
}

function sourceOf(ctx: TenantStepContext): RestoreSource {
  if (!ctx.env.restoreSource) {
    throw new OdoopsError('RESTORE_SOURCE_MISSING', `Tenant ${ctx.tenant.id} is restored from ${JSON.stringify(ctx.tenant.restoredFrom)}, which this run cannot open.`, {
      suggestions: [`Resume with the command that restores: odoops tenant create --resume ${ctx.tenant.id}`],
    })
  }
  return ctx.env.restoreSource
}

const restoreDatabase: TenantStep = {
  name: 'restore-database',
  title: 'database restored (pg_restore --exit-on-error / psql ON_ERROR_STOP)',
  async run(ctx, signal) {
    const {conn, tenant} = ctx
    const source = sourceOf(ctx)
    const role = serviceOf(tenant).role
    // The preflight refused an existing database of this name: one here belongs to this
    // unfinished creation (a killed or failed load), so it starts again from empty.
    if (await databaseExists(conn, tenant.database)) await dropDatabase(conn, tenant.database)
    signal.throwIfAborted()
    await createOdooDatabase(conn, tenant.database, role)
    await source.loadDatabase(conn, tenant.database, role, signal)
    return {change: 'changed', detail: source.description}
  },
}

const restoreFilestore: TenantStep = {
  name: 'restore-filestore',
  title: 'filestore restored',
  async run(ctx, signal) {
    const source = sourceOf(ctx)
    await source.loadFilestore(ctx.conn, filestoreDir(serviceOf(ctx.tenant).dataDir, ctx.tenant.database), signal)
    return {change: 'changed', detail: source.description}
  },
}

/**
 * Gives a restored database its tenant's identity: the admin password (set as the passlib
 * hash Odoo keeps in res_users.password, on the user with xml id base.user_admin whatever
 * its login), web.base.url for the domain, and with `asCopy` a new database.uuid, secret and
 * create_date and no enterprise code, as Odoo's own "copy" restore does
 * (ir.config_parameter init(force=True) in odoo/service/db.py exp_restore). One transaction.
 * Returns the admin user's login.
 */
export async function setRestoredIdentity(conn: SshConnection, database: string, options: {password: string; domain: string; asCopy: boolean}): Promise<string> {
  const vars: Record<string, string> = {hash: await odooPasswordHash(options.password), url: `https://${options.domain}`}
  let sql = `UPDATE ir_config_parameter SET value = :'url' WHERE key = 'web.base.url';
UPDATE res_users SET password = :'hash' WHERE id = (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'user_admin' AND model = 'res.users') RETURNING login;`
  if (options.asCopy) {
    Object.assign(vars, {uuid: randomUUID(), secret: randomUUID()})
    sql += `
UPDATE ir_config_parameter SET value = :'uuid' WHERE key = 'database.uuid';
UPDATE ir_config_parameter SET value = :'secret' WHERE key = 'database.secret';
UPDATE ir_config_parameter SET value = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') WHERE key = 'database.create_date';
DELETE FROM ir_config_parameter WHERE key = 'database.enterprise_code';`
  }
  const login = (await psqlAsPostgres(conn, `BEGIN;\n${sql}\nCOMMIT;`, {database, vars})).trim().split('\n')[0]
  if (!login) {
    throw new OdoopsError('RESTORE_NO_ADMIN', `The restored database ${database} has no user with xml id base.user_admin.`, {
      suggestions: ['The backup is not of an Odoo database, or its admin user was deleted: restore another backup.'],
    })
  }
  return login
}

/** `odoo neutralize` of a restored database, as the service user with the service's config. */
export async function neutralizeDatabase(conn: SshConnection, config: string, database: string): Promise<void> {
  const result = await conn.exec(neutralizeCommand(config, database), {root: true, timeoutMs: 600_000})
  if (result.code !== 0) {
    throw new OdoopsError('ODOO_NEUTRALIZE_FAILED', `odoo neutralize failed on ${database} (exit ${result.code ?? result.signal}): ${result.stderr.toString().trim().split('\n').slice(-3).join(' | ')}`, {
      suggestions: ['odoo neutralize exists from Odoo 16 on; check the Odoo log on the host, fix the cause and run again.'],
    })
  }
}

const restoreIdentity: TenantStep = {
  name: 'restore-identity',
  title: 'admin password, base URL (and copy identity, neutralization)',
  async run(ctx) {
    const {conn, tenant, env} = ctx
    const spec = tenant.restore as RestoreSpec | undefined
    const password = await ensureSecret(env.store, env.box, secretIds.tenantAdminPassword(tenant.id))
    // A resumed run must not give the copy yet another uuid once it has one.
    const asCopy = Boolean(spec?.asCopy && !tenant.copyIdentityDone)
    const login = await setRestoredIdentity(conn, tenant.database, {password, domain: tenant.domain, asCopy})
    const done: string[] = ['admin password', 'web.base.url']
    if (spec?.asCopy) done.push('new database.uuid')
    if (spec?.neutralize) {
      await neutralizeDatabase(conn, serviceOf(tenant).config, tenant.database)
      done.push('neutralized')
    }
    await saveTenant(ctx, {adminLogin: login, ...(spec?.asCopy ? {copyIdentityDone: true} : {})})
    return {change: 'changed', detail: `${done.join(', ')} (admin login ${login})`}
  },
}

export const restoreDataSteps: readonly TenantStep[] = [restoreDatabase, restoreFilestore, restoreIdentity]

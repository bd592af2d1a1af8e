import {messageOf} from '../errors.js'
import {checkHealth} from '../odoo/health.js'
import {checkPasswordLogin, detectOdooMajor} from '../odoo/session.js'
import {majorOfSeries} from '../series/odoo-series.js'
import {hostTransport} from '../odoo/transport.js'
import {pollUntil} from '../retry.js'
import type {SshConnection} from '../ssh/connection.js'
import type {TenantRecord} from '../state/records.js'

export interface NginxHealthReport {
  ok: boolean
  /** `/web/health` through nginx with the tenant's Host header. */
  http: {ok: boolean; status: number; detail: string}
  /**
   * A login through nginx with the stored admin password (when checked): XML-RPC authenticate
   * before 19.0, POST /web/session/authenticate from 19.0 (src/lib/odoo/session.ts checkPasswordLogin).
   */
  login?: boolean
  /** admin/admin refused (when checked). */
  defaultPasswordRefused?: boolean
  detail: string
}

/**
 * A tenant seen as its users see it: HTTPS on the host's nginx (reached on the host's
 * loopback through SSH, SNI and Host = the tenant's domain), `/web/health`, and
 * optionally a login with the stored password while admin/admin is refused.
 */
export async function checkTenantThroughNginx(
  conn: SshConnection,
  tenant: NginxCheckTarget,
  options: {password?: string; waitMs?: number; /** Between tries while waiting (default 1 s). */ intervalMs?: number; /** Also try admin/admin, which must be refused (default true). */ defaultPasswordCheck?: boolean} = {},
): Promise<NginxHealthReport> {
  // Retried as a whole until `waitMs` has passed: right after a reload, nginx's old workers may
  // still answer new connections with the previous configuration for a moment.
  return pollUntil(() => checkOnce(conn, tenant, options.password, {port: 443, tls: true}, options.defaultPasswordCheck ?? true), (report) => report.ok, {timeoutMs: options.waitMs ?? 0, intervalMs: options.intervalMs ?? 1000})
}

/**
 * The same checks straight on an Odoo service's HTTP port on the host's loopback, with the
 * tenant's domain as Host (as nginx forwards it, so a shared service's `dbfilter = ^%h$` picks
 * the database): a copy that nginx does not point at yet (a move on the same host).
 */
export async function checkTenantOnService(
  conn: SshConnection,
  tenant: NginxCheckTarget,
  httpPort: number,
  options: {password?: string; waitMs?: number} = {},
): Promise<NginxHealthReport> {
  return pollUntil(() => checkOnce(conn, tenant, options.password, {port: httpPort, tls: false}), (report) => report.ok, {timeoutMs: options.waitMs ?? 0, intervalMs: 1000})
}

/** The series picks the login check; without it the running Odoo is asked (GET /web/version). */
export type NginxCheckTarget = Pick<TenantRecord, 'domain' | 'database' | 'adminLogin'> & {series?: string}

async function checkOnce(conn: SshConnection, tenant: NginxCheckTarget, password: string | undefined, via: {port: number; tls: boolean}, defaultPasswordCheck = true): Promise<NginxHealthReport> {
  const transport = hostTransport(conn, {...via, hostHeader: tenant.domain})
  try {
    let http: NginxHealthReport['http']
    try {
      http = await checkHealth(transport)
    } catch (error) {
      http = {ok: false, status: 0, detail: messageOf(error)}
    }
    if (!http.ok || password === undefined) return {ok: http.ok, http, detail: http.ok ? '/web/health passes' : `/web/health: ${http.detail}`}
    // A restored database keeps its admin user's login, which may not be `admin`.
    const adminLogin = tenant.adminLogin ?? 'admin'
    let login: boolean
    let major: number
    try {
      major = majorOfSeries(tenant.series) ?? (await detectOdooMajor(transport))
      login = await checkPasswordLogin(transport, major, tenant.database, adminLogin, password)
    } catch (error) {
      return {ok: false, http, login: false, detail: `login through nginx failed: ${messageOf(error)}`}
    }
    if (!defaultPasswordCheck) return {ok: login, http, login, detail: login ? '/web/health passes, login ok' : 'the stored admin password is refused'}
    const defaultPasswordRefused = !(await checkPasswordLogin(transport, major, tenant.database, adminLogin, 'admin'))
    const ok = login && defaultPasswordRefused
    const detail = !login ? 'the stored admin password is refused' : !defaultPasswordRefused ? 'admin/admin is still accepted' : '/web/health passes, login ok, admin/admin refused'
    return {ok, http, login, defaultPasswordRefused, detail}
  } finally {
    await transport.close().catch(() => {})
  }
}

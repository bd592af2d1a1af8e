/**
 * Odoo's health route: GET /web/health (addons/web/controllers/webclient.py, auth none, since
 * 15.0) answers 200 {"status": "pass"}; with ?db_server_status=1 it also opens a connection to
 * PostgreSQL and answers 500 {"status": "fail", "db_server_status": false} when that fails. It
 * checks neither workers nor crons. Through nginx it also proves the vhost routes to Odoo.
 */
import {messageOf} from '../errors.js'
import type {HttpResponse, HttpTransport} from './transport.js'

export interface HealthResult {
  ok: boolean
  /** HTTP status; 0 when nothing answered. */
  status: number
  /** Why, in a few words: "pass", "Odoo cannot reach PostgreSQL", "HTTP 502 from the proxy…". */
  detail: string
}

export interface HealthOptions {
  /** Also ask Odoo to check its PostgreSQL connection. */
  dbServerStatus?: boolean
  /** Default 15 s: a healthy Odoo answers in milliseconds. */
  timeoutMs?: number
}

function snippet(body: Buffer): string {
  const text = body.subarray(0, 300).toString('utf8').replace(/\s+/g, ' ').trim()
  return text.length > 120 ? text.slice(0, 119) + '…' : text
}

function jsonOf(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Never throws: a transport failure is `{ok: false, status: 0}` with its message. */
export async function checkHealth(transport: HttpTransport, options: HealthOptions = {}): Promise<HealthResult> {
  const path = options.dbServerStatus ? '/web/health?db_server_status=1' : '/web/health'
  let response: HttpResponse
  try {
    response = await transport.request(path, {method: 'GET', headers: {Accept: 'application/json'}, timeoutMs: options.timeoutMs ?? 15_000})
  } catch (error) {
    return {ok: false, status: 0, detail: messageOf(error)}
  }
  const {status} = response
  const json = jsonOf(response.body)
  if (status === 200 && json?.status === 'pass') {
    return {ok: true, status, detail: json.db_server_status === true ? 'pass (PostgreSQL reachable)' : 'pass'}
  }
  if (json?.db_server_status === false) return {ok: false, status, detail: 'Odoo answers but cannot reach PostgreSQL (db_server_status false)'}
  if (status === 200) return {ok: false, status, detail: `HTTP 200 but not Odoo's health answer (another vhost or server?): ${snippet(response.body)}`}
  if (status === 404) return {ok: false, status, detail: 'no /web/health here: not Odoo, or Odoo before 15.0'}
  if (status >= 502 && status <= 504) return {ok: false, status, detail: `HTTP ${status} from the proxy: Odoo behind it does not answer`}
  if (status >= 300 && status < 400) return {ok: false, status, detail: `HTTP ${status} redirect to ${String(response.headers.location ?? '?')}`}
  return {ok: false, status, detail: `HTTP ${status}: ${snippet(response.body) || 'empty body'}`}
}

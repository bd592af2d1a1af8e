import {OdoopsError} from '../errors.js'
import {pollUntil} from '../retry.js'
import type {SshConnection} from '../ssh/connection.js'
import {command, shell} from '../ssh/quote.js'
import {ensureRemoteFile, type Change} from './files.js'

/** systemd units on a host (systemctl as root). */
export interface UnitStatus {
  /** False when systemd has no such unit (LoadState=not-found). */
  exists: boolean
  /** ActiveState: active, inactive, activating, failed… */
  active: string
  /** UnitFileState: enabled, disabled, static, masked… ('' when there is no unit file). */
  enabled: string
  mainPid?: number
}

export type SystemctlVerb = 'start' | 'stop' | 'restart' | 'reload' | 'reload-or-restart' | 'enable' | 'disable' | 'mask' | 'unmask' | 'daemon-reload' | 'reset-failed'

const UNIT_NAME = /^[A-Za-z0-9:_.@-]+\.(service|socket|timer|target|path|mount)$/

export function assertUnitName(unit: string): string {
  if (!UNIT_NAME.test(unit)) throw new OdoopsError('UNIT_NAME_INVALID', `"${unit}" is not a systemd unit name.`, {suggestions: ['Use a name such as odoops-shared-17.service.']})
  return unit
}

/** Parses `systemctl show -p LoadState,ActiveState,UnitFileState,MainPID` output. */
export function parseUnitStatus(output: string): UnitStatus {
  const values = new Map<string, string>()
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1).trim())
  }
  const pid = Number(values.get('MainPID') ?? 0)
  return {
    exists: (values.get('LoadState') ?? 'not-found') !== 'not-found',
    active: values.get('ActiveState') ?? 'inactive',
    enabled: values.get('UnitFileState') ?? '',
    ...(Number.isInteger(pid) && pid > 0 ? {mainPid: pid} : {}),
  }
}

export async function unitStatus(conn: SshConnection, unit: string): Promise<UnitStatus> {
  assertUnitName(unit)
  return parseUnitStatus(await conn.run(command(['systemctl', 'show', '-p', 'LoadState,ActiveState,UnitFileState,MainPID', '--', unit]), {root: true}))
}

export async function systemctl(conn: SshConnection, verb: SystemctlVerb, unit?: string): Promise<void> {
  if (unit === undefined) {
    await conn.run(command(['systemctl', verb]), {root: true, timeoutMs: 180_000})
    return
  }
  assertUnitName(unit)
  const result = await conn.exec(command(['systemctl', verb, '--', unit]), {root: true, timeoutMs: 180_000})
  if (result.code !== 0) throw await unitFailed(conn, unit, `systemctl ${verb} ${unit} failed: ${result.stderr.toString('utf8').trim()}`)
}

/** The unit's last journal lines (what the operator needs to see when it does not start). */
export async function unitJournal(conn: SshConnection, unit: string, lines = 20): Promise<string> {
  const result = await conn.exec(command(['journalctl', '-u', unit, '-n', lines, '--no-pager', '-o', 'short-iso']), {root: true})
  return result.stdout.toString('utf8').trim()
}

async function unitFailed(conn: SshConnection, unit: string, message: string): Promise<OdoopsError> {
  const journal = await unitJournal(conn, unit).catch(() => '')
  return new OdoopsError('UNIT_FAILED', `${message}${journal ? `\nLast journal lines of ${unit}:\n${journal}` : ''}`, {
    suggestions: [`Look at the unit on the host: systemctl status ${unit}; journalctl -u ${unit}`],
    data: {unit},
  })
}

/** /etc/systemd/system/<unit> holds `content`; systemd reloads its units when it changed. */
export async function ensureUnitFile(conn: SshConnection, unitName: string, content: string): Promise<Change> {
  assertUnitName(unitName)
  const change = await ensureRemoteFile(conn, `/etc/systemd/system/${unitName}`, content, {mode: 0o644})
  if (change === 'changed') await systemctl(conn, 'daemon-reload')
  return change
}

/**
 * The unit is enabled and active (started, or restarted when `restart`). Waits until
 * systemd reports it active; a unit that fails (or stays activating) raises UNIT_FAILED
 * with its journal. Type=simple units are `active` as soon as the process is forked, so
 * callers that need the service to answer check that themselves (e.g. its port).
 */
export async function ensureUnitActive(conn: SshConnection, unit: string, options: {restart?: boolean; timeoutMs?: number} = {}): Promise<Change> {
  const status = await unitStatus(conn, unit)
  if (!status.exists) throw new OdoopsError('UNIT_NOT_FOUND', `The host has no unit ${unit}.`, {suggestions: ['Write the unit file first (host prepare / tenant create).']})
  let change: Change = 'unchanged'
  if (status.enabled !== 'enabled') {
    await systemctl(conn, 'enable', unit)
    change = 'changed'
  }
  if (status.active !== 'active') {
    // A unit that failed before stays failed until reset; start clears it anyway, reset keeps the journal readable.
    if (status.active === 'failed') await systemctl(conn, 'reset-failed', unit)
    await systemctl(conn, 'start', unit)
    change = 'changed'
  } else if (options.restart) {
    await systemctl(conn, 'restart', unit)
    change = 'changed'
  }
  const now = await pollUntil(() => unitStatus(conn, unit), (s) => s.active === 'active' || s.active === 'failed', {timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 500})
  if (now.active === 'active') return change
  throw await unitFailed(conn, unit, `${unit} did not become active (it is ${now.active}).`)
}

/** Stopped and disabled (unchanged when already so, or when the unit does not exist). */
export async function ensureUnitStopped(conn: SshConnection, unit: string): Promise<Change> {
  const status = await unitStatus(conn, unit)
  if (!status.exists) return 'unchanged'
  let change: Change = 'unchanged'
  if (status.enabled === 'enabled') {
    await systemctl(conn, 'disable', unit)
    change = 'changed'
  }
  return (await stopUnit(conn, unit, status)) === 'changed' ? 'changed' : change
}

/** Stopped for now, left enabled (an update's maintenance stop): unchanged when inactive or failed already. */
export async function stopUnit(conn: SshConnection, unit: string, known?: UnitStatus): Promise<Change> {
  const status = known ?? (await unitStatus(conn, unit))
  if (status.active === 'inactive' || status.active === 'failed') return 'unchanged'
  await systemctl(conn, 'stop', unit)
  return 'changed'
}

/** Used by callers that wait for something else (a port) and need the unit's own failure. */
export async function assertUnitNotFailed(conn: SshConnection, unit: string): Promise<void> {
  const status = await unitStatus(conn, unit)
  if (status.active === 'failed' || status.active === 'inactive') throw await unitFailed(conn, unit, `${unit} stopped (it is ${status.active}).`)
}

/** True when systemd reports the unit active (`systemctl is-active`). */
export async function isActive(conn: SshConnection, unit: string): Promise<boolean> {
  assertUnitName(unit)
  const result = await conn.exec(shell`systemctl is-active --quiet -- ${unit}`, {root: true})
  return result.code === 0
}

import {homedir} from 'node:os'
import {isAbsolute, join} from 'node:path'
import {ExitCode, OdoopsError, usageError} from '../../errors.js'
import {ensureDir} from '../../fs/ensure-dir.js'
import {connectHost} from '../../hosts/connect.js'
import {getHost} from '../../hosts/lookup.js'
import type {SshConnection} from '../../ssh/connection.js'
import {script, shell} from '../../ssh/quote.js'
import type {BackupTargetRecord} from '../../state/records.js'
import type {StateStore} from '../../state/store.js'
import {LocalTarget} from './local.js'
import {SftpTarget} from './sftp.js'
import type {BackupTarget} from './target.js'

/** The built-in target used without --target: a directory under odoops' data dir. */
export const DEFAULT_TARGET = 'default'
export const TARGET_TYPES = ['local', 'sftp'] as const
export type TargetType = (typeof TARGET_TYPES)[number]

const TARGET_NAME = /^[a-z][a-z0-9-]{0,40}$/

export interface TargetInput {
  name: string
  type: string
  path: string
  host?: string
}

/**
 * The one rule for "no --target given", in backup run, onboarding and scheduled backups: the
 * `backup.defaultTarget` setting, else the built-in target. Adding the first target of a
 * store makes it the setting (backup target add), so the built-in one is only the default
 * until a real target exists.
 */
export function defaultTargetName(setting: string | undefined): string {
  return setting?.trim() || DEFAULT_TARGET
}

export function defaultTargetRecord(dataDir: string): BackupTargetRecord {
  return {id: DEFAULT_TARGET, type: 'local', path: join(dataDir, 'backups'), builtIn: true}
}

export function targetNotFound(name: string): OdoopsError {
  return new OdoopsError('BACKUP_TARGET_NOT_FOUND', `No backup target named "${name}".`, {
    exit: ExitCode.USAGE,
    suggestions: ['odoops backup target list shows the targets.', `odoops backup target add ${name} --type local --path <dir>`],
    data: {target: name},
  })
}

/** BACKUP_TARGET_PATH_INVALID: --path must be an absolute directory that exists or can be created, writable. */
export function targetPathInvalid(path: string, problem: string): OdoopsError {
  const shown = path.length > 200 ? path.slice(0, 200) + '…' : path
  return usageError('BACKUP_TARGET_PATH_INVALID', `Cannot use "${shown}" as a backup target directory: ${problem}.`, [
    `Give an absolute directory you can write to: odoops backup target add nas --type local --path ${join(homedir(), 'odoops-backups')}`,
  ])
}

/** Checks a new target's fields (pure). */
export function validateTargetInput(input: TargetInput): {name: string; type: TargetType; path: string; host?: string} {
  if (!TARGET_NAME.test(input.name)) throw usageError('BACKUP_TARGET_NAME_INVALID', `"${input.name}" is not a valid target name: lowercase letters, digits and dashes, starting with a letter.`, ['e.g. nas1, offsite-sftp'])
  if (input.name === DEFAULT_TARGET) throw usageError('BACKUP_TARGET_NAME_RESERVED', `"${DEFAULT_TARGET}" is the built-in target (a directory under odoops' data dir); choose another name.`)
  if (!(TARGET_TYPES as readonly string[]).includes(input.type)) throw usageError('BACKUP_TARGET_TYPE_INVALID', `Unknown target type "${input.type}".`, [`Use one of: ${TARGET_TYPES.join(', ')}.`])
  if (!isAbsolute(input.path) || input.path.includes('\0')) throw targetPathInvalid(input.path, 'it is not an absolute path')
  const type = input.type as TargetType
  if (type === 'sftp' && !input.host) throw usageError('MISSING_VALUE', 'An sftp target needs --host <registered host>.', ['odoops backup target add offsite --type sftp --host backup1 --path /srv/odoops-backups'])
  if (type === 'local' && input.host) throw usageError('BACKUP_TARGET_HOST_UNEXPECTED', '--host goes with --type sftp only.')
  return {name: input.name, type, path: input.path.replace(/(.)\/+$/, '$1'), host: input.host}
}

export interface TargetEnv {
  store: StateStore
  dataDir: string
  connect?: (host: string) => Promise<SshConnection>
}

const connectFor = (env: TargetEnv) => env.connect ?? ((host: string) => connectHost(env.store, host))

/** The storage behind a target record. */
export function openTarget(env: TargetEnv, record: BackupTargetRecord): BackupTarget {
  if (record.type === 'local') return new LocalTarget(record.id, record.path)
  if (record.type === 'sftp' && record.host) {
    const host = record.host
    return new SftpTarget(record.id, host, record.path, () => connectFor(env)(host))
  }
  throw new OdoopsError('BACKUP_TARGET_TYPE_INVALID', `Target "${record.id}" has type "${record.type}", which this odoops cannot use.`, {suggestions: ['Upgrade odoops, or remove the target.']})
}

/** A target by name (`default` when none is given; the built-in one unless a record overrides it). */
export async function resolveTarget(env: TargetEnv, name: string | undefined): Promise<BackupTargetRecord> {
  const id = name ?? DEFAULT_TARGET
  const record = await env.store.backupTargets.get(id)
  if (record) return record
  if (id === DEFAULT_TARGET) return defaultTargetRecord(env.dataDir)
  throw targetNotFound(id)
}

/** Whether a target being added becomes the default: when asked, or when it is the first and no default is set. */
export async function becomesDefault(store: StateStore, asked: boolean | undefined, currentSetting: string | undefined): Promise<boolean> {
  if (asked !== undefined) return asked
  if (currentSetting?.trim()) return false
  return (await store.backupTargets.list()).filter((r) => !r.builtIn).length === 0
}

/** Registers a target after checking that its directory can be created and written. */
export async function addTarget(env: TargetEnv, input: TargetInput): Promise<BackupTargetRecord> {
  const valid = validateTargetInput(input)
  if (await env.store.backupTargets.get(valid.name)) throw usageError('BACKUP_TARGET_EXISTS', `A backup target named "${valid.name}" exists already.`, [`odoops backup target remove ${valid.name} --confirm ${valid.name}`])
  const record: BackupTargetRecord = {id: valid.name, type: valid.type, path: valid.path, ...(valid.host ? {host: valid.host} : {})}
  if (valid.type === 'local') {
    // Checked before anything is created (ensure-dir.ts): an existing directory must be writable too.
    await ensureDir(valid.path, {mode: 0o700, writable: true, invalid: (problem) => targetPathInvalid(valid.path, problem)})
  } else {
    await getHost(env.store, valid.host as string)
    const conn = await connectFor(env)(valid.host as string)
    // A write probe: the directory exists (created 0700) and root can write into it.
    await conn.run(script([shell`umask 077`, shell`mkdir -p -- ${valid.path}`, shell`probe=${valid.path}/.odoops-probe.$$`, shell`: > "$probe"`, shell`rm -f -- "$probe"`]), {root: true})
  }
  return env.store.backupTargets.insert(record)
}

export interface TargetView {
  name: string
  type: string
  location: string
  builtIn: boolean
  /** The target used when no --target is given (backup.defaultTarget, else the built-in one). */
  default: boolean
  backups: number
}

export async function listTargets(env: TargetEnv, defaultName = DEFAULT_TARGET): Promise<TargetView[]> {
  const records = await env.store.backupTargets.list()
  if (!records.some((r) => r.id === DEFAULT_TARGET)) records.unshift(defaultTargetRecord(env.dataDir))
  const views: TargetView[] = []
  for (const record of records) {
    const target = openTarget(env, record)
    views.push({name: record.id, type: record.type, location: target.location, builtIn: record.builtIn === true, default: record.id === defaultName, backups: await env.store.backups.count({target: record.id})})
  }
  return views
}

/** Forgets a target (nothing stored on it is deleted). Refused while catalog entries point at it. */
export async function removeTarget(env: TargetEnv, name: string): Promise<BackupTargetRecord> {
  const record = await env.store.backupTargets.get(name)
  if (!record) {
    if (name === DEFAULT_TARGET) throw usageError('BACKUP_TARGET_BUILTIN', `"${DEFAULT_TARGET}" is the built-in target and cannot be removed.`)
    throw targetNotFound(name)
  }
  const held = await env.store.backups.count({target: name})
  if (held > 0) {
    throw usageError('BACKUP_TARGET_IN_USE', `Target "${name}" holds ${held} backup(s) in the catalog; removing it would orphan them.`, [
      `odoops backup list shows them; delete or move those backups first.`,
    ])
  }
  await env.store.backupTargets.delete(name)
  return record
}

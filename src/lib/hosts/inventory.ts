import {OdoopsError, isOdoopsError, usageError} from '../errors.js'
import {isFingerprint} from '../ssh/fingerprint.js'
import {sshPool, type SshPool} from '../ssh/pool.js'
import {resolveSshAlias} from '../ssh/ssh-config.js'
import type {SshTarget} from '../ssh/target.js'
import type {HostRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import {validateHostAddress, validateHostName, validateHostUser} from '../names/host.js'
import {getHost, targetOf} from './lookup.js'

export interface AddHostInput {
  name: string
  address?: string
  port?: number
  user?: string
  identity?: string
  jump?: string
  /** Expected host key fingerprint (`SHA256:…`). */
  hostKey?: string
  /** Accept whatever key the host offers now. */
  trustNewHostKey?: boolean
}

export interface HostKeyDecision {
  /** Asked on first contact (interactive only): true pins the key. Absent: not interactive. */
  confirmKey?: (question: {host: string; address: string; fingerprint: string; previous?: string}) => Promise<boolean>
  pool?: SshPool
}

export interface AddHostResult {
  host: HostRecord
  /** Where address/port/user/identity came from. */
  source: 'flags' | 'ssh-config'
}

function validateFingerprint(value: string): string {
  if (!isFingerprint(value)) {
    throw usageError('HOST_KEY_INVALID', `"${value}" is not a host key fingerprint: expected SHA256: followed by 43 base64 characters.`, [
      'On the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub',
      'Or from here: ssh-keyscan -t ed25519 <address> | ssh-keygen -lf -',
    ])
  }
  return value
}

function validatePort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError('HOST_PORT_INVALID', `Port ${port} is not a TCP port (1–65535).`, ['--port 22'])
  return port
}

/**
 * The key a host offers, learned without authenticating or sending anything: the host
 * verifier rejects during key exchange and the SSH_HOST_KEY_UNKNOWN error carries it.
 */
export async function probeHostKey(target: SshTarget, pool: SshPool = sshPool): Promise<string> {
  try {
    const connection = await pool.connect({...target, hostKey: undefined}, {acceptNewHostKey: () => false})
    await connection.close() // cannot happen: the verifier refuses every key
    return connection.hostKey
  } catch (error) {
    if (isOdoopsError(error) && error.code === 'SSH_HOST_KEY_UNKNOWN' && typeof error.data?.seen === 'string') return error.data.seen
    throw error
  }
}

/**
 * Register a host: resolve ~/.ssh/config, pin its host key (given, trusted on first use,
 * or confirmed interactively), connect and authenticate once, and only then record it.
 */
export async function addHost(store: StateStore, input: AddHostInput, decision: HostKeyDecision = {}): Promise<AddHostResult> {
  const name = validateHostName(input.name)
  const pool = decision.pool ?? sshPool
  // Before any lookup or connection: an address or user that is no such thing is refused, not handed to SSH.
  if (input.address !== undefined) validateHostAddress(input.address, {name})
  if (input.user !== undefined) validateHostUser(input.user, {name, address: input.address})
  if (input.hostKey !== undefined) validateFingerprint(input.hostKey)
  if (await store.hosts.get(name)) {
    throw usageError('HOST_EXISTS', `A host named "${name}" is already registered.`, [`odoops host show ${name}`, `To re-pin its key: odoops host trust ${name}`])
  }
  const alias = resolveSshAlias(name)
  const given = input.address ?? alias.hostName ?? (alias.matched ? name : undefined)
  if (!given) {
    throw usageError('HOST_ADDRESS_REQUIRED', `No address for "${name}": give --address, or add a Host ${name} entry to your ssh config.`, [`odoops host add ${name} --address <ip or DNS name>`])
  }
  const address = validateHostAddress(given, {name, from: input.address === undefined ? '~/.ssh/config' : '--address'})
  const jumpName = input.jump ?? alias.proxyJump
  let jump: SshTarget | undefined
  if (jumpName !== undefined) {
    const jumpRecord = await store.hosts.get(jumpName)
    if (!jumpRecord) {
      throw usageError('HOST_JUMP_UNKNOWN', `The jump host "${jumpName}" is not a registered odoops host.`, [`Register it first: odoops host add ${/^[a-z0-9][a-z0-9-]{0,62}$/.test(jumpName) ? jumpName : '<name>'} --address <address>`])
    }
    jump = await targetOf(store, jumpRecord)
  }
  const target: SshTarget = {
    name,
    address,
    port: validatePort(input.port ?? alias.port ?? 22),
    user: validateHostUser(input.user ?? alias.user ?? 'root', {name, address, from: input.user === undefined ? '~/.ssh/config' : '--user'}),
    identityFile: input.identity ?? alias.identityFile,
    jump,
  }
  const fromConfig = input.address === undefined && alias.matched

  let pinned = input.hostKey
  if (pinned === undefined && !input.trustNewHostKey) {
    const seen = await probeHostKey(target, pool)
    if (!decision.confirmKey) throw hostKeyUnknownForAdd(target, seen)
    const ok = await decision.confirmKey({host: name, address: `${address}:${target.port}`, fingerprint: seen})
    if (!ok) throw new OdoopsError('HOST_KEY_REJECTED', `The host key ${seen} of "${name}" was not accepted. Nothing was recorded.`, {suggestions: ['Check the key on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub']})
    pinned = seen
  }
  const connection = await pool.connect({...target, hostKey: pinned}, {acceptNewHostKey: () => input.trustNewHostKey === true})
  const hostKey = connection.hostKey
  await connection.close()
  const record: HostRecord = {
    id: name,
    address,
    port: target.port,
    user: target.user,
    hostKey,
    ...(target.identityFile ? {identityFile: target.identityFile} : {}),
    ...(jumpName ? {jump: jumpName} : {}),
  }
  const host = await store.hosts.insert(record)
  return {host, source: fromConfig ? 'ssh-config' : 'flags'}
}

function hostKeyUnknownForAdd(target: SshTarget, seen: string): OdoopsError {
  return new OdoopsError(
    'SSH_HOST_KEY_UNKNOWN',
    `"${target.name}" (${target.address}:${target.port}) offers host key ${seen}. odoops pins host keys and cannot ask here (not a terminal, CI, --json or --yes). Nothing was recorded.`,
    {
      suggestions: [
        `Check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then: odoops host add ${target.name} --address ${target.address} --host-key ${seen}`,
        `Or accept the key offered now: odoops host add ${target.name} --address ${target.address} --trust-new-host-key`,
      ],
      data: {host: target.name, seen},
    },
  )
}

export interface TrustHostResult {
  host: HostRecord
  previous?: string
  changed: boolean
}

/**
 * Re-pin a host's key after it changed (reinstall): show old and new, and require the
 * new fingerprint (`hostKey`), an interactive yes, or `trustNew`.
 */
export async function trustHost(store: StateStore, name: string, input: {hostKey?: string; trustNew?: boolean}, decision: HostKeyDecision = {}): Promise<TrustHostResult> {
  const record = await getHost(store, name)
  const pool = decision.pool ?? sshPool
  if (input.hostKey !== undefined) validateFingerprint(input.hostKey)
  const target = await targetOf(store, record)
  const seen = await probeHostKey(target, pool)
  if (seen === record.hostKey) return {host: record, previous: record.hostKey, changed: false}
  if (input.hostKey !== undefined && input.hostKey !== seen) {
    throw new OdoopsError('SSH_HOST_KEY_MISMATCH', `"${name}" offers ${seen}, not the key given with --host-key (${input.hostKey}). Nothing was changed.`, {
      suggestions: ['Check the key on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub'],
      data: {host: name, pinned: record.hostKey, given: input.hostKey, seen},
    })
  }
  if (input.hostKey === undefined && !input.trustNew) {
    if (!decision.confirmKey) {
      throw new OdoopsError('SSH_HOST_KEY_UNKNOWN', `"${name}" now offers host key ${seen} (pinned: ${record.hostKey ?? 'none'}). Confirm the new key to re-pin it. Nothing was changed.`, {
        suggestions: [`odoops host trust ${name} --host-key ${seen}`, `Or accept the key offered now: odoops host trust ${name} --trust-new-host-key`],
        data: {host: name, pinned: record.hostKey, seen},
      })
    }
    const ok = await decision.confirmKey({host: name, address: `${record.address}:${record.port}`, fingerprint: seen, previous: record.hostKey})
    if (!ok) throw new OdoopsError('HOST_KEY_REJECTED', `The new host key ${seen} of "${name}" was not accepted. Nothing was changed.`)
  }
  // Connect with the new pin (authentication must still work) before recording it.
  const connection = await pool.connect({...target, hostKey: seen})
  await connection.close()
  const host = await store.hosts.update(name, {hostKey: seen})
  return {host, previous: record.hostKey, changed: true}
}

/** Unregister a host; refused while tenants live on it. */
export async function removeHost(store: StateStore, name: string): Promise<HostRecord> {
  const record = await getHost(store, name)
  const tenants = await store.tenants.list({host: name})
  if (tenants.length > 0) {
    const names = tenants.map((t) => t.id)
    throw new OdoopsError('HOST_IN_USE', `"${name}" still hosts ${tenants.length} tenant(s): ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}. Nothing was changed.`, {
      suggestions: ['Move or remove those tenants first (odoops tenant list --host ' + name + ').'],
      data: {host: name, tenants: names},
    })
  }
  const dependants = (await store.hosts.list()).filter((h) => h.jump === name).map((h) => h.id)
  if (dependants.length > 0) {
    throw new OdoopsError('HOST_IN_USE', `"${name}" is the jump host of ${dependants.join(', ')}. Nothing was changed.`, {
      suggestions: [`Remove those hosts first: odoops host remove ${dependants[0]} --confirm ${dependants[0]}`],
      data: {host: name, jumpFor: dependants},
    })
  }
  await store.hosts.delete(name)
  return record
}

export async function listHosts(store: Pick<StateStore, 'hosts'>): Promise<HostRecord[]> {
  return (await store.hosts.list()).sort((a, b) => a.id.localeCompare(b.id))
}

import {OdoopsError, messageOf} from '../errors.js'
import {describeTarget, type SshTarget} from './target.js'

/**
 * The SSH layer's errors: one code per fault, each saying what happened and how to fix
 * it. All exit 1 and none is retried automatically (a wrong key or password retried in a
 * loop only locks accounts and floods logs).
 */
export const SSH_ERROR_CODES = [
  'SSH_UNREACHABLE',
  'SSH_REFUSED',
  'SSH_HOST_KEY_MISMATCH',
  'SSH_HOST_KEY_UNKNOWN',
  'SSH_AUTH_FAILED',
  'SSH_TIMEOUT',
  'SSH_SUDO_DENIED',
  'SSH_CONNECTION_LOST',
  'SSH_OUTPUT_TOO_LARGE',
  'SSH_CHANNEL_FAILED',
] as const
export type SshErrorCode = (typeof SSH_ERROR_CODES)[number]

function sshError(code: SshErrorCode, message: string, suggestions: string[], data: Record<string, unknown>, cause?: unknown) {
  return new OdoopsError(code, message, {suggestions, data, cause})
}

export function hostKeyMismatch(target: SshTarget, pinned: string, seen: string): OdoopsError {
  return sshError(
    'SSH_HOST_KEY_MISMATCH',
    `The host key of "${target.name}" (${describeTarget(target)}) has changed: pinned ${pinned}, offered ${seen}. Nothing was sent to the host. This is expected after a reinstall; otherwise someone may be intercepting the connection.`,
    [`Check the key on the host itself: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`, `If the change is expected, re-pin it: odoops host trust ${target.name}`],
    {host: target.name, pinned, seen},
  )
}

export function hostKeyUnknown(target: SshTarget, seen: string): OdoopsError {
  return sshError(
    'SSH_HOST_KEY_UNKNOWN',
    `The host key of "${target.name}" (${describeTarget(target)}) is ${seen}, and no key is pinned or accepted for it. Nothing was sent to the host.`,
    [
      `Compare it with the key on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then pass it: --host-key ${seen}`,
      'Or accept whatever key the host offers now: --trust-new-host-key',
    ],
    {host: target.name, seen},
  )
}

export function authFailed(target: SshTarget, tried: string[], notes: string[] = []): OdoopsError {
  const how = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no ssh-agent (SSH_AUTH_SOCK) and no identity file to try'
  return sshError(
    'SSH_AUTH_FAILED',
    `Authentication as "${target.user}" on "${target.name}" (${describeTarget(target)}) failed: ${how}.${notes.length ? ' ' + notes.join(' ') : ''}`,
    [
      `Authorise your public key for ${target.user} on the host (~${target.user}/.ssh/authorized_keys), or load the right key into ssh-agent (ssh-add <key>).`,
      `Or point odoops at the key: odoops host add ${target.name} --identity <private key file> (or IdentityFile in ~/.ssh/config).`,
    ],
    {host: target.name, user: target.user, tried},
  )
}

export function sudoDenied(target: SshTarget, detail: string): OdoopsError {
  return sshError(
    'SSH_SUDO_DENIED',
    `"${target.user}" on "${target.name}" cannot run commands as root without a password (sudo -n: ${detail.trim() || 'refused'}). odoops never types passwords into sudo.`,
    [
      `On the host, as root: echo '${target.user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/odoops && chmod 440 /etc/sudoers.d/odoops`,
      `Or register the host with a root login: odoops host add ${target.name} --user root`,
    ],
    {host: target.name, user: target.user},
  )
}

export function commandTimeout(target: SshTarget, summary: string, timeoutMs: number): OdoopsError {
  return sshError(
    'SSH_TIMEOUT',
    `The command "${summary}" on "${target.name}" did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`,
    ['Check the host for a stuck process, or raise the limit: odoops config set ssh.commandTimeout <seconds>'],
    {host: target.name, timeoutMs, phase: 'command'},
  )
}

export function outputTooLarge(target: SshTarget, summary: string, limit: number): OdoopsError {
  return sshError(
    'SSH_OUTPUT_TOO_LARGE',
    `The command "${summary}" on "${target.name}" wrote more than ${limit} bytes; odoops stopped it rather than hold it in memory.`,
    ['Internal: use execStream() for large outputs.'],
    {host: target.name, limit},
  )
}

export function connectionLost(target: SshTarget, detail: string): OdoopsError {
  return sshError(
    'SSH_CONNECTION_LOST',
    `The SSH connection to "${target.name}" (${describeTarget(target)}) was lost: ${detail}.`,
    ['Check the host and the network, then run the command again.'],
    {host: target.name},
  )
}

export function channelFailed(target: SshTarget, error: unknown): OdoopsError {
  return sshError(
    'SSH_CHANNEL_FAILED',
    `"${target.name}" refused to open an SSH channel: ${messageOf(error)}.`,
    ['The host may limit sessions (MaxSessions in sshd_config, at least 10 is needed) or be overloaded; lower ssh.maxSessions: odoops config set ssh.maxSessions 4'],
    {host: target.name},
    error,
  )
}

const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENONET', 'EADDRNOTAVAIL'])

/**
 * A connection error from ssh2 or net as an OdoopsError. ssh2 marks its errors with a
 * `level` (README "Client events", error): 'client-socket', 'client-timeout',
 * 'client-authentication', 'client-ssh'.
 */
export function connectError(target: SshTarget, error: unknown, timeoutMs: number, via?: string): OdoopsError {
  if (error instanceof OdoopsError) return error
  const err = error as NodeJS.ErrnoException & {level?: string; reason?: number}
  const where = `"${target.name}" (${describeTarget(target)})`
  const message = messageOf(error)
  const code = err.code ?? ''
  if (code === 'ECONNREFUSED' || /Connection refused/i.test(message)) {
    return sshError(
      'SSH_REFUSED',
      `${where} refused the connection on port ${target.port}${via ? ` (seen from ${via})` : ''}: no SSH server listening there.`,
      [`Check that sshd runs on the host and listens on port ${target.port} (systemctl status ssh), and that --port is right.`],
      {host: target.name, address: target.address, port: target.port},
      error,
    )
  }
  if (UNREACHABLE_CODES.has(code) || /No route to host|Name or service not known|getaddrinfo|Network is unreachable|open failed/i.test(message)) {
    return sshError(
      'SSH_UNREACHABLE',
      `${where} cannot be reached${via ? ` from ${via}` : ''}: ${message}.`,
      [`Check the address (${target.address}): DNS name, IP, VPN or firewall.`, 'Is the host running?'],
      {host: target.name, address: target.address, port: target.port},
      error,
    )
  }
  if (err.level === 'client-timeout' || code === 'ETIMEDOUT' || /timed out/i.test(message)) {
    return sshError(
      'SSH_TIMEOUT',
      `No SSH handshake with ${where} within ${Math.round(timeoutMs / 1000)} s.`,
      [
        `Check that ${target.address}:${target.port} is reachable (a firewall dropping packets looks like this).`,
        'Or wait longer: odoops config set ssh.connectTimeout <seconds>',
      ],
      {host: target.name, timeoutMs, phase: 'connect'},
      error,
    )
  }
  if (err.level === 'client-authentication') return authFailed(target, [])
  return connectionLost(target, message)
}

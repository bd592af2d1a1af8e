import type {PassphrasePrompt} from './auth.js'

/** How the SSH layer connects and runs commands. Defaults below; commands fill them from settings. */
export interface SshOptions {
  /** ssh2 `readyTimeout`: TCP connect + handshake + authentication. */
  connectTimeoutMs: number
  /** Default per-command limit; the channel is signalled and closed when it runs out. */
  commandTimeoutMs: number
  /** Concurrent session channels per connection (OpenSSH MaxSessions defaults to 10). */
  maxSessions: number
  /** ssh2 `keepaliveInterval` / `keepaliveCountMax` (like OpenSSH ServerAliveInterval/CountMax). */
  keepaliveIntervalMs: number
  keepaliveCountMax: number
  /** Largest stdout or stderr `exec` buffers; bigger outputs must use `execStream`. */
  maxBuffer: number
  /** ssh-agent socket; undefined: SSH_AUTH_SOCK; null: do not use an agent. */
  agentSocket?: string | null
  /** Asks for the passphrase of an encrypted identity file (only give one on a TTY). */
  passphrase?: PassphrasePrompt
  /** For an unpinned host: return true to accept the key with this fingerprint (host add). */
  acceptNewHostKey?: (fingerprint: string) => boolean
}

export const DEFAULT_SSH_OPTIONS: SshOptions = {
  connectTimeoutMs: 15_000,
  commandTimeoutMs: 3_600_000,
  maxSessions: 8,
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  maxBuffer: 64 * 1024 * 1024,
}

/** Reads `ssh.*` settings (src/lib/config/keys.ts) into options. */
export function sshOptionsFromSettings(settings: {get<T extends string | number | boolean | string[]>(key: string): T | undefined}): Partial<SshOptions> {
  const seconds = (key: string) => {
    const value = settings.get<number>(key)
    return typeof value === 'number' ? value * 1000 : undefined
  }
  const options: Partial<SshOptions> = {}
  const connect = seconds('ssh.connectTimeout')
  const command = seconds('ssh.commandTimeout')
  const sessions = settings.get<number>('ssh.maxSessions')
  if (connect) options.connectTimeoutMs = connect
  if (command) options.commandTimeoutMs = command
  if (typeof sessions === 'number') options.maxSessions = sessions
  return options
}

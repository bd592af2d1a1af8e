import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import SSHConfig from 'ssh-config'
import {usageError, messageOf} from '../errors.js'
import {expandHome} from './auth.js'

/** What `~/.ssh/config` says about a name (the OpenSSH directives odoops honours). */
export interface SshAlias {
  /** True when a `Host` pattern other than `*` matched the name. */
  matched: boolean
  hostName?: string
  port?: number
  user?: string
  identityFile?: string
  /** ProxyJump value as written (first hop only is supported). */
  proxyJump?: string
}

/** The ssh config file: ODOOPS_SSH_CONFIG (tests, other setups) or ~/.ssh/config. */
export function sshConfigPath(): string {
  return process.env.ODOOPS_SSH_CONFIG || join(homedir(), '.ssh', 'config')
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/**
 * Resolve `name` through the ssh config (via the `ssh-config` package's `compute`, with
 * `Match exec` disabled: odoops never runs commands from a config file). A missing file
 * means no alias.
 */
export function resolveSshAlias(name: string, file = sshConfigPath()): SshAlias {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {matched: false}
    throw usageError('SSH_CONFIG_UNREADABLE', `Cannot read the ssh config ${file}: ${messageOf(error)}.`, ['Fix its permissions, or point ODOOPS_SSH_CONFIG at another file.'])
  }
  let computed: Record<string, string | string[]>
  try {
    computed = SSHConfig.parse(text).compute(name, {ignoreCase: true, matchExec: false})
  } catch (error) {
    throw usageError('SSH_CONFIG_INVALID', `Cannot parse the ssh config ${file}: ${messageOf(error)}.`, [`Check ${file} with: ssh -G ${name}`])
  }
  const hosts = ([] as string[]).concat(computed.host ?? [])
  const portText = first(computed.port)
  const port = portText === undefined ? undefined : Number(portText)
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw usageError('SSH_CONFIG_INVALID', `${file}: Port "${portText}" for ${name} is not a TCP port.`, [`Fix the Port line of Host ${name} in ${file}.`])
  }
  const hostName = first(computed.hostname)
  const identity = first(computed.identityfile)
  const jump = first(computed.proxyjump)
  return {
    matched: hosts.some((h) => h !== '*') || hostName !== undefined,
    hostName: hostName?.replaceAll('%h', name),
    port,
    user: first(computed.user),
    identityFile: identity ? expandHome(identity) : undefined,
    proxyJump: jump && jump.toLowerCase() !== 'none' ? jump.split(',')[0].trim() : undefined,
  }
}

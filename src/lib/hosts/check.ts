import {sshPool, type SshPool} from '../ssh/pool.js'
import {command} from '../ssh/quote.js'
import type {SshConnection} from '../ssh/connection.js'
import type {StateStore} from '../state/store.js'
import {getHost, targetOf} from './lookup.js'

/** What `host check` learns about a host. */
export interface HostFacts {
  checkedAt: string
  os: {id: string; version: string; name: string; arch: string}
  cpus: number
  memoryMb: number
  /** Free space in MB on each data path (`/`, `/var/lib`). */
  diskFreeMb: Record<string, number>
  systemd: boolean
  /** Login user, and whether odoops can act as root (root login or `sudo -n`). */
  user: string
  root: boolean
  postgresql: {installed: boolean; versions: string[]; running: boolean}
  nginx: {installed: boolean; version?: string; running: boolean}
  /** Installed Odoo: Debian package version and `odoo --version`. */
  odoo: {package?: string; version?: string}
}

export interface HostProblem {
  level: 'error' | 'warning'
  code: string
  message: string
}

export interface HostCheckResult {
  host: string
  /** False when the host cannot run Odoo (any `error` problem). */
  ok: boolean
  facts: HostFacts
  problems: HostProblem[]
}

/** Data paths whose free space matters (PostgreSQL and Odoo data live under /var/lib). */
export const DATA_PATHS = ['/', '/var/lib']

/**
 * Gathers every fact in ONE remote round trip. Plain sh, not strict mode: a missing tool
 * must give an empty value, not end the script. Output: `key=value` lines.
 */
const FACTS_SCRIPT = [
  "emit() { printf '%s=%s\\n' \"$1\" \"$2\"; }",
  'running() { for f in /proc/[0-9]*/comm; do c=; read -r c 2>/dev/null < "$f"; [ "$c" = "$1" ] && return 0; done; return 1; }',
  'ID=; VERSION_ID=; PRETTY_NAME=',
  '[ -r /etc/os-release ] && . /etc/os-release',
  'emit os_id "$ID"; emit os_version "$VERSION_ID"; emit os_name "$PRETTY_NAME"',
  'emit arch "$(uname -m)"',
  'emit cpus "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"',
  "emit mem_kb \"$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)\"",
  ...DATA_PATHS.map((p) => `emit "disk_free_kb:${p}" "$(df -Pk ${p} 2>/dev/null | awk 'NR==2 {print $4}')"`),
  'emit pid1 "$(cat /proc/1/comm 2>/dev/null)"',
  'emit user "$(id -un)"',
  'if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then emit root yes; else emit root no; fi',
  "emit pg_versions \"$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tr '\\n' ' ')\"",
  'if running postgres; then emit pg_running yes; else emit pg_running no; fi',
  'if [ -x /usr/sbin/nginx ]; then emit nginx_installed yes; emit nginx_version "$(/usr/sbin/nginx -v 2>&1 | sed \'s#.*/##\')"; else emit nginx_installed no; fi',
  'if running nginx; then emit nginx_running yes; else emit nginx_running no; fi',
  "emit odoo_package \"$(dpkg-query -W -f='${Version}' odoo 2>/dev/null)\"",
  'if [ -x /usr/bin/odoo ]; then emit odoo_version "$(timeout 30 /usr/bin/odoo --version 2>/dev/null | head -n 1)"; fi',
  'exit 0',
].join('\n')

export function parseFacts(output: string, now = new Date()): HostFacts {
  const values = new Map<string, string>()
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1).trim())
  }
  const get = (key: string) => values.get(key) ?? ''
  const int = (key: string) => {
    const n = Number.parseInt(get(key), 10)
    return Number.isFinite(n) ? n : 0
  }
  const diskFreeMb: Record<string, number> = {}
  for (const path of DATA_PATHS) diskFreeMb[path] = Math.floor(int(`disk_free_kb:${path}`) / 1024)
  const versions = get('pg_versions').split(/\s+/).filter(Boolean)
  const odooVersion = get('odoo_version').replace(/^Odoo Server\s*/i, '')
  return {
    checkedAt: now.toISOString(),
    os: {id: get('os_id'), version: get('os_version'), name: get('os_name'), arch: get('arch')},
    cpus: int('cpus'),
    memoryMb: Math.floor(int('mem_kb') / 1024),
    diskFreeMb,
    systemd: get('pid1') === 'systemd',
    user: get('user'),
    root: get('root') === 'yes',
    postgresql: {installed: versions.length > 0, versions, running: get('pg_running') === 'yes'},
    nginx: {installed: get('nginx_installed') === 'yes', ...(get('nginx_version') ? {version: get('nginx_version')} : {}), running: get('nginx_running') === 'yes'},
    odoo: {...(get('odoo_package') ? {package: get('odoo_package')} : {}), ...(odooVersion ? {version: odooVersion} : {})},
  }
}

const SUPPORTED_OS: Record<string, number> = {debian: 12, ubuntu: 22.04}

/** What stops a host from running Odoo (errors) and what makes it a poor choice (warnings). */
export function evaluateFacts(facts: HostFacts): HostProblem[] {
  const problems: HostProblem[] = []
  const minimum = SUPPORTED_OS[facts.os.id]
  if (minimum === undefined) {
    problems.push({level: 'error', code: 'OS_UNSUPPORTED', message: `${facts.os.name || facts.os.id || 'This system'} is not Debian or Ubuntu; odoops installs Odoo from Debian packages.`})
  } else if (Number.parseFloat(facts.os.version) < minimum) {
    problems.push({level: 'warning', code: 'OS_OLD', message: `${facts.os.name} is older than ${facts.os.id} ${minimum}; Odoo 17 packages target Debian 12 / Ubuntu 22.04 or later.`})
  }
  if (!facts.systemd) problems.push({level: 'error', code: 'NO_SYSTEMD', message: 'systemd is not PID 1: odoops runs Odoo, PostgreSQL and nginx as systemd services.'})
  if (!facts.root) problems.push({level: 'error', code: 'NO_ROOT', message: `"${facts.user}" is not root and cannot use sudo without a password: installing and running Odoo needs root.`})
  if (facts.memoryMb < 2048) problems.push({level: 'warning', code: 'LOW_MEMORY', message: `Only ${facts.memoryMb} MB of RAM: Odoo wants at least 2 GB (more with several tenants).`})
  if (facts.cpus < 2) problems.push({level: 'warning', code: 'FEW_CPUS', message: `Only ${facts.cpus} CPU: Odoo workers and PostgreSQL compete for it.`})
  for (const [path, free] of Object.entries(facts.diskFreeMb)) {
    if (free < 1024) problems.push({level: 'error', code: 'DISK_FULL', message: `Only ${free} MB free on ${path}: at least 1 GB is needed to install and run Odoo.`})
    else if (free < 10 * 1024) problems.push({level: 'warning', code: 'LOW_DISK', message: `Only ${Math.round(free / 102.4) / 10} GB free on ${path}: databases, filestores and backups need room.`})
  }
  return problems
}

/** Gather facts over an open connection (one round trip). */
export async function gatherFacts(connection: SshConnection): Promise<HostFacts> {
  const output = await connection.run(command(['sh', '-c', FACTS_SCRIPT]), {timeoutMs: 60_000})
  return parseFacts(output)
}

/** `host check`: facts, problems, and the facts stored on the host record. */
export async function checkHost(store: StateStore, name: string, pool: SshPool = sshPool): Promise<HostCheckResult> {
  const record = await getHost(store, name)
  const connection = await pool.connect(await targetOf(store, record))
  const facts = await gatherFacts(connection)
  const problems = evaluateFacts(facts)
  await store.hosts.update(name, {facts: facts as unknown as Record<string, unknown>})
  return {host: name, ok: !problems.some((p) => p.level === 'error'), facts, problems}
}

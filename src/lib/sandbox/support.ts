import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'
import {ExitCode, OdoopsError} from '../errors.js'

/**
 * Can this machine run sandboxes? Linux, root (network namespaces, veth, bind mounts) and a
 * few Debian packages. The answer names what is missing and how to install it.
 */

/** Debian packages the sandbox needs on this machine, by the program we call. */
export const REQUIRED_PROGRAMS: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  ip: 'iproute2',
  'ssh-keygen': 'openssh-client',
  tinyproxy: 'tinyproxy',
}

export const REQUIRED_PACKAGES = [...new Set(Object.values(REQUIRED_PROGRAMS))]

export function findProgram(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])
  for (const dir of dirs) {
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

export interface SandboxSupport {
  ok: boolean
  /** Why sandboxes cannot run here (empty when ok). */
  problems: string[]
  missingPackages: string[]
}

export function sandboxSupport(): SandboxSupport {
  const problems: string[] = []
  if (process.platform !== 'linux') problems.push(`sandboxes need Linux (this is ${process.platform})`)
  else if (process.getuid?.() !== 0) problems.push('sandboxes need root (network namespaces, veth pairs and bind mounts)')
  const missing = Object.entries(REQUIRED_PROGRAMS).filter(([program]) => process.platform === 'linux' && !findProgram(program))
  const missingPackages = [...new Set(missing.map(([, pkg]) => pkg))]
  if (missing.length > 0) problems.push(`missing programs: ${missing.map(([program]) => program).join(', ')}`)
  return {ok: problems.length === 0, problems, missingPackages}
}

export function assertSandboxSupport(): void {
  const support = sandboxSupport()
  if (support.ok) return
  const suggestions: string[] = []
  if (process.platform !== 'linux') suggestions.push('Run sandboxes on a Debian 12 (or other Linux) machine, or use a real host: odoops host add <name> --address <host>.')
  else if (process.getuid?.() !== 0) suggestions.push('Run as root, e.g. sudo odoops sandbox up.')
  if (support.missingPackages.length > 0) suggestions.push(`Install the missing packages: apt-get install ${support.missingPackages.join(' ')}`)
  throw new OdoopsError('SANDBOX_UNSUPPORTED', `Sandboxes cannot run here: ${support.problems.join('; ')}.`, {
    exit: ExitCode.FAILURE,
    suggestions,
    data: {problems: support.problems, missingPackages: support.missingPackages},
  })
}

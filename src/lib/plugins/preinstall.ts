import {satisfies} from 'semver'
import {ExitCode, OdoopsError} from '../errors.js'
import {PACK_API_VERSION} from './api.js'
import {checkAllowlist, describeRequest, type InstallRequest} from './allowlist.js'

/** What the registry says of a package before it is downloaded (`npm view <name>@<tag> --json`). */
export interface PackageMetadata {
  name: string
  version: string
  odoops?: Record<string, unknown>
  oclif?: {commands?: unknown; hooks?: Record<string, unknown>}
}

export interface PreinstallOptions {
  allowlist: readonly string[]
  /** A terminal that can answer, and no --yes: show the contributions and ask. */
  ask: boolean
  view(request: Extract<InstallRequest, {type: 'npm'}>): Promise<PackageMetadata>
  confirm(message: string): Promise<boolean>
  log(line: string): void
}

/** The lines shown before installing: what the pack declares it contributes. */
export function contributionLines(meta: PackageMetadata): string[] {
  const lines = [`${meta.name}@${meta.version}`]
  const section = meta.odoops
  if (!section) {
    lines.push('  not an odoops pack (no "odoops" section): it adds oclif commands only')
  } else {
    const api = typeof section.apiVersion === 'string' ? section.apiVersion : '(none)'
    const fits = typeof section.apiVersion === 'string' ? satisfies(PACK_API_VERSION, section.apiVersion) : false
    lines.push(`  pack API ${api}${fits ? '' : ` — does NOT fit this odoops (${PACK_API_VERSION})`}`)
    if (typeof section.summary === 'string') lines.push(`  ${section.summary}`)
    for (const key of ['templates', 'metrics', 'steps', 'checks']) if (typeof section[key] === 'string') lines.push(`  ${key}: ${String(section[key])}`)
  }
  if (meta.oclif?.commands) lines.push('  commands: yes (oclif)')
  const hooks = Object.keys(meta.oclif?.hooks ?? {})
  if (hooks.length) lines.push(`  oclif hooks: ${hooks.join(', ')} (run on every command)`)
  return lines
}

/**
 * The `plugins:preinstall` decision: the allowlist first (nothing has been asked of npm yet,
 * so a refused package is never downloaded), then — on a terminal without --yes — the
 * declared contributions from the registry's metadata and a confirmation.
 */
export async function preinstall(request: InstallRequest, options: PreinstallOptions): Promise<void> {
  checkAllowlist(options.allowlist, request)
  if (!options.ask) return
  if (request.type !== 'npm') {
    options.log(`${describeRequest(request)}: contributions are known only once it is fetched from the repository.`)
  } else {
    for (const line of contributionLines(await options.view(request))) options.log(line)
  }
  if (!(await options.confirm(`Install ${describeRequest(request)}?`))) {
    throw new OdoopsError('PLUGIN_INSTALL_DECLINED', `Not installing ${describeRequest(request)}.`, {exit: ExitCode.USAGE, suggestions: ['Nothing was downloaded.']})
  }
}

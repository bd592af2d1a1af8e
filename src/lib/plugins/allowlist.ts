import {usageError} from '../errors.js'

/** What `plugins install` was asked to install, as @oclif/plugin-plugins passes it to `plugins:preinstall`. */
export type InstallRequest = {type: 'npm'; name: string; tag: string} | {type: 'repo'; url: string}

/** `@odoops/*` matches every package of the scope; other entries match one package name (or one repository URL) exactly. */
export function allowedBy(allowlist: readonly string[], request: InstallRequest): boolean {
  if (allowlist.length === 0) return true
  const subject = request.type === 'npm' ? request.name : request.url
  return allowlist.some((entry) => (entry.endsWith('/*') ? request.type === 'npm' && subject.startsWith(entry.slice(0, -1)) : entry === subject))
}

export function describeRequest(request: InstallRequest): string {
  return request.type === 'npm' ? `${request.name}@${request.tag}` : request.url
}

/** Refuses a package the allowlist does not name; runs before plugin-plugins asks npm for anything. */
export function checkAllowlist(allowlist: readonly string[], request: InstallRequest): void {
  if (allowedBy(allowlist, request)) return
  throw usageError('PLUGIN_NOT_ALLOWED', `${describeRequest(request)} is not on the plugin allowlist (plugins.allowlist: ${allowlist.join(', ')}).`, [
    `Ask whoever manages this installation to add it: odoops config set plugins.allowlist ${[...allowlist, request.type === 'npm' ? request.name : request.url].join(',')}`,
  ])
}

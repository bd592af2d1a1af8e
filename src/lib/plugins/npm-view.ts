import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {OdoopsError} from '../errors.js'
import type {PackageMetadata} from './preinstall.js'

/** The registry's metadata of `name@tag` (`npm view … --json`): package.json fields, no tarball is downloaded. */
export async function npmView(request: {name: string; tag: string}, cwd: string): Promise<PackageMetadata> {
  try {
    const {stdout} = await promisify(execFile)('npm', ['view', `${request.name}@${request.tag}`, 'name', 'version', 'odoops', 'oclif', '--json'], {cwd, timeout: 60_000})
    const parsed = JSON.parse(stdout) as PackageMetadata | PackageMetadata[]
    // A range matching several versions gives a list: the newest is last.
    return Array.isArray(parsed) ? parsed[parsed.length - 1] : parsed
  } catch (error) {
    throw new OdoopsError('PLUGIN_METADATA_UNAVAILABLE', `Could not read ${request.name}@${request.tag} from the npm registry: ${(error as Error).message.split('\n')[0]}`, {
      suggestions: ['Check the package name and your registry (npm config get registry).'],
    })
  }
}

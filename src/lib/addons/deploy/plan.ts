import type {AddonSetEntry} from '../../state/records.js'
import {addonsPathOf, sameAddonsPath, withAddonsPath} from './addons-path.js'
import {addonsPathFor, sameSet} from './layout.js'

/**
 * What a deploy changes, decided before it changes anything: which releases must be copied,
 * the service's new config, and whether the service must restart. A service restarts when its
 * addons_path changes, or when the set it is recorded to run is not the one asked for (a run
 * killed after writing the config but before restarting: the config is right, the running
 * Odoo is not). Deploying the recorded set again changes nothing.
 */
export interface DeployPlanInput {
  /** The releases asked for, in addons_path order. */
  requested: readonly AddonSetEntry[]
  /** Odoo's own addons directories on the host (they come first). */
  coreDirs: readonly string[]
  /** The service's config as it is on the host. */
  configText: string
  /** The set recorded for the service. */
  recorded?: readonly AddonSetEntry[]
  /** Releases already on the host. */
  present: ReadonlySet<string>
}

export interface DeployPlan {
  /** Releases to copy, each once, in the order asked. */
  uploads: string[]
  addonsPath: string[]
  /** The config to write (the same text when nothing changes). */
  configText: string
  configChanged: boolean
  addonsPathChanged: boolean
  /** The service must restart to run the set asked for. */
  restart: boolean
  /** The set asked for differs from the one recorded. */
  record: boolean
}

export function planDeploy(input: DeployPlanInput): DeployPlan {
  const addonsPath = addonsPathFor(input.coreDirs, input.requested)
  const configText = withAddonsPath(input.configText, addonsPath)
  const addonsPathChanged = !sameAddonsPath(addonsPathOf(input.configText), addonsPath)
  const record = !sameSet(input.recorded, input.requested)
  return {
    uploads: [...new Set(input.requested.map((entry) => entry.sha256))].filter((sha) => !input.present.has(sha)),
    addonsPath,
    configText,
    configChanged: configText !== input.configText,
    addonsPathChanged,
    restart: addonsPathChanged || record,
    record,
  }
}

import {messageOf} from '../errors.js'
import {meterRegistry} from '../meter/core-metrics.js'
import type {MetricRegistry} from '../meter/registry.js'
import {registerOnboardStep} from '../onboard/extra-steps.js'
import {registerQuestionExtension, registerTemplateSource} from '../templates/contributions.js'
import {discoverPacks, type PluginDescriptor} from './discover.js'
import {loadPack, type ContributionKind, type LoadedPack} from './load.js'
import {onboardStepOf} from './steps.js'

/**
 * Loads what the installed packs contribute (only the kinds asked for) and registers it
 * where the core looks: the template catalog, the onboarding plan, the meter registry.
 * Idempotent per process. A pack's failures stay its own: they are returned as its
 * problems (and warned about by the caller), the rest registers normally.
 */
const loaded = new Map<string, Promise<LoadedPack>>()
const registered = new Set<string>()

export interface RegisterTargets {
  metrics?: MetricRegistry
}

export async function loadPackContributions(plugins: Iterable<PluginDescriptor>, kinds: readonly ContributionKind[], targets: RegisterTargets = {}): Promise<LoadedPack[]> {
  const packs = discoverPacks(plugins)
  const results: LoadedPack[] = []
  for (const pack of packs) {
    const key = `${pack.root}\0${[...kinds].sort().join(',')}`
    let promise = loaded.get(key)
    if (!promise) loaded.set(key, (promise = loadPack(pack, kinds)))
    const result = await promise
    register(result, kinds, targets)
    results.push(result)
  }
  return results
}

function register(pack: LoadedPack, kinds: readonly ContributionKind[], targets: RegisterTargets): void {
  const once = (what: string) => {
    const key = `${pack.root}\0${what}`
    if (registered.has(key)) return false
    registered.add(key)
    return true
  }
  if (kinds.includes('templates') && pack.templatesDir && once('templates')) registerTemplateSource({dir: pack.templatesDir, namespace: pack.namespace, source: pack.name})
  if (kinds.includes('steps') && once('steps')) {
    for (const step of pack.steps) registerOnboardStep(onboardStepOf(pack, step))
    for (const extension of pack.questions) registerQuestionExtension({owner: pack.name, templates: extension.templates, questions: extension.questions})
  }
  const registry = targets.metrics ?? meterRegistry
  if (kinds.includes('metrics') && once(`metrics:${registry === meterRegistry ? 'global' : 'custom'}`)) {
    for (const metric of pack.metrics) {
      try {
        if (!registry.has(metric.name)) registry.register(metric, {owner: pack.namespace})
      } catch (error) {
        pack.problems.push({area: 'metric', subject: metric.name, message: messageOf(error)})
      }
    }
  }
}

/** One line per problem, `<pack>: <area> <subject>: <message>`, for warnings on stderr. */
export function problemLines(packs: readonly LoadedPack[]): string[] {
  return packs.flatMap((p) => p.problems.map((problem) => `${p.name}: ${problem.area}${problem.subject ? ` ${problem.subject}` : ''}: ${problem.message}`))
}

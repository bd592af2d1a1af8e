import type {ContributionKind} from './load.js'

/**
 * Which contributions a command needs, by command id (oclif ids use `:`). Only these
 * commands load packs' code — `odoops --help`, `tenant list` and the rest never do, so a
 * broken or slow pack cannot touch them.
 */
const NEEDS: [prefix: string, kinds: ContributionKind[]][] = [
  ['template:', ['templates', 'steps']],
  ['onboard', ['templates', 'steps']],
  ['meter:', ['metrics']],
  ['schedule:', ['metrics', 'checks']],
  ['fleet:', ['checks']],
  ['demo', ['templates', 'steps', 'metrics']],
]

export function contributionsNeeded(commandId: string | undefined): ContributionKind[] {
  if (!commandId) return []
  const found = NEEDS.find(([prefix]) => (prefix.endsWith(':') ? commandId.startsWith(prefix) : commandId === prefix || commandId.startsWith(`${prefix}:`)))
  if (!found) return []
  // onboard:list only lists runs.
  if (commandId === 'onboard:list') return []
  return found[1]
}

import type {Hook} from '@oclif/core'
import {contributionsNeeded} from '../lib/plugins/needs.js'

/**
 * Loads plugin packs' contributions (templates, onboarding steps, metrics, checks) for the
 * commands that use them, right before they run — never for `--help` or the commands that
 * do not need them, so packs cost nothing there. A broken pack is one warning line; the
 * command carries on with what loaded (`odoops plugins doctor` tells the whole story).
 */
const hook: Hook<'prerun'> = async function (options) {
  const kinds = contributionsNeeded(options.Command.id)
  if (kinds.length === 0 || options.argv.includes('--help') || options.argv.includes('-h')) return
  const [{pluginDescriptors}, {loadPackContributions}] = await Promise.all([import('../lib/plugins/oclif.js'), import('../lib/plugins/contributions.js')])
  const plugins = pluginDescriptors(options.config)
  if (!plugins.some((p) => p.pjson.odoops !== undefined)) return
  const packs = await loadPackContributions(plugins, kinds)
  for (const pack of packs.filter((p) => p.problems.length > 0)) {
    const first = pack.problems[0]
    const more = pack.problems.length > 1 ? ` (+${pack.problems.length - 1} more)` : ''
    process.stderr.write(`Warning: pack ${pack.name}: ${first.area}${first.subject ? ` ${first.subject}` : ''}: ${first.message}${more} — odoops plugins doctor\n`)
  }
}

export default hook

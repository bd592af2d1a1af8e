/**
 * The one place the plugin machinery reads oclif: its loaded plugins (name, root, type,
 * package.json), already in memory, so listing packs costs no I/O.
 */
import type {Config} from '@oclif/core'
import type {PluginDescriptor} from './discover.js'

export function pluginDescriptors(config: Pick<Config, 'plugins' | 'name'>): PluginDescriptor[] {
  return [...config.plugins.values()]
    .filter((p) => p.name !== config.name)
    .map((p) => ({name: p.name, version: p.version, root: p.root, type: p.type, pjson: p.pjson, commands: [...p.commandIDs].sort()}))
}

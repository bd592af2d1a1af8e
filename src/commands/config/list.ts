import {OdoopsCommand} from '../../cli/base-command.js'
import type {ConfigEntry} from '../../lib/config/settings.js'

export type ConfigListResult = {settings: ConfigEntry[]}

export default class ConfigList extends OdoopsCommand<ConfigListResult> {
  static override summary = 'list every setting with its value and where it comes from'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<ConfigListResult> {
    await this.parse(ConfigList)
    const settings = this.settings.list()
    this.ui.table(settings, [
      {header: 'Key', get: (s) => s.key},
      {header: 'Value', get: (s) => (s.value === null ? '' : Array.isArray(s.value) ? s.value.join(',') : s.value)},
      {header: 'Source', get: (s) => (s.source === 'env' ? s.env : s.source)},
      {header: 'Description', get: (s) => s.description},
    ])
    return {settings}
  }
}

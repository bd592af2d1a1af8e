import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import type {ConfigEntry} from '../../lib/config/settings.js'

export default class ConfigSet extends OdoopsCommand<ConfigEntry> {
  static override summary = 'change a setting'
  static override audited = true
  static override args = {
    key: Args.string({description: 'setting key', required: true}),
    value: Args.string({description: 'new value (lists: comma-separated)', required: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> ssh.connectTimeout 30', '<%= config.bin %> <%= command.id %> partner.country BE']

  async run(): Promise<ConfigEntry> {
    const {args} = await this.parse(ConfigSet)
    const entry = await this.settings.set(args.key, args.value)
    if (entry.source === 'env') this.ui.warn(`${entry.env} is set and overrides the stored value.`)
    this.ui.log(`${args.key} set.`)
    return entry
  }
}

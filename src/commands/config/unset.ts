import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import type {ConfigEntry} from '../../lib/config/settings.js'

export default class ConfigUnset extends OdoopsCommand<ConfigEntry> {
  static override summary = 'remove a stored setting (back to its default)'
  static override audited = true
  static override args = {key: Args.string({description: 'setting key', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> ssh.connectTimeout']

  async run(): Promise<ConfigEntry> {
    const {args} = await this.parse(ConfigUnset)
    const entry = await this.settings.unset(args.key)
    this.ui.log(`${args.key} unset.`)
    return entry
  }
}

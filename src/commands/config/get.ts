import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import type {ConfigEntry} from '../../lib/config/settings.js'

export default class ConfigGet extends OdoopsCommand<ConfigEntry> {
  static override summary = 'show one setting'
  static override args = {key: Args.string({description: 'setting key, e.g. ssh.connectTimeout', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> ssh.connectTimeout']

  async run(): Promise<ConfigEntry> {
    const {args} = await this.parse(ConfigGet)
    const entry = this.settings.entry(args.key)
    this.ui.log(entry.value === null ? '' : Array.isArray(entry.value) ? entry.value.join(',') : String(entry.value))
    return entry
  }
}

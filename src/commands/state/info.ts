import {OdoopsCommand} from '../../cli/base-command.js'
import type {StateInfo} from '../../lib/state/store.js'

export type StateInfoResult = StateInfo

export default class StateInfoCommand extends OdoopsCommand<StateInfoResult> {
  static override summary = 'show the state store: backend, location, schema version and record counts'
  static override description = 'Works on a store whose schema is out of date, so you can see what `odoops state migrate` would act on.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --state postgres://odoops@db.internal/odoops --json']

  async run(): Promise<StateInfoResult> {
    await this.parse(StateInfoCommand)
    const store = await this.state({requireCurrentSchema: false})
    const info = await store.info()
    const current = info.schemaVersion === info.latestSchemaVersion
    this.ui.log(`Backend:   ${info.backend}`)
    this.ui.log(`Location:  ${info.location}`)
    this.ui.log(`Schema:    ${info.schemaVersion}${current ? ' (current)' : ` (this odoops needs ${info.latestSchemaVersion}: run odoops state migrate)`}`)
    this.ui.log('')
    this.ui.table(Object.entries(info.counts), [
      {header: 'Records', get: ([name]) => name},
      {header: 'Count', get: ([, n]) => String(n), align: 'right'},
    ])
    return info
  }

  /**
   * Counts are keyed by collection, and one collection is named `secrets`: the generic
   * redaction of secret-named fields would hide its count. Registered secret values (a
   * password in --state) are still redacted from the text.
   */
  override logJson(json: unknown): void {
    if (json && typeof json === 'object' && 'error' in json) super.logJson(json)
    else this.printJson(json, {redactFields: false})
  }
}

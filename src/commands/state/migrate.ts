import {OdoopsCommand} from '../../cli/base-command.js'
import {migrateStore, type StateMigrateResult} from '../../lib/state/migrate-store.js'

export type {StateMigrateResult}

export default class StateMigrate extends OdoopsCommand<StateMigrateResult> {
  static override summary = 'bring the state store schema up to date'
  static override description =
    'Applies pending schema migrations in one transaction; two odoops processes never migrate at once. A store already current is left as it is.'
  static override audited = true
  static override examples = ['<%= config.bin %> <%= command.id %> --state postgres://odoops@db.internal/odoops']

  async run(): Promise<StateMigrateResult> {
    await this.parse(StateMigrate)
    const store = await this.state({requireCurrentSchema: false})
    const result = await migrateStore(store)
    this.auditContext = {details: {from: result.from, to: result.to}}
    this.ui.log(
      result.applied.length > 0
        ? `Migrated ${result.location} from schema ${result.from} to ${result.to}.`
        : `${result.location} is already at schema ${result.to}; nothing to do.`,
    )
    return result
  }
}

import {Args} from '@oclif/core'
import {existsSync, readFileSync} from 'node:fs'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {validateDump} from '../../lib/state/dump.js'
import {invalidDump} from '../../lib/state/errors.js'
import {parseStateLocation} from '../../lib/state/open.js'

export interface StateImportResult {
  backend: 'local' | 'postgres'
  location: string
  /** Records imported per collection, plus audit events and sequences. */
  imported: Record<string, number>
}

export default class StateImport extends OdoopsCommand<StateImportResult> {
  static override summary = 'fill an empty state store from a `state export` dump'
  static override description = 'Refuses a store that already holds records. The import is one transaction: all of it or nothing.'
  static override audited = true
  static override args = {
    file: Args.string({description: 'dump file written by `odoops state export` (- for stdin)', required: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> state.json --state postgres://odoops@db.internal/odoops']

  async run(): Promise<StateImportResult> {
    const {args} = await this.parse(StateImport)
    const dump = validateDump(parseJson(readDump(args.file)))
    const store = await this.state()
    await store.import(dump)
    const imported: Record<string, number> = {}
    for (const [name, records] of Object.entries(dump.collections)) imported[name] = records.length
    imported.auditEvents = dump.auditEvents.length
    imported.sequences = Object.keys(dump.sequences).length
    this.auditContext = {details: {file: args.file, imported}}
    this.ui.log(`Imported ${args.file} into ${store.location}.`)
    return {backend: store.backend, location: store.location, imported}
  }

  /**
   * A dump that cannot be read or is not valid is refused before the store is opened; its
   * audit event then goes only into a store that already exists: a new location is not
   * created just to record that nothing was imported (exit 2: nothing was changed).
   */
  protected override auditMayOpenStore(): boolean {
    try {
      const location = parseStateLocation(this.globalFlags.state ?? this.settings.get<string>('state'), this.dirs.dataDir)
      return location.backend === 'local' && existsSync(location.dir)
    } catch {
      return false
    }
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

function readDump(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (error) {
    throw usageError('STATE_DUMP_UNREADABLE', `Cannot read ${file}: ${(error as Error).message}`, ['Give the path of a file written by `odoops state export`.'])
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw invalidDump('the file', `is not JSON (${(error as Error).message})`)
  }
}

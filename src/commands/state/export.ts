import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {checkOutputFile, outputPathInvalid} from '../../lib/fs/output-path.js'
import {writeDurably} from '../../lib/state/local-store.js'
import type {StateDump} from '../../lib/state/store.js'

export type StateExportResult = StateDump | {output: string; counts: Record<string, number>}

export default class StateExport extends OdoopsCommand<StateExportResult> {
  static override summary = 'write the whole state store as one JSON document'
  static override description =
    'The dump holds every record, the audit trail and the sequences, to move a store (e.g. from the embedded store to PostgreSQL with `odoops state import`). Secrets in the store are encrypted, and stay so in the dump. Under --json the dump itself is the output.'
  static override flags = {
    output: Flags.string({char: 'o', description: 'write the dump to this file (mode 0600) instead of stdout'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> > state.json', '<%= config.bin %> <%= command.id %> --output state.json']

  async run(): Promise<StateExportResult> {
    const {flags} = await this.parse(StateExport)
    // Checked before the store is opened: a bad --output leaves nothing behind (no dump, no temporary file).
    if (flags.output !== undefined) checkOutputFile(flags.output, OUTPUT_FIXES)
    const store = await this.state()
    const dump = await store.export()
    const text = JSON.stringify(dump, null, 2) + '\n'
    if (flags.output) {
      try {
        writeDurably(flags.output, text)
      } catch (error) {
        throw outputPathInvalid(flags.output, (error as Error).message.replace(/\.$/, ''), OUTPUT_FIXES)
      }
      const counts: Record<string, number> = {auditEvents: dump.auditEvents.length}
      for (const [name, records] of Object.entries(dump.collections)) counts[name] = records.length
      this.ui.log(`Wrote ${flags.output}.`)
      return {output: flags.output, counts}
    }
    // Verbatim: the secrets in a dump are ciphertext, and redaction would make it unimportable.
    if (!this.jsonEnabled()) this.ui.revealOnce(text.replace(/\n$/, ''))
    return dump
  }

  /**
   * The dump is written as it is: redacting secret-named fields (the `secrets` collection
   * among them) would make it unimportable, and secret values in the store are ciphertext.
   * The --output summary only holds counts (one keyed `secrets`, which is no secret).
   */
  /** The dump is the document itself, importable as it is: nothing is added to it. */
  protected override toSuccessJson(result: unknown): unknown {
    return (result as Partial<StateDump>)?.format === 'odoops-state' ? result : super.toSuccessJson(result)
  }

  override logJson(json: unknown): void {
    if ((json as Partial<StateDump>)?.format === 'odoops-state') this.printJson(json, {redactFields: false, redactValues: false})
    else if (json && typeof json === 'object' && 'error' in json) super.logJson(json)
    else this.printJson(json, {redactFields: false})
  }
}

/** --output must name a new or regular file in an existing directory this user can write. */
const OUTPUT_FIXES = [
  'Name a new file in an existing directory you can write to: odoops state export --output ./odoops-state.json',
  'Or write the dump to stdout: odoops state export > odoops-state.json',
]

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {EXPORT_FORMATS, exportInvoices, parseSelection, type ExportResult} from '../../lib/billing/export/index.js'
import {formatBytes} from '../../lib/output/format.js'

export type InvoiceExportResult = ExportResult

export default class InvoiceExport extends OdoopsCommand<InvoiceExportResult> {
  static override summary = 'export invoices as CSV, JSON, or Peppol BIS Billing 3.0 UBL (validated before writing)'
  static override description = `One CSV or JSON file for the selection, or one UBL 2.1 document per issued invoice or credit note. UBL documents are checked against the UBL 2.1 schema and both Peppol BIS Billing 3.0 Schematron rule sets (CEN EN 16931 and OpenPEPPOL) before anything is written; a failing rule refuses the export with its rule id, and an invoice missing mandatory data (names, countries, VAT numbers, Peppol endpoints) is refused with the list of missing fields. --output is a file when the export is one document (a CSV or JSON file, or one UBL document) and the path is new, and a directory when it is one already, ends in /, or the export has several documents; an existing file is never replaced, and an empty path, an existing file, or a path that cannot be created is refused before anything is read (OUTPUT_PATH_INVALID, exit 2). Files are written atomically (temporary file, then rename). Validation takes a few seconds per document. See docs/invoice-export.md.`
  static override args = {number: Args.string({description: 'one invoice or credit note by number (INV-2026-00042)'})}
  static override flags = {
    period: Flags.string({description: 'every invoice of a billing period, YYYY-MM'}),
    format: Flags.string({description: 'file format', options: [...EXPORT_FORMATS], required: true}),
    output: Flags.string({char: 'o', description: 'file (one document: march.csv, INV-2026-00042.xml) or directory (several documents, or an existing directory; created when missing); an existing file is never replaced', required: true}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> --period 2026-03 --format csv --output exports/',
    '<%= config.bin %> <%= command.id %> INV-2026-00042 --format ubl --output peppol/',
    '<%= config.bin %> <%= command.id %> INV-2026-00042 --format ubl --output INV-2026-00042.xml',
    '<%= config.bin %> <%= command.id %> --period 2026-03 --format json --output exports/ --json',
  ]

  async run(): Promise<InvoiceExportResult> {
    const {args, flags} = await this.parse(InvoiceExport)
    const selection = parseSelection(flags.period, args.number, 'export')
    const format = flags.format as (typeof EXPORT_FORMATS)[number]
    const store = await this.state()
    // Started with the first document: a refused --output or selection fails before any validation.
    let progress: ReturnType<typeof this.ui.progress> | undefined
    let result: ExportResult
    try {
      result = await exportInvoices(store, selection, {
        format,
        output: flags.output,
        onValidate: (invoice, index, total) => {
          progress ??= this.ui.progress('validating UBL documents')
          progress.update(index, `${invoice} (${index + 1}/${total})`)
        },
      })
    } catch (error) {
      progress?.fail()
      throw error
    }
    progress?.succeed(`${result.files.length} valid`)
    this.ui.table(result.files, [
      {header: 'File', get: (f) => f.path},
      {header: 'Invoices', get: (f) => (f.invoices.length > 3 ? `${f.invoices.length} invoices` : f.invoices.join(', '))},
      {header: 'Size', get: (f) => formatBytes(f.bytes), align: 'right'},
    ])
    for (const s of result.skipped) this.ui.warn(`${s.invoice} skipped: ${s.reason}`)
    for (const w of result.ruleWarnings) this.ui.warn(`${w.invoice}: Peppol warning [${w.ruleId}] ${w.message}`)
    if (result.target === 'file' && result.files.length === 1) this.ui.log(`Written ${result.files[0].path} (${result.format}, ${result.selection}).`)
    else this.ui.log(`${result.files.length} file(s) written to ${result.outputDir} (${result.format}, ${result.selection}).`)
    return result
  }
}

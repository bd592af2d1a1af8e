/**
 * `odoops invoice export`: the selected invoices as one CSV or JSON file, or as one validated
 * UBL document per issued invoice. Every UBL document is built and validated before the first
 * file is written, so a refused export writes nothing.
 */
import {createHash} from 'node:crypto'
import {join, resolve} from 'node:path'
import {OdoopsError} from '../../errors.js'
import {writeFileAtomic} from '../../fs/atomic-write.js'
import type {StateStore} from '../../state/store.js'
import type {Invoice} from '../types.js'
import {renderCsv} from './csv.js'
import {renderJson} from './json.js'
import {checkOutputPath, prepareOutput, resolveOutput, type OutputTarget} from './output.js'
import {describeSelection, selectInvoices, type InvoiceSelection} from './select.js'
import {documentFileName, renderUbl} from './ubl.js'
import {UblValidationError, validateUbl} from './validate.js'

export const EXPORT_FORMATS = ['csv', 'json', 'ubl'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface ExportedFile {
  path: string
  /** Invoice numbers (or draft ids) in the file. */
  invoices: string[]
  bytes: number
  sha256: string
}

export interface ExportResult {
  format: ExportFormat
  selection: string
  /** The directory written into (for a file target, the file's directory). */
  outputDir: string
  /** Whether --output named a file (one document) or a directory. */
  target: 'file' | 'directory'
  files: ExportedFile[]
  /** Invoices left out, and why (drafts have no UBL form). */
  skipped: {invoice: string; reason: string}[]
  /**
   * Schematron warnings of written UBL documents (they do not refuse a document). Not named
   * `warnings`: every --json result has that field for the run's warnings (strings).
   */
  ruleWarnings: {invoice: string; ruleId: string; message: string}[]
}

export interface ExportOptions {
  format: ExportFormat
  /**
   * What `--output` names: a directory, or a file when the export is a single document (rules in
   * output.ts: '' refused, an existing file never replaced, `inv.xml` is a file).
   */
  output?: string
  /** Always a directory (created when missing), each document under its own name. One of output and outputDir is required. */
  outputDir?: string
  /** Called before each UBL document is validated (validation takes seconds). */
  onValidate?: (invoice: string, index: number, total: number) => void
}

function label(invoice: Invoice): string {
  return invoice.number ?? invoice.id
}

function selectionFileName(selection: InvoiceSelection, extension: string): string {
  return 'period' in selection ? `invoices-${selection.period}.${extension}` : `${selection.number.replace(/[^A-Za-z0-9._-]+/g, '_')}.${extension}`
}

/** Render (and for UBL validate) every document first; return what to write. */
export async function renderExport(invoices: Invoice[], selection: InvoiceSelection, options: Omit<ExportOptions, 'outputDir'>): Promise<{documents: {name: string; content: string; invoices: string[]}[]; skipped: ExportResult['skipped']; ruleWarnings: ExportResult['ruleWarnings']}> {
  if (options.format === 'csv') return {documents: [{name: selectionFileName(selection, 'csv'), content: renderCsv(invoices), invoices: invoices.map(label)}], skipped: [], ruleWarnings: []}
  if (options.format === 'json') return {documents: [{name: selectionFileName(selection, 'json'), content: renderJson(invoices), invoices: invoices.map(label)}], skipped: [], ruleWarnings: []}
  const skipped: ExportResult['skipped'] = []
  const ruleWarnings: ExportResult['ruleWarnings'] = []
  const documents: {name: string; content: string; invoices: string[]}[] = []
  const issued = invoices.filter((invoice) => {
    if (invoice.status === 'issued') return true
    skipped.push({invoice: label(invoice), reason: 'draft: only issued invoices are exported as UBL (odoops invoice issue)'})
    return false
  })
  for (const [index, invoice] of issued.entries()) {
    const xml = renderUbl(invoice)
    options.onValidate?.(label(invoice), index, issued.length)
    const validation = await validateUbl(xml, invoice.kind)
    if (!validation.valid) throw new UblValidationError(`${invoice.kind === 'credit-note' ? 'Credit note' : 'Invoice'} ${label(invoice)}`, validation)
    for (const w of validation.warnings) ruleWarnings.push({invoice: label(invoice), ruleId: w.id, message: w.message})
    documents.push({name: documentFileName(invoice, 'xml'), content: xml, invoices: [label(invoice)]})
  }
  return {documents, skipped, ruleWarnings}
}

export async function exportInvoices(store: Pick<StateStore, 'invoices'>, selection: InvoiceSelection, options: ExportOptions): Promise<ExportResult> {
  if (options.output === undefined && options.outputDir === undefined) throw new TypeError('exportInvoices: give output or outputDir')
  // Paths first, before the invoices are even read: one document for CSV and JSON, any count for UBL.
  if (options.output !== undefined) {
    if (options.format === 'ubl') checkOutputPath(options.output)
    else resolveOutput(options.output, 1)
  }
  const invoices = await selectInvoices(store, selection)
  if (invoices.length === 0) {
    throw new OdoopsError('INVOICE_NONE_SELECTED', `No invoices for ${describeSelection(selection)}.`, {
      suggestions: ['Generate them first: odoops invoice generate --period YYYY-MM', 'List what exists: odoops invoice list'],
    })
  }
  // Decided before the (slow) UBL validation, so a wrong --output is refused at once: one document
  // for CSV and JSON, one per issued invoice for UBL.
  const count = options.format === 'ubl' ? invoices.filter((i) => i.status === 'issued').length : 1
  const target: OutputTarget = options.output === undefined ? {kind: 'directory', dir: resolve(options.outputDir!)} : resolveOutput(options.output, count)
  const {documents, skipped, ruleWarnings} = await renderExport(invoices, selection, options)
  const files: ExportedFile[] = []
  if (documents.length > 0) await prepareOutput(target)
  for (const doc of documents) {
    const path = target.kind === 'file' ? target.file : join(target.dir, doc.name)
    // Whole or not at all: a reader never sees half a file, a failed run leaves no partial one.
    const bytes = await writeFileAtomic(path, doc.content)
    files.push({path, invoices: doc.invoices, bytes, sha256: createHash('sha256').update(doc.content, 'utf8').digest('hex')})
  }
  return {format: options.format, selection: describeSelection(selection), outputDir: target.dir, target: target.kind, files, skipped, ruleWarnings}
}

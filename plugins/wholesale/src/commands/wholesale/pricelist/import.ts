import {readFileSync} from 'node:fs'
import {basename} from 'node:path'
import {Args, Flags, OdoopsCommand, usageError, withTenantOdoo} from 'odoops'
import {applyImport, hasSourceField, planImport, readPriceRows, SOURCE_FIELD, type PriceChange, type RowIssue} from '../../../pricelist.js'

export interface PricelistImportResult {
  tenant: string
  file: string
  dryRun: boolean
  pricelists: {created: string[]; existing: string[]}
  items: {created: number; updated: number; unchanged: number}
  changes: PriceChange[]
  /** Whether each price written records its file and line (odoops_wholesale_source): only on a tenant running the pack's module odoops_wholesale. */
  sourceRecorded: boolean
}

function invalid(file: string, issues: RowIssue[]) {
  const lines = issues.map((i) => `  ${file}${i.line ? `:${i.line}` : ''}: ${i.message}`)
  return usageError('PRICELIST_INVALID', `${file} has ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing was imported:\n${lines.join('\n')}`, [
    'Fix each line shown and import again (columns: pricelist,product_code,min_quantity,price).',
  ], {issues})
}

export default class WholesalePricelistImport extends OdoopsCommand<PricelistImportResult> {
  static override summary = "load customer pricelists into a tenant's Odoo from a CSV file"
  static override description = `The CSV has a header line naming the columns pricelist, product_code (the product's Internal Reference), min_quantity (optional, default 0) and price (at most 2 decimals). Every line is checked first — and every product looked up in Odoo — and any problem stops the import with all of them listed (exit 2), nothing written. Pricelists that do not exist are created; each price is a fixed-price rule of its product from that quantity on, created or updated; rules the file does not mention are left alone. --dry-run reports the same changes without writing. When the tenant runs the pack's Odoo module odoops_wholesale (the wholesale template installs it), each price written records its file name and line in odoops_wholesale_source; without it the import works the same and says so. Runs as the tenant's admin through Odoo's API (XML-RPC before 19.0, JSON-2 with odoops' API key from 19.0).`
  static override audited = true
  static override usesSsh = true
  static override args = {
    tenant: Args.string({description: 'tenant slug', required: true}),
    file: Args.string({description: 'CSV file (pricelist,product_code,min_quantity,price)', required: true}),
  }
  static override flags = {
    'dry-run': Flags.boolean({description: 'report what would change, change nothing', default: false}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme prices.csv --dry-run', '<%= config.bin %> <%= command.id %> acme prices.csv --json']

  async run(): Promise<PricelistImportResult> {
    const {args, flags} = await this.parse(WholesalePricelistImport)
    let text: string
    try {
      text = readFileSync(args.file, 'utf8')
    } catch (error) {
      throw usageError('PRICELIST_UNREADABLE', `Cannot read ${args.file}: ${(error as Error).message}`, ['Check the path.'])
    }
    const {rows, issues} = readPriceRows(text)
    if (issues.length) throw invalid(args.file, issues)
    this.auditContext = {tenant: args.tenant, details: {file: args.file, dryRun: flags['dry-run'], rows: rows.length}}
    const store = await this.state()
    const result = await withTenantOdoo(store, await this.secretBox(), args.tenant, async (odoo) => {
      const plan = await planImport(odoo, rows)
      if (plan.issues.length) throw invalid(args.file, plan.issues)
      const recorded = await hasSourceField(odoo)
      if (!flags['dry-run']) await applyImport(odoo, plan, recorded ? basename(args.file) : undefined)
      const count = (action: PriceChange['action']) => plan.changes.filter((c) => c.action === action).length
      return {
        tenant: args.tenant,
        file: args.file,
        dryRun: flags['dry-run'],
        pricelists: {created: plan.newPricelists, existing: plan.existingPricelists},
        items: {created: count('create'), updated: count('update'), unchanged: count('unchanged')},
        changes: plan.changes,
        sourceRecorded: recorded,
      }
    })
    this.ui.table(result.changes.filter((c) => c.action !== 'unchanged'), [
      {header: 'Line', get: (c) => c.line, align: 'right'},
      {header: 'Pricelist', get: (c) => c.pricelist},
      {header: 'Product', get: (c) => c.productCode},
      {header: 'From qty', get: (c) => c.minQuantity, align: 'right'},
      {header: 'Price', get: (c) => c.price.toFixed(2), align: 'right'},
      {header: 'Change', get: (c) => (c.action === 'update' ? `${c.previousPrice?.toFixed(2)} → ${c.price.toFixed(2)}` : 'new')},
    ])
    const verb = result.dryRun ? 'Would create' : 'Created'
    this.ui.log(
      `${verb} ${result.pricelists.created.length} pricelist(s)${result.pricelists.created.length ? ` (${result.pricelists.created.join(', ')})` : ''}; ` +
        `prices: ${result.items.created} new, ${result.items.updated} changed, ${result.items.unchanged} unchanged${result.dryRun ? ' (dry run: nothing written)' : ''}.`,
    )
    this.ui.log(
      result.sourceRecorded
        ? `Each price ${result.dryRun ? 'would record' : 'records'} its file and line (${SOURCE_FIELD}).`
        : `The tenant does not run the pack's module odoops_wholesale: prices do not record their file (the wholesale template installs it; or odoops addons deploy wholesale, then install it).`,
    )
    this.auditContext.details = {...this.auditContext.details, ...result.items, pricelistsCreated: result.pricelists.created}
    return result
  }
}

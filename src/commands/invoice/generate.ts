import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {ExitCode} from '../../lib/errors.js'
import {describeIncomplete} from '../../lib/billing/einvoice.js'
import {generateInvoices, type GenerateReport} from '../../lib/billing/generate.js'
import {sellerFromSettings} from '../../lib/billing/tenant-billing.js'

export type InvoiceGenerateResult = GenerateReport

export default class InvoiceGenerate extends OdoopsCommand<InvoiceGenerateResult> {
  static override summary = 'rate the period\'s usage into one draft invoice per customer'
  static override description = `Tenants are grouped by customer (their slug when they have none); each tenant is rated under the plans of its plan history, prorated by the days each was in force, from the usage snapshots of the period. Every line names the tenant, plan version, metric, aggregation and snapshots it came from. Re-running replaces the period's drafts (id draft/<tenant>/<period>, the slug of the customer's first tenant), never duplicates them; customers already issued for the period are skipped and reported. When the partner sends Peppol invoices (config partner.endpointId set), drafts whose buyer lacks what a Peppol invoice needs (country, Peppol endpoint, VAT id…) are listed under incomplete with the tenant set-billing command that completes them: invoice issue refuses them. --dry-run writes nothing. Exit 3 when some customers could not be rated (missing snapshots, unknown plan), 1 when none could.`
  static override audited = true
  static override flags = {
    period: Flags.string({description: 'billing period, YYYY-MM', required: true}),
    'dry-run': Flags.boolean({description: 'rate and show, write nothing'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> --period 2026-01 --dry-run', '<%= config.bin %> <%= command.id %> --period 2026-01 --json']

  async run(): Promise<InvoiceGenerateResult> {
    const {flags} = await this.parse(InvoiceGenerate)
    const report = await generateInvoices(await this.state(), {period: flags.period, dryRun: flags['dry-run'], seller: sellerFromSettings((k) => this.settings.get(k))})
    this.auditContext = {details: {period: report.period, dryRun: report.dryRun, drafts: report.invoices.map((i) => i.id), problems: report.problems.length}}
    if (report.invoices.length > 0) {
      this.ui.table(report.invoices, [
        {header: 'Draft', get: (i) => i.id},
        {header: 'Customer', get: (i) => i.customer},
        {header: 'Lines', get: (i) => String(i.lines.length), align: 'right'},
        {header: 'Net', get: (i) => i.totalNet, align: 'right'},
        {header: 'Tax', get: (i) => i.totalTax, align: 'right'},
        {header: 'Total', get: (i) => i.totalGross, align: 'right'},
        {header: 'Currency', get: (i) => i.currency},
      ])
    } else this.ui.log(`No draft for ${report.period}.`)
    for (const s of report.skipped) this.ui.log(`Skipped ${s.customer}: ${s.reason} (issued invoices never change; correct with odoops invoice credit ${s.number}).`)
    for (const id of report.removedDrafts) this.ui.log(`${report.dryRun ? 'Would remove' : 'Removed'} stale draft ${id}.`)
    if (this.globalFlags.verbose) for (const u of report.unbilled) this.ui.debug(`Not billed: ${u.tenant} (${u.reason}).`)
    for (const p of report.problems) this.ui.warn(`${p.customer} (${p.tenant}): ${p.message}${p.suggestion ? ` — try: ${p.suggestion}` : ''}`)
    for (const i of report.incomplete) this.ui.warn(`${describeIncomplete(i)}: missing for a Peppol invoice, so invoice issue will refuse it — try: ${i.commands.join('; ')}`)
    if (report.dryRun) this.ui.log('Dry run: nothing written.')
    if (report.problems.length > 0) process.exitCode = report.invoices.length > 0 ? ExitCode.PARTIAL : ExitCode.FAILURE
    return report
  }
}

import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {collectUsage, meterDay, selectMeterTenants, type MeterCollectReport, type TenantMeterResult} from '../../lib/meter/index.js'
import {formatBytes, formatDuration} from '../../lib/output/format.js'

export type MeterCollectOutput = MeterCollectReport

export default class MeterCollect extends OdoopsCommand<MeterCollectOutput> {
  static override usesSsh = true
  static override summary = "measure tenants' usage for a day: users as Odoo counts them, apps, storage, the day's transactions"
  static override description = `One snapshot per tenant, metric and day in the state store (re-collecting a day replaces it). SQL runs as the tenant's own database role, read-only, through one SSH connection per host (hosts in parallel); filestore sizes are measured by one command per host. A module that is not installed counts 0. Exit 0 when every tenant was measured, 3 when some failed (their other metrics are still stored), 1 when all failed. Metrics and their exact definitions: docs/metering.md.`
  static override audited = true
  static override strict = false
  static override flags = {
    all: Flags.boolean({description: 'every active or stopped tenant'}),
    date: Flags.string({description: 'day to measure, YYYY-MM-DD (UTC; default today): its transactions; users, apps and storage are read as they are now'}),
    metric: Flags.string({description: 'only this metric (repeatable)', multiple: true}),
    'per-host': Flags.integer({description: 'tenants measured at once on one host', default: 8, min: 1, max: 64}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> --all', '<%= config.bin %> <%= command.id %> acme bigco --date 2026-03-31', '<%= config.bin %> <%= command.id %> --all --json']

  async run(): Promise<MeterCollectOutput> {
    const {argv, flags} = await this.parse(MeterCollect)
    const slugs = (argv as string[]).filter((a) => a !== '--')
    if (flags.all && slugs.length > 0) throw usageError('METER_SELECTION', 'Name tenants or pass --all, not both.', ['odoops meter collect acme', 'odoops meter collect --all'])
    const day = meterDay(flags.date)
    this.handlesInterrupt = true
    const store = await this.state()
    const tenants = await selectMeterTenants(store, flags.all ? {all: true} : {slugs})
    this.auditContext = {tenant: tenants.length === 1 ? tenants[0].id : undefined, details: {date: day.date, tenants: tenants.map((t) => t.id)}}
    if (tenants.length === 0) {
      this.ui.log('No active tenants to measure.')
      return {date: day.date, results: [], succeeded: 0, failed: 0, snapshots: 0, exitCode: 0}
    }
    const progress = this.ui.progress(`meter ${day.date}`, {total: tenants.length})
    let done = 0
    const report = await collectUsage({store, box: await this.secretBox(), signal: this.abort.signal, onTenant: () => progress.update(++done)}, tenants, {
      day,
      metrics: flags.metric,
      perHost: flags['per-host'],
    })
    if (report.failed === 0) progress.succeed(`${report.succeeded} tenant(s), ${report.snapshots} snapshots`)
    else progress.fail(`${report.failed} of ${report.results.length} tenant(s) failed`)
    this.render(report.results)
    this.ui.log(`${report.succeeded} measured, ${report.failed} failed, ${report.snapshots} snapshots stored for ${report.date}.`)
    this.auditContext.details = {...this.auditContext.details, succeeded: report.succeeded, failed: report.failed, snapshots: report.snapshots}
    process.exitCode = report.exitCode
    return report
  }

  private render(results: TenantMeterResult[]): void {
    const value = (r: TenantMeterResult, metric: string, bytes = false) => {
      const m = r.metrics.find((x) => x.metric === metric)
      if (!m) return ''
      if (m.value === undefined) return this.ui.color.red('error')
      return bytes ? formatBytes(m.value) : String(m.value)
    }
    this.ui.table(results, [
      {header: 'Tenant', get: (r) => r.tenant},
      {header: 'Host', get: (r) => r.host},
      {header: 'Result', get: (r) => (r.ok ? this.ui.color.green('ok') : this.ui.color.red('failed'))},
      {header: 'Users', get: (r) => value(r, 'users.active'), align: 'right'},
      {header: 'Internal', get: (r) => value(r, 'users.internal'), align: 'right'},
      {header: 'Portal', get: (r) => value(r, 'users.share'), align: 'right'},
      {header: 'Active 15d', get: (r) => value(r, 'users.active_15d'), align: 'right'},
      {header: 'Apps', get: (r) => value(r, 'apps.installed'), align: 'right'},
      {header: 'Database', get: (r) => value(r, 'storage.database_bytes', true), align: 'right'},
      {header: 'Filestore', get: (r) => value(r, 'storage.filestore_bytes', true), align: 'right'},
      {header: 'Invoices', get: (r) => value(r, 'invoices.posted'), align: 'right'},
      {header: 'Orders', get: (r) => value(r, 'sales.confirmed'), align: 'right'},
      {header: 'Pickings', get: (r) => value(r, 'pickings.done'), align: 'right'},
      {header: 'Time', get: (r) => formatDuration(r.durationMs), align: 'right'},
    ])
    if (this.ui.json) return
    for (const r of results.filter((x) => !x.ok)) {
      this.ui.problem('Failed:', `${r.tenant}: ${r.error?.message}`, r.error?.suggestions)
    }
  }
}

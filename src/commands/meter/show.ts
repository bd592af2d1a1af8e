import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import type {UsageSnapshot} from '../../lib/billing/types.js'
import {bar, byMetric, datesBetween, meterRegistry, sparkline, tenantSnapshots} from '../../lib/meter/index.js'
import {formatBytes} from '../../lib/output/format.js'

export interface MeterShowOutput {
  tenant: string
  from: string
  to: string
  snapshots: UsageSnapshot[]
}

export default class MeterShow extends OdoopsCommand<MeterShowOutput> {
  static override summary = "a tenant's metered usage over a period: a table and a chart per metric"
  static override description = 'Reads the snapshots `meter collect` stored (nothing is measured). Without --metric: one row per metric with its latest, minimum and maximum values and a sparkline of the days (· = no snapshot that day). With one --metric: one row per day with a bar. --json gives the raw snapshots (UsageSnapshot: value, unit, queryVersion, odooVersion, collectedAt).'
  static override args = {
    slug: Args.string({description: 'tenant', required: true}),
  }
  static override flags = {
    from: Flags.string({description: 'first day, YYYY-MM-DD (default: 29 days before --to)'}),
    to: Flags.string({description: 'last day, YYYY-MM-DD (default: today, UTC)'}),
    metric: Flags.string({description: 'only this metric (repeatable)', multiple: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --metric users.internal --from 2026-03-01 --to 2026-03-31', '<%= config.bin %> <%= command.id %> acme --json']

  async run(): Promise<MeterShowOutput> {
    const {args, flags} = await this.parse(MeterShow)
    const series = await tenantSnapshots(await this.state(), {tenant: args.slug, from: flags.from, to: flags.to, metrics: flags.metric})
    const dates = datesBetween(series.from, series.to)
    const metrics = byMetric(series.snapshots)
    const show = (metric: string, value: number | undefined) => {
      if (value === undefined) return ''
      const unit = series.snapshots.find((s) => s.metric === metric)?.unit
      return unit === 'bytes' ? formatBytes(value) : String(value)
    }
    this.ui.log(`${series.tenant}: ${series.from} to ${series.to}, ${series.snapshots.length} snapshot(s)`)
    if (series.snapshots.length === 0) {
      this.ui.log(`No snapshots in this range: odoops meter collect ${series.tenant}`)
    } else if (metrics.size === 1) {
      const [metric, days] = [...metrics][0]
      const max = Math.max(...[...days.values()].map((s) => s.value))
      this.ui.log(`${metric} (${[...days.values()][0].unit}, ${meterRegistry.get(metric)?.aggregation ?? 'max'} over a period)`)
      this.ui.table(dates.map((date) => ({date, snapshot: days.get(date)})), [
        {header: 'Date', get: (r) => r.date},
        {header: 'Value', get: (r) => show(metric, r.snapshot?.value), align: 'right'},
        {header: '', get: (r) => (r.snapshot ? bar(r.snapshot.value, max, 40) : this.ui.color.dim('·'))},
      ])
    } else {
      this.ui.table([...metrics], [
        {header: 'Metric', get: ([metric]) => metric},
        {header: 'Unit', get: ([, days]) => [...days.values()][0]?.unit ?? ''},
        {header: 'Latest', get: ([metric, days]) => show(metric, [...days.values()].at(-1)?.value), align: 'right'},
        {header: 'Min', get: ([metric, days]) => show(metric, Math.min(...[...days.values()].map((s) => s.value))), align: 'right'},
        {header: 'Max', get: ([metric, days]) => show(metric, Math.max(...[...days.values()].map((s) => s.value))), align: 'right'},
        {header: `${series.from} … ${series.to}`, get: ([, days]) => sparkline(dates.map((d) => days.get(d)?.value))},
      ])
    }
    return series
  }
}

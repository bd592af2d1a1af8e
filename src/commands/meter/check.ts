import {OdoopsCommand} from '../../cli/base-command.js'
import {ExitCode} from '../../lib/errors.js'
import {checkFairUse, type FairUseReport} from '../../lib/billing/fair-use.js'
import {describeSuggestion} from '../../lib/billing/next-tier.js'

export type MeterCheckResult = FairUseReport

export default class MeterCheck extends OdoopsCommand<MeterCheckResult> {
  static override summary = "tenants over their plan's fair-use thresholds (exit 1 if any), for alerts"
  static override description = `Reads the state store only: for each tenant, the plan in force on its latest snapshot day and its fair-use thresholds (alert and overage alike); the value is that day's snapshot, or the month to date for metrics aggregated by sum. Exit 1 when any tenant is over, 0 otherwise; thresholds without snapshots are listed as not measured (not a failure). For each tenant over, the next tier: the cheapest other stored plan (same currency) whose thresholds its usage stays within, with both monthly prices at this month's usage and the difference, and the tenant set-plan command (suggestions in --json).`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<MeterCheckResult> {
    await this.parse(MeterCheck)
    const report = await checkFairUse(await this.state())
    if (report.over.length === 0) this.ui.log(`No tenant over fair use (${report.checked} checked).`)
    else
      this.ui.table(report.over, [
        {header: 'Tenant', get: (o) => o.tenant},
        {header: 'Plan', get: (o) => `${o.plan}@${o.planVersion}`},
        {header: 'Metric', get: (o) => o.metric},
        {header: 'Value', get: (o) => o.value, align: 'right'},
        {header: 'Threshold', get: (o) => o.threshold, align: 'right'},
        {header: 'Action', get: (o) => o.action},
        {header: 'Day', get: (o) => o.date},
      ])
    for (const s of report.suggestions) this.ui.log(describeSuggestion(s))
    for (const n of report.notMeasured) this.ui.warn(`${n.tenant}: ${n.metric} not checked (${n.reason}).`)
    if (report.over.length > 0) process.exitCode = ExitCode.FAILURE
    return report
  }
}

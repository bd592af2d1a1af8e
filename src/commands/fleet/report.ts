import {Flags} from '@oclif/core'
import {resolve} from 'node:path'
import {OdoopsCommand} from '../../cli/base-command.js'
import {writeFileAtomicSync} from '../../lib/fs/atomic-write.js'
import {parsePeriod} from '../../lib/billing/period.js'
import {messageOf, OdoopsError, usageError} from '../../lib/errors.js'
import {fleetReport, humanDuration, percent, renderReportHtml, type FleetReport} from '../../lib/fleet/index.js'

export interface FleetReportOutput extends FleetReport {
  /** The file written with --output (absolute path). */
  output?: string
}

type Format = 'table' | 'json' | 'html'

export default class FleetReportCommand extends OdoopsCommand<FleetReportOutput> {
  static override summary = 'the partner scorecard of a month: onboardings, time to go-live, backup and verification rates, fair-use breaches'
  static override description = `Computed from the audit trail and the state store (no host is contacted): tenants onboarded, time to go-live per onboarding run, the success rate of tenant backups, the pass rate of verifications and how many backups taken are verified, and the fair-use breaches of the period. As a table, JSON, or a self-contained HTML page with charts (inline CSS and SVG: opens offline and prints). See docs/fleet.md for the definitions.`
  static override flags = {
    period: Flags.string({description: 'month, YYYY-MM (UTC)', required: true}),
    format: Flags.string({description: 'table, json or html (default: table, or from the --output extension)', options: ['table', 'json', 'html']}),
    output: Flags.string({char: 'o', description: 'write the json or html to this file instead of stdout'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> --period 2026-01',
    '<%= config.bin %> <%= command.id %> --period 2026-01 --format html --output scorecard-2026-01.html',
    '<%= config.bin %> <%= command.id %> --period 2026-01 --format json',
  ]

  async run(): Promise<FleetReportOutput> {
    const {flags} = await this.parse(FleetReportCommand)
    parsePeriod(flags.period)
    const format: Format = (flags.format as Format | undefined) ?? (flags.output?.endsWith('.html') ? 'html' : flags.output?.endsWith('.json') ? 'json' : 'table')
    if (format === 'table' && flags.output) throw usageError('FLEET_REPORT_FORMAT', '--output writes the json or html form, not the table.', [`odoops fleet report --period ${flags.period} --format html --output ${flags.output}`])
    const report = await fleetReport(await this.state(), flags.period)
    const partner = this.settings.get<string>('partner.name')
    const rendered = format === 'html' ? renderReportHtml(report, {partner}) : format === 'json' ? JSON.stringify(report, null, 2) + '\n' : undefined
    if (rendered !== undefined && flags.output) {
      const path = resolve(flags.output)
      try {
        writeFileAtomicSync(path, rendered)
      } catch (error) {
        throw new OdoopsError('FLEET_REPORT_WRITE', `Could not write ${path}: ${messageOf(error)}`, {suggestions: ['Choose a writable path with --output.']})
      }
      this.ui.log(`Wrote the ${flags.period} scorecard (${format}) to ${path}.`)
      return {...report, output: path}
    }
    if (rendered !== undefined) {
      this.ui.raw(rendered)
      return report
    }
    this.renderTable(report)
    return report
  }

  private renderTable(report: FleetReport): void {
    const {onboarding, backups, verification, fairUse} = report
    this.ui.log(this.ui.color.bold(`Partner scorecard ${report.period}`))
    this.ui.table(
      [
        {kpi: 'Tenants onboarded', value: String(onboarding.tenantsOnboarded), detail: `${onboarding.runsStarted} runs started, ${onboarding.runsFailed} failed`},
        {kpi: 'Time to go-live (median)', value: humanDuration(onboarding.goLiveStats.medianMs), detail: `mean ${humanDuration(onboarding.goLiveStats.meanMs)}, max ${humanDuration(onboarding.goLiveStats.maxMs)}`},
        {kpi: 'Backup success rate', value: percent(backups.successRate), detail: `${backups.succeeded} ok, ${backups.failed} failed`},
        {kpi: 'Verification pass rate', value: percent(verification.passRate), detail: `${verification.verified} verified, ${verification.failed} failed, ${verification.errors} not run`},
        {kpi: 'Backups taken and verified', value: percent(backups.verificationCoverage), detail: `${backups.takenVerified} of ${backups.taken}`},
        {kpi: 'Fair-use breaches', value: String(fairUse.breaches.length), detail: `${fairUse.tenantsInBreach} of ${fairUse.tenantsChecked} tenants checked`},
      ],
      [
        {header: 'KPI', get: (r) => r.kpi},
        {header: 'Value', get: (r) => r.value, align: 'right'},
        {header: 'Detail', get: (r) => r.detail},
      ],
    )
    if (onboarding.goLive.length > 0) {
      this.ui.log('')
      this.ui.table(onboarding.goLive, [
        {header: 'Tenant', get: (g) => g.tenant},
        {header: 'Source', get: (g) => g.source},
        {header: 'Run', get: (g) => g.run ?? ''},
        {header: 'Live at', get: (g) => g.finishedAt},
        {header: 'Time to go-live', get: (g) => humanDuration(g.goLiveMs), align: 'right'},
      ])
    }
    if (fairUse.breaches.length > 0) {
      this.ui.log('')
      this.ui.table(fairUse.breaches, [
        {header: 'Tenant', get: (b) => b.tenant},
        {header: 'Plan', get: (b) => `${b.plan}@${b.planVersion}`},
        {header: 'Metric', get: (b) => b.metric},
        {header: 'Usage', get: (b) => b.value, align: 'right'},
        {header: 'Threshold', get: (b) => String(b.threshold), align: 'right'},
        {header: 'Action', get: (b) => b.action},
      ])
    }
  }
}

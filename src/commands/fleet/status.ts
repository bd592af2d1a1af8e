import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {ExitCode} from '../../lib/errors.js'
import {behindCell, fleetStatus, humanAge, odooBuildLines, rpoConfig, type FleetStatusReport, type FleetTenantRow} from '../../lib/fleet/index.js'
import {formatBytes} from '../../lib/output/format.js'
import {addonsCell} from '../../lib/tenants/view.js'

/** An interface, not an alias: the schema generator adds the run's `warnings` to the result object it finds (an alias of an alias it did not follow). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FleetStatusOutput extends FleetStatusReport {}

/** `2/3!` (passed of run, `!` when one failed or could not run), `not run`, or empty when no pack check concerns it. */
function packChecksCell(r: FleetTenantRow): string {
  const ran = r.packChecks.filter((c) => c.status !== 'not-run')
  if (r.packChecks.length === 0) return ''
  if (ran.length === 0) return 'not run'
  const passed = ran.filter((c) => c.status === 'ok').length
  return `${passed}/${ran.length}${passed < ran.length ? '!' : ''}`
}

/** `62 d Pebble Intermediate CA 1` (`!` under 21 days, `renewal failed` when certbot's last renewal failed), `unreadable`, or empty when not read. */
function certificateCell(r: FleetTenantRow): string {
  const cert = r.certificate
  if (!cert) return ''
  if (cert.daysLeft === null) return 'unreadable!'
  const renewal = cert.renewalFailure ? ', renewal failed!' : ''
  return `${cert.daysLeft} d${cert.daysLeft < 21 ? '!' : ''} ${cert.issuer ?? ''}${renewal}`.trim()
}

export default class FleetStatus extends OdoopsCommand<FleetStatusOutput> {
  static override usesSsh = true
  static override summary = 'every tenant at a glance: health, service, disk, backups against the RPO, fair use, a score (exit 1 on breaches)'
  static override description = `One row per tenant: /web/health through nginx, its service unit, free disk on its host, the age of its newest backup and newest verified backup against the RPO of its plan tier (config fleet.rpoHours, fleet.rpoByPlan), its last verification verdict, the Odoo build its host runs for the tenant's series and how many builds behind the newest its host's Odoo source offered at the last release plan it is (information: no points), the addon releases its service runs (the shared service's for a shared tenant; a column when any tenant has some), its usage against its plan's fair-use thresholds, the certificate nginx serves for it read on its host (issuer, end of validity, days left: a warning under 21 days, a breach under 7; certbot's last renewal when it failed, with certbot's reason), the fleet checks of the installed packs (over an admin session on its Odoo, each with a timeout; a failing or broken check is a deduction naming its pack), and a health score from 100 with the reason of every deduction. Hosts are checked in parallel, one SSH connection each; a host that cannot be reached marks its tenants. Exit 1 when any tenant is in breach (for monitoring), 0 otherwise. See docs/fleet.md.`
  static override flags = {
    host: Flags.string({description: 'only the tenants on this host'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --host web1', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<FleetStatusOutput> {
    const {flags} = await this.parse(FleetStatus)
    const report = await fleetStatus({store: await this.state(), rpo: rpoConfig((key) => this.settings.get(key)), box: () => this.secretBox()}, {host: flags.host})
    const c = this.ui.color
    const statusText = (r: FleetTenantRow) => (r.status === 'ok' ? c.green('ok') : r.status === 'warning' ? c.yellow('warning') : c.red('BREACH'))
    this.ui.table(report.tenants, [
      {header: 'Tenant', get: (r) => r.tenant},
      {header: 'Host', get: (r) => r.host},
      {header: 'Score', get: (r) => String(r.score), align: 'right'},
      {header: 'Status', get: statusText},
      {header: 'Health', get: (r) => (r.http ? (r.http.ok ? 'ok' : `fail ${r.http.status || ''}`.trim()) : r.verdict === 'healthy' ? '' : r.verdict)},
      {header: 'Service', get: (r) => r.service?.active ?? ''},
      {header: 'Disk free', get: (r) => (r.diskFreeBytes === null ? '' : formatBytes(r.diskFreeBytes)), align: 'right'},
      {header: 'Backup', get: (r) => humanAge(r.backups.newest?.ageHours ?? null)},
      {header: 'Verified', get: (r) => humanAge(r.backups.newestVerified?.ageHours ?? null)},
      {header: 'RPO', get: (r) => `${r.rpo.hours} h`},
      {header: 'Last verify', get: (r) => r.backups.lastVerification?.status ?? ''},
      {header: 'Fair use', get: (r) => (r.usage ? r.usage.checks.map((u) => `${u.metric} ${u.value}/${u.threshold}${u.over ? '!' : ''}`).join(', ') : '')},
      {header: 'Certificate', get: certificateCell},
      {header: 'Odoo', get: (r) => r.odoo?.build ?? ''},
      {header: 'Behind', get: (r) => behindCell(r.odoo), align: 'right'},
      ...(report.tenants.some((r) => r.addons.length > 0) ? [{header: 'Addons', get: (r: FleetTenantRow) => addonsCell(r.addons)}] : []),
      ...(report.packChecks.length > 0 ? [{header: 'Pack checks', get: packChecksCell}] : []),
    ])
    const unreachable = report.hosts.filter((h) => !h.reachable)
    for (const h of unreachable) this.ui.warn(`host ${h.host} unreachable (${h.tenants} tenants marked): ${h.error}`)
    for (const h of report.hosts) if (h.certificatesError) this.ui.warn(`host ${h.host}: the certificates could not be read: ${h.certificatesError}`)
    const withDeductions = report.tenants.filter((r) => r.deductions.length > 0)
    if (withDeductions.length > 0) {
      this.ui.log('')
      this.ui.log(c.bold('Deductions:'))
      for (const r of withDeductions) for (const d of r.deductions) this.ui.log(`  ${r.tenant}  -${d.points}  ${d.breach ? c.red(d.code) : c.yellow(d.code)}: ${d.reason}`)
    }
    const builds = odooBuildLines(report.tenants)
    if (builds.length > 0) {
      this.ui.log('')
      this.ui.log(c.bold('Odoo builds (information, no points):'))
      for (const line of builds) this.ui.log(`  ${line}`)
    }
    this.ui.log('')
    this.ui.log(`${report.tenants.length} tenants: ${report.counts.ok} ok, ${report.counts.warning} warning, ${report.counts.breach} in breach.`)
    if (report.breaches > 0) process.exitCode = ExitCode.FAILURE
    return report
  }
}

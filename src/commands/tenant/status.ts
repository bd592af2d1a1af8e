import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {ExitCode, usageError} from '../../lib/errors.js'
import {formatBytes} from '../../lib/output/format.js'
import {tenantStatus, type TenantStatusReport} from '../../lib/tenants/status.js'

export type TenantStatusOutput = TenantStatusReport

export default class TenantStatus extends OdoopsCommand<TenantStatusOutput> {
  static override usesSsh = true
  static override summary = 'check tenants on their hosts: service, health through nginx, database size, disk free'
  static override description = `Exits 1 when any tenant is unhealthy: its service is not active, /web/health fails through nginx, its database is missing, less than 1 GiB is free where its files live, its host is unreachable, or its creation failed or was interrupted. A tenant stopped with tenant stop is reported as stopped and does not count as unhealthy. Hosts are checked in parallel, one SSH connection each.`
  static override args = {slug: Args.string({description: 'tenant slug (or --all)'})}
  static override flags = {
    all: Flags.boolean({description: 'every tenant'}),
    host: Flags.string({description: 'with --all: only the tenants on this host'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> --all --json', '<%= config.bin %> <%= command.id %> --all --host web1']

  async run(): Promise<TenantStatusOutput> {
    const {args, flags} = await this.parse(TenantStatus)
    if (args.slug && flags.all) throw usageError('TENANT_STATUS_SELECTION', 'Name one tenant or pass --all, not both.', [`odoops tenant status ${args.slug}`, 'odoops tenant status --all'])
    if (!args.slug && !flags.all) throw usageError('TENANT_STATUS_SELECTION', 'Which tenant? Name one, or pass --all.', ['odoops tenant status acme', 'odoops tenant status --all'])
    if (flags.host && !flags.all) throw usageError('TENANT_STATUS_SELECTION', '--host goes with --all.', [`odoops tenant status --all --host ${flags.host}`])
    const report = await tenantStatus({store: await this.state()}, args.slug ? {slugs: [args.slug]} : {host: flags.host})
    this.ui.table(report.tenants, [
      {header: 'Tenant', get: (t) => t.slug},
      {header: 'Host', get: (t) => t.host},
      {header: 'Status', get: (t) => (t.verdict === 'healthy' ? this.ui.color.green(t.verdict) : t.verdict === 'unhealthy' ? this.ui.color.red(t.verdict) : t.verdict)},
      {header: 'State', get: (t) => t.state},
      {header: 'Service', get: (t) => (t.service ? `${t.service.unit} ${t.service.active}` : '')},
      {header: 'HTTP', get: (t) => (t.http ? (t.http.ok ? 'ok' : String(t.http.status || 'error')) : '')},
      {header: 'Database', get: (t) => (t.databaseBytes === null ? '' : formatBytes(t.databaseBytes)), align: 'right'},
      {header: 'Disk free', get: (t) => (t.diskFreeBytes === null ? '' : formatBytes(t.diskFreeBytes)), align: 'right'},
    ])
    for (const t of report.tenants) for (const p of t.problems) this.ui.problem('Problem:', `${t.slug}: ${p}`)
    const counts = [`${report.healthy} healthy`, `${report.unhealthy} unhealthy`, ...(report.stopped ? [`${report.stopped} stopped`] : []), ...(report.busy ? [`${report.busy} busy`] : [])]
    this.ui.log(counts.join(', ') + '.')
    if (report.unhealthy > 0) process.exitCode = ExitCode.FAILURE
    return report
  }
}

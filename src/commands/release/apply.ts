import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {applyRelease, type ApplyReport} from '../../lib/release/apply.js'
import {parseWindow} from '../../lib/release/window.js'
import {formatMs} from '../../lib/release/view.js'

export type ReleaseApplyOutput = ApplyReport

export default class ReleaseApply extends OdoopsCommand<ReleaseApplyOutput> {
  static override usesSsh = true
  static override summary = 'roll a release out host by host; a host that fails is rolled back by itself'
  static override description = `Host by host in the plan's order. On each host, before anything stops: a safety backup of every tenant, verified by a test restore, and the installed and the new build kept as .debs on the host. Then the shared service stops, the new build is installed (unless the release keeps it), the shared service's new addon releases are written into its config when the release switches them (before any -u: Odoo loads the modules' code from addons_path), odoo -u runs on each shared database, the service starts and every shared tenant must pass health and login through nginx; then each dedicated tenant in turn (stop, addons switched, -u, start, checks). Downtime per tenant (service stopped → healthy again) is printed. Any failure rolls that host back by itself (previous build reinstalled, previous addon releases written back and recorded, each updated database and filestore restored from its safety backup, services started, checks again), the release is marked failed and the rollout stops (exit 1). A host with a tenant that failed rehearsal is left out unless --include-failed. --canary n updates only the first n hosts; the next apply goes on with the rest. --window HH:MM-HH:MM (local time) starts a host only inside that daily window and only when its expected downtime (from the plan) fits before the window closes; outside it nothing starts (RELEASE_OUTSIDE_WINDOW, exit 2), and a window closing stops the run between hosts (exit 0, the rest in remaining). A run that was killed is taken up with --resume: the interrupted host is rolled back to where it started, then applied again. One run per host at a time (lock release-host:<host>, exit 4). See docs/releases.md.`
  static override audited = true
  static override args = {release: Args.string({description: 'the release id (release plan)', required: true})}
  static override flags = {
    resume: Flags.boolean({description: 'take up a run that was killed in the middle of a host'}),
    canary: Flags.integer({description: 'update only the first n hosts this run', min: 1}),
    'include-failed': Flags.boolean({description: 'also update hosts with a tenant that failed rehearsal'}),
    window: Flags.string({description: 'daily maintenance window in local time, HH:MM-HH:MM: a host starts only inside it and only when its expected downtime fits'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> rel-20261204T101500-ab12', '<%= config.bin %> <%= command.id %> rel-20261204T101500-ab12 --canary 1 --json', '<%= config.bin %> <%= command.id %> rel-20261204T101500-ab12 --resume']

  async run(): Promise<ReleaseApplyOutput> {
    const {args, flags} = await this.parse(ReleaseApply)
    this.handlesInterrupt = true
    const window = flags.window === undefined ? undefined : parseWindow(flags.window)
    this.auditContext = {details: {release: args.release, resume: flags.resume, canary: flags.canary, window: flags.window}}
    const report = await applyRelease(
      {store: await this.state(), box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal},
      args.release,
      {
        ...(flags.resume ? {resume: true} : {}),
        ...(flags.canary ? {canary: flags.canary} : {}),
        ...(flags['include-failed'] ? {includeFailed: true} : {}),
        ...(window ? {window} : {}),
        progress: (line) => this.ui.note(line),
      },
    )
    this.auditContext.details = {...this.auditContext.details, state: report.release.state, hosts: report.hosts.map((h) => ({host: h.host, outcome: h.outcome}))}
    this.ui.table(
      report.hosts.flatMap((h) => h.tenants.map((t) => ({h, t}))),
      [
        {header: 'Tenant', get: ({t}) => t.slug},
        {header: 'Host', get: ({h}) => h.host},
        {header: 'Outcome', get: ({h}) => h.outcome},
        {header: '-u', get: ({t}) => (t.upgradeMs === undefined ? '' : formatMs(t.upgradeMs))},
        {header: 'Downtime', get: ({t}) => (t.downtimeMs === undefined ? '' : formatMs(t.downtimeMs))},
        {header: 'Check', get: ({t}) => (t.check ? (t.check.ok ? 'healthy' : `UNHEALTHY: ${t.check.detail}`) : '')},
      ],
    )
    for (const h of report.hosts.filter((h) => h.outcome === 'skipped')) this.ui.log(`${h.host}: skipped (${h.reason})`)
    if (report.stopped) this.ui.log(`Stopped: ${report.stopped.detail}.`)
    this.ui.log(report.remaining.length ? `Release ${report.release.id}: ${report.remaining.length} host(s) left: odoops release apply ${report.release.id}` : `Release ${report.release.id}: ${report.release.state}.`)
    return report
  }
}

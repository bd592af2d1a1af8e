import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {switchedRepos} from '../../lib/release/addons.js'
import {planRelease, type PlanResult} from '../../lib/release/plan.js'
import {formatMs} from '../../lib/release/view.js'

export type ReleasePlanOutput = PlanResult

export default class ReleasePlan extends OdoopsCommand<ReleasePlanOutput> {
  static override usesSsh = true
  static override summary = "plan an Odoo patch update and/or addon releases: each host's build and addons now and after, and per tenant the modules it upgrades"
  static override description = `Refreshes each host's Odoo package index, reads the installed build and the builds offered, unpacks the new build on the host (under /var/lib/odoops/packages, beside the installed one) and compares its module versions with each tenant's installed modules. The -u list is base (Odoo reloads every installed module's data after a package update) plus each module whose version changes. With --addons <repo>@<release> (repeatable; release: a SHA-256 or commit prefix of 7+ characters, a ref it was pinned from, or current), every service of the selected hosts that runs the repository switches to that release in the same window (its addons_path written before its databases' -u), and each tenant's -u list gets its installed modules of the repository whose version the new release changes; without --odoo the installed build stays (--odoo latest takes the newest too). The addon checks of addons deploy run against each host first. Estimated downtime comes from the tenant's last measured -u (rehearsal or rollout). Saved as a release (state planned) when a host has something to do; exit 0 either way, with no release when nothing is to do. See docs/releases.md.`
  static override audited = true
  static override flags = {
    host: Flags.string({description: 'a host to update (repeatable; default: every host running the series)', multiple: true, multipleNonGreedy: true}),
    all: Flags.boolean({description: 'every host running the series', exclusive: ['host']}),
    series: Flags.string({description: 'the series to update, when the hosts run several'}),
    odoo: Flags.string({description: 'the exact package version to install, or latest (default: the newest the host offers; with --addons: the installed one)'}),
    addons: Flags.string({description: 'an addon release to switch to, <repo>@<release> (repeatable): every selected service running the repository switches', multiple: true, multipleNonGreedy: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> --all', '<%= config.bin %> <%= command.id %> --host h1 --host h2 --odoo 17.0.20261120 --json', '<%= config.bin %> <%= command.id %> --all --addons server-tools@3f2a9c1e --addons partner-addons@current', '<%= config.bin %> <%= command.id %> --all --odoo latest --addons partner-addons@v17.0.3']

  async run(): Promise<ReleasePlanOutput> {
    const {flags} = await this.parse(ReleasePlan)
    this.handlesInterrupt = true
    const result = await planRelease(
      {store: await this.state(), box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal},
      {hosts: flags.host ?? [], ...(flags.series ? {series: flags.series} : {}), ...(flags.odoo ? {odoo: flags.odoo} : {}), ...(flags.addons?.length ? {addons: flags.addons} : {})},
    )
    this.auditContext = {details: {release: result.release?.id, addons: flags.addons, hosts: result.hosts.map((h) => ({host: h.host, installed: h.installed, planned: h.planned}))}}
    this.ui.table(result.hosts, [
      {header: 'Host', get: (h) => h.host},
      {header: 'Series', get: (h) => h.series},
      {header: 'Installed', get: (h) => h.installed},
      {header: 'Builds behind', get: (h) => String(h.behind)},
      {header: 'Planned', get: (h) => h.planned ?? `— (${h.reason})`},
    ])
    const release = result.release
    if (!release) {
      this.ui.log(flags.addons?.length ? 'Nothing to do: every host runs the build and the addon releases it should.' : 'Nothing to do: every host runs the build it should.')
      return result
    }
    this.ui.table(
      release.hosts.flatMap((h) => h.tenants.map((t) => ({h, t}))),
      [
        {header: 'Tenant', get: ({t}) => t.slug},
        {header: 'Host', get: ({h}) => h.host},
        {header: 'Mode', get: ({t}) => t.mode},
        {header: 'Build', get: ({h}) => (h.from === h.to ? `${h.from} (kept)` : `${h.from} → ${h.to}`)},
        {header: '-u', get: ({t}) => t.modules.join(',')},
        {header: 'Changed modules', get: ({t}) => Object.entries(t.changed).map(([m, [from, to]]) => `${m} ${from}→${to}`).join(', ') || 'none'},
        {header: 'Est. downtime', get: ({t}) => (t.estimatedDowntimeMs === undefined ? 'unknown' : formatMs(t.estimatedDowntimeMs))},
      ],
    )
    const switches = release.hosts.flatMap((h) => (h.addons ?? []).flatMap((c) => switchedRepos(c).map((s) => ({h, c, s}))))
    if (switches.length) {
      this.ui.table(switches, [
        {header: 'Host', get: ({h}) => h.host},
        {header: 'Service', get: ({c}) => (c.service === 'shared' ? `shared (${c.unit})` : `${c.service} (dedicated)`)},
        {header: 'Repository', get: ({s}) => s.repo},
        {header: 'Release', get: ({s}) => `${s.from.slice(0, 12)} → ${s.to.slice(0, 12)}`},
      ])
    }
    for (const h of result.hosts) for (const p of h.problems ?? []) this.ui.warn(`${h.host}: [${p.check}] ${p.repo}${p.module ? `/${p.module}` : ''}: ${p.message}`)
    this.ui.log(`Planned as release ${release.id}. Next: odoops release rehearse ${release.id}, then odoops release apply ${release.id}`)
    return result
  }
}

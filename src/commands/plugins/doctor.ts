import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import type {DoctorReport, PackReport} from '../../lib/plugins/doctor.js'

export type PluginsDoctorResult = DoctorReport

export default class PluginsDoctor extends OdoopsCommand<PluginsDoctorResult> {
  static override usesSsh = true
  static override summary = "check the installed vertical packs: what each contributes, and every problem by pack"
  static override description = `Loads every pack's contributions as the commands that use them would: templates (checked with the core template schema), metrics (checked like the core's; with --tenant also measured on that tenant, read-only, nothing stored), onboarding steps and their positions, extra questions, fleet checks; and lists its commands. Lists the addon repositories each ships (odoops.addons); one of yours registered under the same name is a problem of the pack, as yours is used instead. A pack that throws while loading, has an invalid template or a failing metric is named with the problem. Exit 1 when any pack has a problem. See docs/plugins.md.`
  static override flags = {
    tenant: Flags.string({description: "also measure the packs' metrics on this tenant (read-only; nothing is stored)"}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --tenant acme --json']

  async run(): Promise<PluginsDoctorResult> {
    const {flags} = await this.parse(PluginsDoctor)
    const [{diagnosePacks}, {pluginDescriptors}] = await Promise.all([import('../../lib/plugins/doctor.js'), import('../../lib/plugins/oclif.js')])
    let options = {}
    if (flags.tenant) {
      const store = await this.state()
      const {getTenant} = await import('../../lib/tenants/listing.js')
      options = {tenant: await getTenant(store, flags.tenant), store, box: await this.secretBox()}
    } else if (pluginDescriptors(this.config).some((p) => (p.pjson.odoops as {addons?: unknown} | undefined)?.addons !== undefined)) {
      // Only to see whether a repository of the user shadows a pack's: a store that cannot be opened skips that.
      const store = await this.state().catch(() => undefined)
      if (store) options = {store}
    }
    const report = await diagnosePacks(pluginDescriptors(this.config), options)
    this.render(report.packs)
    if (report.packs.length === 0) this.ui.log('No packs installed (odoops plugins install <pack>, or plugins link <dir> for development).')
    else this.ui.log(report.broken.length ? `${report.broken.length} of ${report.packs.length} pack(s) have problems: ${report.broken.join(', ')}.` : `${report.packs.length} pack(s), no problems.`)
    if (report.broken.length) this.reportProblems('PACKS_BROKEN', `Pack(s) with problems: ${report.broken.join(', ')} (odoops plugins doctor lists why).`)
    return report
  }

  private render(packs: PackReport[]): void {
    this.ui.table(packs, [
      {header: 'Pack', get: (p) => `${p.name}@${p.version}`},
      {header: 'Type', get: (p) => p.type},
      {header: 'API', get: (p) => p.apiVersion ?? ''},
      {header: 'Templates', get: (p) => p.templates.map((t) => (t.valid ? t.name : `${t.name} (invalid)`)).join(', ')},
      {header: 'Metrics', get: (p) => p.metrics.map((m) => m.name).join(', ')},
      {header: 'Steps', get: (p) => p.steps.map((s) => `${s.name} (${s.position})`).join(', ')},
      {header: 'Commands', get: (p) => p.commands.join(', ')},
      {header: 'Addons', get: (p) => p.addons.map((a) => a.repo).join(', ')},
      {header: 'State', get: (p) => (p.ok ? this.ui.color.green('ok') : this.ui.color.red(`${p.problems.length} problem(s)`))},
    ])
    if (this.ui.json) return
    for (const pack of packs.filter((p) => !p.ok)) {
      this.ui.problem('Problems of', `${pack.name}:`, pack.problems.map((problem) => `${problem.area}${problem.subject ? ` ${problem.subject}` : ''}: ${problem.message}`))
    }
  }
}

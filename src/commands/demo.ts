import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../cli/base-command.js'
import {stepProgress} from '../cli/step-progress.js'
import {formatBytes} from '../lib/output/format.js'
import {runDemo, type DemoResult} from '../lib/demo/demo.js'

export default class Demo extends OdoopsCommand<DemoResult> {
  static override summary = 'run the main job end to end on a disposable local test host'
  static override description = `Boots a sandbox (Debian 12 under systemd-nspawn), prepares it with the FIXTURE Odoo package (a small stand-in for tests and demos, not the real Odoo; --odoo-apt-source uses a real repository instead), onboards a sample customer from the distribution template, takes its initial backup, checks it through nginx, prints what a consultant would see, and removes everything unless --keep. Linux and root only (see docs/sandbox.md). Uses a state store of its own, never your hosts and tenants.`
  static override audited = true
  static override flags = {
    keep: Flags.boolean({description: 'leave the sandbox and the demo\'s state store in place to explore'}),
    'odoo-apt-source': Flags.string({description: 'apt source line of a real Odoo repository (needs internet inside the sandbox)'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --keep',
    // Odoo's own nightly repository (docs/odoo-versions.md), instead of the fixture:
    '<%= config.bin %> <%= command.id %> --odoo-apt-source "deb [signed-by=/usr/share/keyrings/odoo-archive-keyring.gpg] https://nightly.odoo.com/17.0/nightly/deb/ ./"',
  ]

  async run(): Promise<DemoResult> {
    const {flags} = await this.parse(Demo)
    this.handlesInterrupt = true
    const say = (line: string) => {
      this.ui.note(line)
    }
    const result = await runDemo({
      dataDir: this.dirs.dataDir,
      cacheDir: this.dirs.cacheDir,
      box: await this.secretBox(),
      odooAptSource: flags['odoo-apt-source'],
      keep: flags.keep,
      signal: this.abort.signal,
      say,
      observer: stepProgress(this.ui),
    })
    this.auditContext = {tenant: result.tenant.slug, host: result.sandbox.name, details: {demo: true, kept: result.kept}}
    const ui = this.ui
    ui.log('')
    ui.log(ui.color.bold(`${result.tenant.slug} is live: ${result.tenant.url}`))
    if (result.odoo === 'fixture') ui.log('(served by the FIXTURE Odoo, a stand-in for demos and tests — not the real Odoo)')
    ui.table(
      [
        {what: 'Host', value: `${result.sandbox.name} (${result.sandbox.address}), ${result.tenant.mode} service`},
        {what: 'Database', value: result.tenant.database},
        {what: 'Users created', value: result.usersCreated.join(', ') || 'none'},
        {what: 'Initial backup', value: result.backup ? `${result.backup.id}, ${result.backup.files} files, ${formatBytes(result.backup.totalBytes)}, ${result.backup.verified ? 'verified by a test restore' : result.backup.verified === false ? 'VERIFICATION FAILED' : 'not verified'}` : 'none'},
        {what: 'Health (through nginx)', value: result.health.detail},
        {what: 'Took', value: `${(result.durationMs / 1000).toFixed(1)} s (${result.phases.map((p) => `${p.name} ${(p.durationMs / 1000).toFixed(1)} s`).join(', ')})`},
      ],
      [
        {header: '', get: (r) => r.what},
        {header: '', get: (r) => r.value},
      ],
    )
    if (result.kept) {
      ui.log(`Kept. Explore with: odoops --state ${result.state} tenant status --all`)
      ui.log(`Remove with: odoops sandbox down --name ${result.sandbox.name} --state ${result.state}`)
    } else ui.log('The sandbox and everything the demo created have been removed (--keep to explore).')
    if (!result.health.ok) this.reportProblems('DEMO_UNHEALTHY', `The demo tenant is not healthy: ${result.health.detail}`)
    else if (result.backup?.verified === false) this.reportProblems('BACKUP_NOT_VERIFIED', 'The demo\'s backup did not verify by a test restore.')
    return result
  }
}

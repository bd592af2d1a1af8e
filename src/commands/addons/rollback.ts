import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {SHARED} from '../../lib/addons/deploy/service.js'
import {rollbackAddons, type AddonsRollbackResult} from '../../lib/addons/deploy/rollback.js'

export type AddonsRollbackOutput = AddonsRollbackResult

export default class AddonsRollback extends OdoopsCommand<AddonsRollbackOutput> {
  static override usesSsh = true
  static override summary = "switch a service back to a repository's previous release"
  static override description = `The previous release is the newest other release of the repository among the last three sets the service ran (kept on the host for this). Refused (ADDONS_ROLLBACK_UPGRADED, exit 2, nothing changed) when a tenant's installed modules were already upgraded by the newer release: old code cannot run newer data. With --restore, each such tenant is first restored in place from the verified safety backup addons deploy --upgrade took before its upgrade (changes made since are lost; restore in place keeps a backup of the data it replaces), then the service switches back, restarts and every tenant on it must pass its health check, as a deploy does. See docs/addons.md.`
  static override audited = true
  static override args = {repo: Args.string({description: 'the addon repository to roll back', required: true})}
  static override flags = {
    host: Flags.string({description: 'the host of the service', required: true}),
    service: Flags.string({description: `"${SHARED}" (the host's shared service) or a dedicated tenant's slug`, default: SHARED}),
    restore: Flags.boolean({description: "restore the safety backup of every tenant the newer release upgraded (their changes since are lost)"}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme-addons --host h1', '<%= config.bin %> <%= command.id %> acme-addons --host h1 --service acme --restore --json']

  async run(): Promise<AddonsRollbackOutput> {
    const {args, flags} = await this.parse(AddonsRollback)
    this.handlesInterrupt = true
    const service = flags.service
    this.auditContext = {host: flags.host, ...(service === SHARED ? {} : {tenant: service}), details: {service, repo: args.repo, restore: flags.restore}}
    const result = await rollbackAddons(
      {store: await this.state(), box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal, onProgress: (message) => this.ui.note(message)},
      {host: flags.host, service, repo: args.repo, restore: flags.restore},
    )
    this.auditContext.details = {service, repo: args.repo, from: result.from, to: result.to, restored: result.restored.map((r) => ({tenant: r.tenant, backup: r.backup})), restarted: result.deploy.restarted}
    for (const tenant of result.restored) this.ui.log(`${tenant.tenant}: restored from ${tenant.backup} (its data before the restore: backup ${tenant.safetyBackup}).`)
    const where = result.deploy.service.kind === 'shared' ? `The shared ${result.deploy.service.series} service` : `Tenant ${result.deploy.service.tenant}'s service`
    this.ui.log(`${where} on ${result.deploy.host} runs ${args.repo} ${result.to.slice(0, 12)} again (was ${result.from.slice(0, 12)}).`)
    if (result.deploy.restarted) this.ui.log(`${result.deploy.service.unit} restarted; ${result.deploy.health.filter((h) => h.ok).length} of ${result.deploy.health.length} tenant(s) healthy.`)
    return result
  }
}

import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {abortMove, moveTenant} from '../../lib/backup/index.js'
import {ExitCode, usageError} from '../../lib/errors.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {SIZES} from '../../lib/provision/odoo-config.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'

export interface TenantMoveOutput {
  tenant: TenantView
  /** moved: served from the new host; aborted: what an unfinished move built was removed. */
  outcome: 'moved' | 'aborted'
  from?: string
  to?: string
  /** The backup the new copy was restored from. */
  backup?: string
  steps: StepRecord[]
  /** Removal of the old copy (moved) or of the unfinished new copy (aborted). */
  retired: StepRecord[]
  /** False: the tenant is served from the new host but its old copy is still there (exit 3; run the move again). */
  retiredOk: boolean
}

export default class TenantMove extends OdoopsCommand<TenantMoveOutput> {
  static override usesSsh = true
  static override summary = 'move a tenant to another host (e.g. shared → dedicated): backup, verify, restore, health, switch, retire'
  static override description = `The tenant keeps being served from its old host, untouched, until the new copy answers through the new host's nginx: a fresh backup is verified on the new host, restored there by the creation plan (own service when --mode dedicated, TLS, vhost, health), and only then the record switches and the old copy (database, filestore, vhost, service) is removed. A failed or killed move leaves the tenant as it was, with the move's progress recorded: run the same command again to continue, or --abort to remove what it built. The switch is refused when the old database was written to after the backup (move at a quiet time). Point the domain's DNS at the new host afterwards. See docs/backups.md.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant to move', required: true})}
  static override flags = {
    'to-host': Flags.string({description: 'prepared host to move it to'}),
    mode: Flags.string({description: 'hosting mode on the new host (default: unchanged)', options: ['shared', 'dedicated']}),
    size: Flags.string({description: 'dedicated: workers and memory limits', options: Object.keys(SIZES)}),
    abort: Flags.boolean({description: 'remove what an unfinished move built on the new host', exclusive: ['to-host']}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme --to-host web2 --mode dedicated', '<%= config.bin %> <%= command.id %> acme --abort']

  async run(): Promise<TenantMoveOutput> {
    const {args, flags} = await this.parse(TenantMove)
    this.handlesInterrupt = true
    const store = await this.state()
    const env = {store, box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal, observer: stepProgress(this.ui)}
    this.auditContext = {tenant: args.slug, host: flags['to-host'], details: {mode: flags.mode, abort: flags.abort}}
    if (flags.abort) {
      const aborted = await abortMove(env, args.slug)
      this.ui.log(`The unfinished move of ${args.slug} was undone; it is served from ${aborted.tenant.host} as before.`)
      return {tenant: tenantView(aborted.tenant), outcome: 'aborted', steps: [], retired: aborted.removed, retiredOk: true}
    }
    if (!flags['to-host']) throw usageError('MISSING_VALUE', 'Move where? tenant move needs --to-host.', ['Pass --to-host <name> (odoops host list shows the prepared hosts), or --abort.'])
    const result = await moveTenant(env, {slug: args.slug, toHost: flags['to-host'], mode: flags.mode, size: flags.size})
    this.auditContext.details = {...this.auditContext.details, from: result.from, backup: result.backup, retiredOk: result.retiredOk}
    this.ui.log(`Tenant ${args.slug} is served from ${result.to} (${result.tenant.mode}); point ${result.tenant.domain}'s DNS at it.`)
    if (!result.retiredOk) {
      this.ui.warn(`The old copy on ${result.from} could not be removed yet: run the same command again to finish.`)
      process.exitCode = ExitCode.PARTIAL
    }
    return {tenant: tenantView(result.tenant), outcome: 'moved', from: result.from, to: result.to, backup: result.backup, steps: result.steps, retired: result.retired, retiredOk: result.retiredOk}
  }
}

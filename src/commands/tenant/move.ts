import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {abortMove, moveTenant} from '../../lib/backup/index.js'
import {ExitCode} from '../../lib/errors.js'
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
  /** Hosting mode before the move (moved). */
  fromMode?: 'shared' | 'dedicated'
  /** A move on the tenant's own host (shared ↔ dedicated), switched in its nginx (moved). */
  sameHost?: boolean
  /**
   * Same host: milliseconds from the start of the nginx switch (write, nginx -t, reload) until the
   * new service answered a login through nginx; the old service answers until then.
   */
  switchMs?: number
}

export default class TenantMove extends OdoopsCommand<TenantMoveOutput> {
  static override usesSsh = true
  static override summary = 'move a tenant to another host, or between shared and dedicated on its own host: backup, verify, restore, health, switch, retire'
  static override description = `The tenant keeps being served by its current copy, untouched, until the new copy is healthy: a fresh backup is verified on the destination host and restored there by the creation plan (own service, role and ports when --mode dedicated, a place on the shared service when --mode shared), and only then the record switches and the old copy (database, filestore, service or db_name entry) is removed. To another host (--to-host): the new copy gets TLS and a vhost there and answers through that host's nginx; point the domain's DNS at it afterwards. On the tenant's own host (--mode alone, e.g. a customer outgrowing the shared service): the new copy gets its own database name and filestore (dedicated: the slug; shared: the domain), keeps the same domain and certificate, is checked on its own port, and then nginx is switched to it (write, nginx -t, reload); the switch time (until the new service answers through nginx) is printed and in --json as switchMs. A failed or killed move leaves the tenant as it was, with the move's progress recorded: run the same command again to continue, or --abort to remove what it built. The switch is refused when the old database was written to after the backup (move at a quiet time). See docs/backups.md.`
  static override audited = true
  static override args = {slug: Args.string({description: 'tenant to move', required: true})}
  static override flags = {
    'to-host': Flags.string({description: 'prepared host to move it to (default: an unfinished move\'s host, else with --mode the tenant\'s own host)'}),
    mode: Flags.string({description: 'hosting mode after the move (default: unchanged); alone, changes it on the tenant\'s own host', options: ['shared', 'dedicated']}),
    size: Flags.string({description: 'dedicated: workers and memory limits', options: Object.keys(SIZES)}),
    abort: Flags.boolean({description: 'remove what an unfinished move built (on the same host, nginx keeps pointing at the live copy)', exclusive: ['to-host']}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme --mode dedicated',
    '<%= config.bin %> <%= command.id %> acme --to-host web2 --mode dedicated',
    '<%= config.bin %> <%= command.id %> acme',
    '<%= config.bin %> <%= command.id %> acme --abort',
  ]

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
    const result = await moveTenant(env, {slug: args.slug, toHost: flags['to-host'], mode: flags.mode, size: flags.size})
    this.auditContext.host = result.to
    this.auditContext.details = {...this.auditContext.details, from: result.from, fromMode: result.fromMode, backup: result.backup, retiredOk: result.retiredOk, switchMs: result.switchMs}
    if (result.sameHost) {
      const switched = result.switchMs === undefined ? '' : ` nginx switched to it in ${(result.switchMs / 1000).toFixed(2)} s (until the new service answered; the old one answered meanwhile).`
      this.ui.log(`Tenant ${args.slug} is served by ${result.tenant.mode === 'dedicated' ? 'its own dedicated service' : 'the shared service'} on ${result.to} (was ${result.fromMode}).${switched}`)
    } else {
      this.ui.log(`Tenant ${args.slug} is served from ${result.to} (${result.tenant.mode}); point ${result.tenant.domain}'s DNS at it.`)
    }
    if (!result.retiredOk) {
      this.ui.warn(`The old copy on ${result.from} could not be removed yet: run the same command again to finish.`)
      process.exitCode = ExitCode.PARTIAL
    }
    return {
      tenant: tenantView(result.tenant),
      outcome: 'moved',
      from: result.from,
      to: result.to,
      backup: result.backup,
      steps: result.steps,
      retired: result.retired,
      retiredOk: result.retiredOk,
      fromMode: result.fromMode,
      sameHost: result.sameHost,
      ...(result.switchMs === undefined ? {} : {switchMs: result.switchMs}),
    }
  }
}

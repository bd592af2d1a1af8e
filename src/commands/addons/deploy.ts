import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {renderProblems} from '../../cli/addons-render.js'
import {deployAddons, type AddonsDeployResult} from '../../lib/addons/deploy/deploy.js'
import {deployMany, type AddonsDeployManyResult} from '../../lib/addons/deploy/many.js'
import {SHARED} from '../../lib/addons/deploy/service.js'
import {releaseLabel} from '../../lib/addons/views.js'

/** One service: its deploy's result. Several (`--host`/`--service` repeated): `copies` and one outcome per service. */
export type AddonsDeployOutput = AddonsDeployResult | AddonsDeployManyResult

export default class AddonsDeploy extends OdoopsCommand<AddonsDeployOutput> {
  static override usesSsh = true
  static override summary = "deploy addon repositories' current releases to an Odoo service's addons_path"
  static override description = `Checked first against the host's own Odoo (its core modules, the service's series, the Python modules its python3 can import): any error refuses the deploy with nothing changed on the host (ADDONS_CHECK_FAILED, exit 1, every problem in the error's data). Each release is copied once to /var/lib/odoops/addons/<sha256>/, shared by every service using it; the service's addons_path becomes Odoo's own addons, then the repositories in the order given: the repositories named are the service's whole set, so one it runs and the command leaves out is refused (ADDONS_SET_INCOMPLETE, exit 2) unless named in --remove, which is refused while a tenant has its modules installed (ADDONS_REMOVE_INSTALLED, exit 2). Only a service whose addons_path changed is restarted; every active tenant on it must then pass its health check through nginx, or the previous addons_path is put back and the service restarted (ADDONS_DEPLOY_FAILED, exit 1). Modules installed in a tenant at another version than the release's are listed; --upgrade runs odoo -u for exactly those before the service restarts on the new code (new stored fields need their columns first), tenant by tenant, after a verified safety backup of every one of them (recorded on the tenant: odoops addons rollback --restore puts it back); a failed -u puts the previous addons_path back and exits 1 (ADDONS_UPGRADE_FAILED) naming each touched tenant's backup. Deploying the same releases again changes nothing. Releases no service on the host uses any more (nor could roll back to) are removed from it. With --host and --service repeated (shared means the shared service of every host named), every service is checked before any changes, hosts go in parallel, each release is copied once per host and the services of a host are switched side by side; the JSON is then {copies, services: [{host, service, ok, result | error}]} and a failed service (switched back by itself) makes the exit 1 without stopping the others. See docs/addons.md.`
  static override audited = true
  static override strict = false
  static override args = {repo: Args.string({description: 'addon repositories, in addons_path order (more may follow)', required: true})}
  static override flags = {
    host: Flags.string({description: 'the host of the service (repeatable: a rollout to several hosts)', required: true, multiple: true, multipleNonGreedy: true}),
    service: Flags.string({description: `"${SHARED}" (the host's shared service) or a dedicated tenant's slug (repeatable; default: ${SHARED})`, multiple: true, multipleNonGreedy: true}),
    remove: Flags.string({description: 'take this repository away from the service (repeatable; refused while a tenant has its modules installed)', multiple: true, multipleNonGreedy: true}),
    upgrade: Flags.boolean({description: 'upgrade (-u) the installed modules whose version changed before the restart, each tenant after a verified safety backup'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> server-tools acme-addons --host h1',
    '<%= config.bin %> <%= command.id %> acme-addons --host h1 --service acme',
    '<%= config.bin %> <%= command.id %> acme-addons --host h1 --upgrade',
    '<%= config.bin %> <%= command.id %> acme-addons --host h1 --json',
    '<%= config.bin %> <%= command.id %> acme-addons --host h1 --remove old-connector',
    '<%= config.bin %> <%= command.id %> acme-addons --host h1 --host h2 --service shared --service acme --service globex',
  ]

  async run(): Promise<AddonsDeployOutput> {
    const {argv, flags} = await this.parse(AddonsDeploy)
    const repos = (argv as string[]).filter((a) => a !== '--')
    const hosts = flags.host
    const services = flags.service ?? [SHARED]
    const env = {store: await this.state(), box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal, onProgress: (message: string) => this.ui.note(message)}
    const remove = flags.remove ?? []
    if (hosts.length > 1 || services.length > 1) return this.runMany(env, {hosts, services, repos, upgrade: flags.upgrade, remove})
    const [host] = hosts
    const [service] = services
    this.auditContext = {host, ...(service === SHARED ? {} : {tenant: service}), details: {service, repos, ...(remove.length ? {remove} : {})}}
    // A pack's repository is registered (or pinned again) before the deploy picks its current release.
    await this.addonsEnv({sync: repos})
    const result = await deployAddons(env, {host, service, repos, upgrade: flags.upgrade, remove})
    this.auditContext.details = {
      service,
      repos,
      releases: result.releases.map((r) => r.sha256),
      change: result.change,
      restarted: result.restarted,
      ...(result.pruned.length ? {pruned: result.pruned} : {}),
      ...(result.upgrades ? {upgrades: result.upgrades.map((u) => ({tenant: u.tenant, modules: u.modules, ok: u.ok, ...(u.backup ? {backup: u.backup} : {})}))} : {}),
    }
    this.render(result)
    const failed = (result.upgrades ?? []).filter((u) => !u.ok)
    if (failed.length > 0) this.reportProblems('ADDONS_UPGRADE_FAILED', `The upgrade of ${failed.map((u) => u.tenant).join(', ')} failed: see above. The new releases are deployed.`)
    return result
  }

  private async runMany(env: Parameters<typeof deployMany>[0], input: Parameters<typeof deployMany>[1]): Promise<AddonsDeployManyResult> {
    this.auditContext = {details: {hosts: input.hosts, services: input.services, repos: input.repos}}
    await this.addonsEnv({sync: input.repos})
    const result = await deployMany(env, input)
    this.auditContext.details = {
      ...this.auditContext.details,
      copies: result.copies.map((c) => `${c.host}:${c.sha256}`),
      outcomes: result.services.map((o) => ({host: o.host, service: o.service, ok: o.ok, ...(o.result ? {change: o.result.change, restarted: o.result.restarted} : {}), ...(o.error ? {error: o.error.code} : {})})),
    }
    for (const copy of result.copies) this.ui.log(`Copied ${copy.repo} (${copy.sha256.slice(0, 12)}) to ${copy.host}.`)
    for (const outcome of result.services) {
      this.ui.log('')
      this.ui.log(`== ${outcome.service} on ${outcome.host}: ${outcome.ok ? 'ok' : 'FAILED'}`)
      if (outcome.result) this.render(outcome.result)
      if (outcome.error) {
        this.ui.warn(`${outcome.error.code}: ${outcome.error.message}`)
        for (const suggestion of outcome.error.suggestions) this.ui.log(`  ${suggestion}`)
      }
    }
    const failed = result.services.filter((o) => !o.ok)
    if (failed.length > 0) this.reportProblems('ADDONS_DEPLOY_FAILED', `${failed.length} of ${result.services.length} services failed: ${failed.map((o) => `${o.service} on ${o.host}`).join(', ')}. The others are deployed.`)
    return result
  }

  private render(result: AddonsDeployResult): void {
    const where = result.service.kind === 'shared' ? `the shared ${result.service.series} service on ${result.host}` : `tenant ${result.service.tenant}'s service on ${result.host}`
    this.ui.table(result.releases, [
      {header: 'Repository', get: (r) => r.repo},
      {header: 'Release', get: (r) => releaseLabel(r)},
      {header: 'Copy', get: (r) => r.change},
      {header: 'Modules', get: (r) => String(r.modules.length), align: 'right'},
      {header: 'On the host', get: (r) => r.dir},
    ])
    renderProblems(this.ui, result.problems)
    if (result.change === 'unchanged') {
      this.ui.log(`${capitalized(where)} is unchanged: it runs these releases already (no restart).`)
    } else {
      this.ui.log(`addons_path of ${where}: ${result.addonsPath.join(',')}`)
      if (result.restarted) {
        const healthy = result.health.filter((h) => h.ok).length
        this.ui.log(`${result.service.unit} restarted; ${healthy} of ${result.health.length} tenant(s) healthy.`)
        for (const check of result.health.filter((h) => !h.ok)) this.ui.warn(`${check.tenant} was already unhealthy before the restart: ${check.detail}`)
      } else if (result.restartSkipped) {
        this.ui.log(`Not restarted: ${result.restartSkipped}.`)
      }
    }
    for (const tenant of result.versions) {
      if (tenant.error) this.ui.warn(`Could not read the installed modules of ${tenant.tenant}: ${tenant.error}`)
      else if (tenant.differs.length > 0 && !result.upgrades) {
        this.ui.log(`${tenant.tenant}: ${tenant.differs.map((d) => `${d.module} ${d.installed} installed, ${d.release} deployed`).join('; ')}`)
        this.ui.log(`  Upgrade them: the same deploy with --upgrade (a verified backup first), or odoops tenant update ${tenant.tenant} --modules ${tenant.differs.map((d) => d.module).join(',')}`)
      }
    }
    for (const upgrade of result.upgrades ?? []) {
      if (upgrade.ok) this.ui.log(`${upgrade.tenant}: upgraded ${upgrade.modules.join(', ')} (safety backup ${upgrade.backup}, ${Math.round(upgrade.durationMs / 1000)} s)`)
      else {
        this.ui.warn(`${upgrade.tenant}: not upgraded (${upgrade.error?.code}): ${upgrade.error?.message}`)
        for (const suggestion of upgrade.error?.suggestions ?? []) this.ui.log(`  ${suggestion}`)
      }
    }
    if (result.pruned.length > 0) this.ui.log(`Removed ${result.pruned.length} release(s) no service on ${result.host} uses any more.`)
    if (result.pruneError) this.ui.warn(`Unused releases could not be removed from ${result.host}: ${result.pruneError}`)
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

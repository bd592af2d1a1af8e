import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../../cli/base-command.js'
import {addRepo, sourceFromFlags} from '../../../lib/addons/repos.js'
import type {AddonProblem} from '../../../lib/addons/checks.js'
import {releaseLabel, releaseSummary, repoView, type AddonReleaseSummary, type AddonRepoView} from '../../../lib/addons/views.js'
import {formatBytes} from '../../../lib/output/format.js'
import {renderProblems} from '../../../cli/addons-render.js'

export interface AddonsRepoAddOutput {
  repo: AddonRepoView
  release: AddonReleaseSummary
  outcome: 'added'
  problems: AddonProblem[]
}

export default class AddonsRepoAdd extends OdoopsCommand<AddonsRepoAddOutput> {
  static override summary = 'add an addon repository (a folder of Odoo modules) and pin its first release'
  static override description = `The source is pinned at once: a git ref is resolved to its commit (fetched with your own git, credentials and ssh agent; odoops stores none), a directory or archive is snapshotted and named by its SHA-256. Each module's __manifest__.py is read as a Python literal, never executed. Problems found in the modules are listed; deploying refuses while any is an error.`
  static override audited = true
  static override args = {name: Args.string({description: 'repository name: lowercase letters, digits, dashes, underscores', required: true})}
  static override flags = {
    git: Flags.string({description: 'git URL (https://, ssh://, git@host:path, file://)'}),
    ref: Flags.string({description: 'git branch, tag or commit (default: the remote HEAD)'}),
    dir: Flags.string({description: 'a folder of modules on this machine (snapshotted now)'}),
    archive: Flags.string({description: 'a .tar.gz, .tgz, .tar or .zip of a folder of modules'}),
    series: Flags.string({description: 'the Odoo series the modules are for (checks their versions), e.g. 17.0'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> server-tools --git https://github.com/OCA/server-tools --ref 17.0 --series 17.0',
    '<%= config.bin %> <%= command.id %> acme-addons --dir ./addons --series 17.0',
    '<%= config.bin %> <%= command.id %> vendor --archive vendor-17.0.zip --json',
  ]

  async run(): Promise<AddonsRepoAddOutput> {
    const {args, flags} = await this.parse(AddonsRepoAdd)
    const source = sourceFromFlags(flags)
    this.auditContext = {details: {repo: args.name, source: source.kind}}
    const result = await addRepo(await this.addonsEnv(), {name: args.name, source, series: flags.series})
    const {release} = result
    this.auditContext = {details: {repo: args.name, source: source.kind, release: release.sha256, ...(release.commit ? {commit: release.commit} : {})}}
    this.ui.log(`Addon repository ${args.name} added: release ${releaseLabel(release)} with ${release.modules.length} modules (${formatBytes(release.sizeBytes)}).`)
    renderProblems(this.ui, result.problems)
    return {repo: repoView(result.repo), release: releaseSummary(release), outcome: 'added', problems: result.problems}
  }
}

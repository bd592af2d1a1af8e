import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../../cli/base-command.js'
import {updateRepo} from '../../../lib/addons/repos.js'
import type {AddonProblem} from '../../../lib/addons/checks.js'
import {releaseLabel, releaseSummary, repoView, type AddonReleaseSummary, type AddonRepoView} from '../../../lib/addons/views.js'
import {renderProblems} from '../../../cli/addons-render.js'

export interface AddonsRepoUpdateOutput {
  repo: AddonRepoView
  release: AddonReleaseSummary
  outcome: 'pinned' | 'unchanged'
  problems: AddonProblem[]
}

export default class AddonsRepoUpdate extends OdoopsCommand<AddonsRepoUpdateOutput> {
  static override summary = 'pin an addon repository\'s source again (a moved branch, a changed folder or archive)'
  static override description = 'A new release is recorded and becomes current when the content differs; otherwise nothing changes ("unchanged"). Earlier releases stay listed for rollback.'
  static override audited = true
  static override args = {name: Args.string({description: 'repository name', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> server-tools', '<%= config.bin %> <%= command.id %> acme-addons --json']

  async run(): Promise<AddonsRepoUpdateOutput> {
    const {args} = await this.parse(AddonsRepoUpdate)
    this.auditContext = {details: {repo: args.name}}
    const result = await updateRepo(await this.addonsEnv({sync: [args.name]}), args.name)
    const {release, outcome} = result
    this.auditContext = {details: {repo: args.name, outcome, release: release.sha256, ...(release.commit ? {commit: release.commit} : {})}}
    this.ui.log(outcome === 'pinned' ? `Addon repository ${args.name}: new release ${releaseLabel(release)} pinned (${release.modules.length} modules).` : `Addon repository ${args.name} is unchanged: release ${releaseLabel(release)}.`)
    renderProblems(this.ui, result.problems)
    return {repo: repoView(result.repo), release: releaseSummary(release), outcome, problems: result.problems}
  }
}

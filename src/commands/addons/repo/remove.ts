import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../../cli/base-command.js'
import {removeRepo} from '../../../lib/addons/repos.js'
import {repoView, type AddonRepoView} from '../../../lib/addons/views.js'
import {confirmName} from '../../../lib/output/ui.js'

export interface AddonsRepoRemoveOutput {
  removed: AddonRepoView
}

export default class AddonsRepoRemove extends OdoopsCommand<AddonsRepoRemoveOutput> {
  static override summary = 'forget an addon repository and its pinned releases on this machine'
  static override description = 'The source (git repository, folder, archive) is untouched; release snapshots no other repository lists are deleted from the data directory.'
  static override audited = true
  static override args = {name: Args.string({description: 'repository name', required: true})}
  static override flags = {confirm: Flags.string({description: 'the repository name again, to confirm'})}
  static override examples = ['<%= config.bin %> <%= command.id %> acme-addons --confirm acme-addons']

  async run(): Promise<AddonsRepoRemoveOutput> {
    const {args, flags} = await this.parse(AddonsRepoRemove)
    this.auditContext = {details: {repo: args.name}}
    await confirmName(this.ui, {what: 'addon repository', name: args.name, given: flags.confirm, command: `odoops addons repo remove ${args.name}`})
    const removed = await removeRepo(await this.addonsEnv(), args.name)
    this.ui.log(`Addon repository ${args.name} removed from odoops (its source is untouched).`)
    return {removed: repoView(removed)}
  }
}

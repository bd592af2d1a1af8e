import {OdoopsCommand} from '../../../cli/base-command.js'
import {listRepos} from '../../../lib/addons/repos.js'
import {releaseLabel, repoView, type AddonRepoView} from '../../../lib/addons/views.js'

export interface AddonsRepoListOutput {
  repos: AddonRepoView[]
}

export default class AddonsRepoList extends OdoopsCommand<AddonsRepoListOutput> {
  static override summary = 'list the addon repositories with their current pinned release'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<AddonsRepoListOutput> {
    const repos = (await listRepos(await this.addonsEnv({sync: true}))).map((repo) => repoView(repo))
    this.ui.table(repos, [
      {header: 'Name', get: (r) => r.name},
      {header: 'Source', get: (r) => r.location},
      {header: 'Series', get: (r) => r.series ?? '-'},
      {header: 'Release', get: (r) => releaseLabel(r.current)},
      {header: 'Modules', get: (r) => String(r.current.modules), align: 'right'},
      {header: 'Pinned', get: (r) => r.current.pinnedAt.slice(0, 16).replace('T', ' ')},
    ])
    return {repos}
  }
}

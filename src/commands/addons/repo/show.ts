import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../../cli/base-command.js'
import {checkReleases, type AddonProblem} from '../../../lib/addons/checks.js'
import {findRelease, getRepo, releaseIsLocal} from '../../../lib/addons/repos.js'
import {releaseLabel, releaseSummary, repoView, type AddonReleaseSummary, type AddonRepoView} from '../../../lib/addons/views.js'
import {formatBytes} from '../../../lib/output/format.js'
import type {AddonReleaseRecord} from '../../../lib/state/records.js'
import {renderProblems} from '../../../cli/addons-render.js'

export interface AddonsRepoShowOutput {
  repo: AddonRepoView
  release: AddonReleaseRecord & {local: boolean}
  releases: (AddonReleaseSummary & {current: boolean})[]
  problems: AddonProblem[]
}

export default class AddonsRepoShow extends OdoopsCommand<AddonsRepoShowOutput> {
  static override summary = 'show an addon repository: its modules (name, version, license, depends, external dependencies) and releases'
  static override args = {name: Args.string({description: 'repository name', required: true})}
  static override flags = {release: Flags.string({description: 'another pinned release: a prefix (7+ characters) of its SHA-256 or git commit'})}
  static override examples = ['<%= config.bin %> <%= command.id %> server-tools', '<%= config.bin %> <%= command.id %> server-tools --release 3f2a9c1 --json']

  async run(): Promise<AddonsRepoShowOutput> {
    const {args, flags} = await this.parse(AddonsRepoShow)
    const repo = await getRepo(await this.addonsEnv({sync: [args.name]}), args.name)
    const release = findRelease(repo, flags.release)
    const view = repoView(repo)
    const local = releaseIsLocal(this.dirs.dataDir, release.sha256)
    this.ui.log(`${repo.id}: ${view.location}${repo.series ? `, series ${repo.series}` : ''}`)
    this.ui.log(`Release ${releaseLabel(release)} pinned ${release.pinnedAt}: ${release.modules.length} modules, ${release.fileCount} files, ${formatBytes(release.sizeBytes)}, sha256 ${release.sha256}${local ? '' : ' (content not on this machine: odoops addons repo update to fetch it)'}`)
    this.ui.table(release.modules, [
      {header: 'Module', get: (m) => m.name},
      {header: 'Version', get: (m) => m.version ?? '-'},
      {header: 'License', get: (m) => m.license || '-'},
      {header: 'Depends', get: (m) => m.depends.join(', ') || '-'},
      {header: 'External', get: (m) => [...m.externalPython.map((p) => `py:${p}`), ...m.externalBin.map((b) => `bin:${b}`)].join(', ') || '-'},
      {header: 'Installable', get: (m) => (m.problem ? 'unreadable' : m.installable ? 'yes' : 'no')},
    ])
    const problems = checkReleases([{repo: repo.id, release}], {series: repo.series})
    renderProblems(this.ui, problems)
    const releases = repo.releases.map((r) => ({...releaseSummary(r), current: r.sha256 === repo.current}))
    return {repo: view, release: {...release, local}, releases, problems}
  }
}

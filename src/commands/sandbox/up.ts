import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {sandboxUp, type SandboxUpResult} from '../../lib/sandbox/index.js'
import {buildFixtureRepo} from '../../lib/sandbox/fixture.js'
import type {FixtureSeries} from '../../lib/fixture-odoo/build.js'

export default class SandboxUp extends OdoopsCommand<SandboxUpResult> {
  static override summary = 'boot disposable Debian 12 test hosts on this machine'
  static override description = `Each sandbox is a systemd-nspawn container booted from a cached Debian 12 image (built once with debootstrap), on its own private network (10.77.N.2), reachable over SSH as root with a generated key. It is registered as a host with its host key pinned, unless --no-register. Linux and root only. See docs/sandbox.md.`
  static override audited = true
  static override flags = {
    name: Flags.string({description: 'sandbox name (with --count: the prefix of <name>-1 … <name>-k); default sbx-<i>'}),
    count: Flags.integer({description: 'how many sandboxes to boot', default: 1, min: 1, max: 20}),
    image: Flags.string({description: 'image: base, postgres-nginx (PostgreSQL and nginx preinstalled), odoo-deps (also the Debian dependencies of real Odoo), or a cached image name', default: 'base'}),
    'fixture-odoo': Flags.boolean({description: 'mount a local apt repository with the fixture odoo package (a small stand-in, not the real Odoo)'}),
    'fixture-series': Flags.string({description: 'Odoo series of the fixture package', options: ['16.0', '17.0', '18.0'], default: '17.0'}),
    'apt-repo': Flags.string({
      description: 'mount this flat apt repository directory instead (e.g. a real Odoo package: Packages + .deb); install it with host prepare --apt-source as printed',
      exclusive: ['fixture-odoo'],
    }),
    register: Flags.boolean({description: 'register each sandbox as a host (--no-register to skip)', default: true, allowNo: true}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name demo',
    '<%= config.bin %> <%= command.id %> --count 2 --json',
    '<%= config.bin %> <%= command.id %> --image postgres-nginx --fixture-odoo',
    '<%= config.bin %> <%= command.id %> --image odoo-deps --apt-repo ../shared/odoo/19.0',
  ]

  async run(): Promise<SandboxUpResult> {
    const {flags} = await this.parse(SandboxUp)
    this.handlesInterrupt = true
    if (flags['apt-repo'] && !existsSync(join(flags['apt-repo'], 'Packages'))) {
      throw usageError('SANDBOX_APT_REPO_INVALID', `${flags['apt-repo']} holds no Packages index: it is not a flat apt repository.`, ['Point --apt-repo at a directory with Packages and the .deb files (dpkg-scanpackages . > Packages).'])
    }
    const fixtureOdoo = flags['apt-repo'] ?? (flags['fixture-odoo'] ? await buildFixtureRepo(this.dirs.cacheDir, flags['fixture-series'] as FixtureSeries) : undefined)
    const progress = (message: string) => this.ui.debug(message)
    this.ui.note(`Booting ${flags.count} sandbox${flags.count > 1 ? 'es' : ''}…`)
    const result = await sandboxUp({
      dataDir: this.dirs.dataDir,
      cacheDir: this.dirs.cacheDir,
      name: flags.name,
      count: flags.count,
      image: flags.image,
      fixtureOdoo,
      register: flags.register,
      store: flags.register ? await this.state() : undefined,
      signal: this.abort.signal,
      onProgress: progress,
    })
    this.auditContext = {host: result.sandboxes.map((s) => s.name).join(','), details: {sandboxes: result.sandboxes.map((s) => ({name: s.name, address: s.address, hostKey: s.hostKey}))}}
    this.ui.table(result.sandboxes, [
      {header: 'Name', get: (s) => s.name},
      {header: 'Address', get: (s) => s.address},
      {header: 'Host key', get: (s) => s.hostKey},
      {header: 'Boot', get: (s) => `${s.bootSeconds} s`, align: 'right'},
      {header: 'Registered', get: (s) => (s.registered ? 'yes' : 'no')},
    ])
    this.ui.log('')
    const first = result.sandboxes[0]
    this.ui.log(`Log in: ssh -i ${first.identityFile} ${first.user}@${first.address}`)
    if (first.registered) this.ui.log(`Or: odoops host check ${first.name}`)
    if (first.fixtureAptSource && flags['apt-repo']) {
      this.ui.log('')
      this.ui.log(`${flags['apt-repo']} is mounted in each sandbox; its apt source there: ${first.fixtureAptSource}`)
    } else if (first.fixtureAptSource) {
      this.ui.log('')
      this.ui.log('The Odoo in these sandboxes is the FIXTURE Odoo: a small stand-in package for tests and demos, not the real Odoo.')
      this.ui.log(`Its apt source inside each sandbox: ${first.fixtureAptSource}`)
    }
    this.ui.log(`Remove with: odoops sandbox down ${result.sandboxes.length > 1 ? '--all' : `--name ${first.name}`}`)
    return result
  }
}

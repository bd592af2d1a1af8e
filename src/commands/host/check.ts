import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {checkHost, type HostCheckResult} from '../../lib/hosts/index.js'
import {ExitCode} from '../../lib/errors.js'
import {closeAllSsh} from '../../lib/ssh/index.js'

export default class HostCheck extends OdoopsCommand<HostCheckResult> {
  static override usesSsh = true
  static override summary = 'check that a host can run Odoo: OS, CPU, memory, disk, systemd, PostgreSQL, nginx, Odoo'
  static override description = 'Exits 1 when the host cannot run Odoo (the problems say why); warnings alone exit 0. The facts are stored on the host record.'
  static override args = {name: Args.string({description: 'host name', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> web1', '<%= config.bin %> <%= command.id %> web1 --json']

  async run(): Promise<HostCheckResult> {
    const {args} = await this.parse(HostCheck)
    let result: HostCheckResult
    try {
      result = await checkHost(await this.state(), args.name)
    } finally {
      await closeAllSsh()
    }
    const f = result.facts
    const yes = (b: boolean) => (b ? 'yes' : 'no')
    this.ui.table(
      [
        ['OS', `${f.os.name || f.os.id} (${f.os.arch})`],
        ['CPUs', String(f.cpus)],
        ['Memory', `${f.memoryMb} MB`],
        ...Object.entries(f.diskFreeMb).map(([p, mb]) => [`Free on ${p}`, `${(mb / 1024).toFixed(1)} GB`]),
        ['systemd', yes(f.systemd)],
        ['Root', f.user === 'root' ? 'yes (root login)' : `${yes(f.root)} (sudo as ${f.user})`],
        ['PostgreSQL', f.postgresql.installed ? `${f.postgresql.versions.join(', ')}, ${f.postgresql.running ? 'running' : 'stopped'}` : 'not installed'],
        ['nginx', f.nginx.installed ? `${f.nginx.version ?? ''}, ${f.nginx.running ? 'running' : 'stopped'}` : 'not installed'],
        ['Odoo', f.odoo.package ?? f.odoo.version ?? 'not installed'],
      ],
      [
        {header: 'Check', get: (r) => r[0]},
        {header: args.name, get: (r) => r[1]},
      ],
    )
    for (const p of result.problems) {
      if (p.level === 'warning') this.ui.warn(p.message)
      else this.ui.problem('Problem:', p.message)
    }
    if (result.ok) this.ui.log(`${args.name} can run Odoo.`)
    else {
      this.ui.note(`${args.name} cannot run Odoo (see the problems above).`)
      process.exitCode = ExitCode.FAILURE
    }
    return result
  }
}

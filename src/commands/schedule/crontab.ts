import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {systemTimeZone} from '../../lib/schedule/cron.js'
import {renderCrontab} from '../../lib/schedule/crontab.js'
import {dirsEnv, selfInvocation} from '../../lib/schedule/invocation.js'
import {loadSchedule} from '../../lib/schedule/source.js'
import {stateArgument} from '../../lib/schedule/state-arg.js'
import type {ScheduleSource} from '../../lib/schedule/types.js'
import type {CrontabLine} from '../../lib/schedule/crontab.js'

export interface ScheduleCrontabResult {
  source: ScheduleSource
  crontab: string
  lines: CrontabLine[]
}

export default class ScheduleCrontab extends OdoopsCommand<ScheduleCrontabResult> {
  static override summary = 'print crontab lines that run the schedule with system cron instead of the daemon'
  static override description = `One line per enabled job, calling odoops schedule exec <job> with absolute paths (cron's PATH is minimal), this run's config/data dirs, and --state when it was given. Jobs are grouped under CRON_TZ=<zone> lines: cronie and systemd-cron honour it, Debian's cron does not (it reads every line in the system zone; such lines are flagged). Never prints a secret: a PostgreSQL password in --state is left out (put it in ~/.pgpass of the cron user), ODOOPS_SECRET_KEY is not copied (use <config dir>/secret.key). Use the daemon or cron, not both on one host (the locks make it safe, but twice the work is attempted). See docs/unattended.md.`
  static override flags = {
    bin: Flags.string({description: 'command that runs odoops (default: this node and script, absolute)'}),
    log: Flags.string({description: 'append each run\'s JSON lines to this file (default: cron mails them)'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> > odoops.cron && crontab odoops.cron', '<%= config.bin %> <%= command.id %> --bin /usr/local/bin/odoops --log /var/log/odoops/schedule.log']

  async run(): Promise<ScheduleCrontabResult> {
    const {flags} = await this.parse(ScheduleCrontab)
    const store = await this.state()
    const loaded = await loadSchedule(store, this.dirs.configDir)
    const {state, passwordDropped} = stateArgument(this.globalFlags.state, store.location)
    if (passwordDropped) this.ui.warn('The password in --state/ODOOPS_STATE is not printed: put it in ~/.pgpass of the user whose crontab this is (or PGPASSWORD in its environment).')
    if (process.env.ODOOPS_SECRET_KEY) this.ui.warn(`ODOOPS_SECRET_KEY is set here but cron will not have it: keep the key in ${this.dirs.configDir}/secret.key (mode 600) instead.`)
    const bin = flags.bin ? flags.bin.split(/\s+/).filter(Boolean) : selfInvocation()
    const {text: crontab, lines} = renderCrontab(loaded, {bin, state, env: dirsEnv(this.dirs), logFile: flags.log, systemZone: systemTimeZone(), generatedAt: new Date()})
    this.ui.raw(crontab)
    return {source: loaded.source, crontab, lines}
  }
}

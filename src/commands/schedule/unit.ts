import {Flags} from '@oclif/core'
import {userInfo} from 'node:os'
import {OdoopsCommand} from '../../cli/base-command.js'
import {DEFAULT_GRACE_MS} from '../../lib/schedule/daemon.js'
import {dirsEnv, selfInvocation} from '../../lib/schedule/invocation.js'
import {stateArgument} from '../../lib/schedule/state-arg.js'
import {renderUnit} from '../../lib/schedule/unit.js'

export interface ScheduleUnitResult {
  unit: string
  name: string
  graceSeconds: number
}

export default class ScheduleUnit extends OdoopsCommand<ScheduleUnitResult> {
  static override summary = 'print a systemd unit running the scheduler daemon'
  static override description = `Type=simple service running odoops schedule run as this user, with this run's config/data dirs and --state when given; Restart=on-failure, KillSignal=SIGTERM and TimeoutStopSec = the grace period plus 15 s, so a stop aborts the job in hand cleanly before systemd would kill it. Secrets (ODOOPS_SECRET_KEY, SMTP passwords, webhook tokens named by the schedule's channels) go in the EnvironmentFile, never in the unit. Install: odoops schedule unit > /etc/systemd/system/odoops-scheduler.service && systemctl daemon-reload && systemctl enable --now odoops-scheduler. See docs/unattended.md.`
  static override flags = {
    grace: Flags.integer({description: 'seconds the job in hand gets to clean up on stop', default: DEFAULT_GRACE_MS / 1000, min: 1, max: 3600}),
    user: Flags.string({description: 'user the service runs as (default: the current user)'}),
    bin: Flags.string({description: 'command that runs odoops (default: this node and script, absolute)'}),
    'environment-file': Flags.string({description: 'file with secrets for the service (root-only)', default: '/etc/odoops/scheduler.env'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> > /etc/systemd/system/odoops-scheduler.service', '<%= config.bin %> <%= command.id %> --user odoops --grace 300']

  async run(): Promise<ScheduleUnitResult> {
    const {flags} = await this.parse(ScheduleUnit)
    let state: string | undefined
    if (this.globalFlags.state) {
      const store = await this.state()
      const arg = stateArgument(this.globalFlags.state, store.location)
      state = arg.state
      if (arg.passwordDropped) this.ui.warn(`The password in --state is not printed: put PGPASSWORD=… in ${flags['environment-file']} (or ~/.pgpass of the service user).`)
    }
    const unit = renderUnit({
      bin: flags.bin ? flags.bin.split(/\s+/).filter(Boolean) : selfInvocation(),
      state,
      user: flags.user ?? userInfo().username,
      env: dirsEnv(this.dirs),
      graceSeconds: flags.grace,
      environmentFile: flags['environment-file'],
    })
    this.ui.raw(unit)
    return {unit, name: 'odoops-scheduler.service', graceSeconds: flags.grace}
  }
}

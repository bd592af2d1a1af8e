import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {runSchedulerDaemon} from '../../cli/schedule-runs.js'
import {DEFAULT_GRACE_MS, type DaemonStop} from '../../lib/schedule/daemon.js'

export type ScheduleDaemonResult = DaemonStop

export default class ScheduleDaemon extends OdoopsCommand<ScheduleDaemonResult> {
  static override usesSsh = true
  static override summary = 'the scheduler daemon: run due jobs until stopped, one JSON line per event'
  static override description = `Runs every enabled job of the schedule in force (schedule list) at its cron times, in its time zone, each tenant under the job lock job:<kind>:<tenant>: with several daemons (or cron lines, or ops hosts sharing a PostgreSQL store) each run of each tenant executes once, the others log "skipped: held by <owner>" or "done by …". Logs one JSON object per line on stdout (for journald). A job's failure is logged and notified; the daemon goes on. SIGTERM or SIGINT aborts the job in hand (its partial work is cleaned up: no partial backup, no catalog entry) and exits 0 once it ended, within --grace seconds (exit 1 when the grace ran out); a second signal exits 130 at once. SIGHUP re-reads the schedule. systemd: odoops schedule unit. See docs/unattended.md.`
  static override flags = {
    grace: Flags.integer({description: 'seconds the job in hand gets to clean up after SIGTERM', default: DEFAULT_GRACE_MS / 1000, min: 1, max: 3600}),
    only: Flags.string({description: 'run only this job (repeatable)', multiple: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --grace 120 --state postgres://odoops@db1/odoops']

  async run(): Promise<ScheduleDaemonResult> {
    const {flags} = await this.parse(ScheduleDaemon)
    this.handlesInterrupt = true
    return runSchedulerDaemon(
      {store: await this.state(), configDir: this.dirs.configDir, dataDir: this.dirs.dataDir, settings: this.settings, ui: this.ui, signal: this.abort.signal, box: () => this.secretBox()},
      {graceSeconds: flags.grace, only: flags.only},
    )
  }
}

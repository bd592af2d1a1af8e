import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {ExitCode} from '../../lib/errors.js'
import {configureSshForCommand} from '../../cli/ssh-setup.js'
import {DEFAULT_GRACE_MS, SchedulerDaemon, type DaemonStop} from '../../lib/schedule/daemon.js'
import {jsonLineEmitter} from '../../lib/schedule/events.js'
import {scheduleNotifier} from '../../lib/schedule/invocation.js'
import {findJob, loadSchedule} from '../../lib/schedule/source.js'

export type ScheduleRunResult = DaemonStop

export default class ScheduleRun extends OdoopsCommand<ScheduleRunResult> {
  static override summary = 'the scheduler daemon: run due jobs until stopped, one JSON line per event'
  static override description = `Runs every enabled job of the schedule in force (schedule list) at its cron times, in its time zone, each tenant under the job lock job:<kind>:<tenant>: with several daemons (or cron lines, or ops hosts sharing a PostgreSQL store) each run of each tenant executes once, the others log "skipped: held by <owner>" or "done by …". Logs one JSON object per line on stdout (for journald). A job's failure is logged and notified; the daemon goes on. SIGTERM or SIGINT aborts the job in hand (its partial work is cleaned up: no partial backup, no catalog entry) and exits 0 once it ended, within --grace seconds (exit 1 when the grace ran out); a second signal exits 130 at once. SIGHUP re-reads the schedule. systemd: odoops schedule unit. See docs/unattended.md.`
  static override flags = {
    grace: Flags.integer({description: 'seconds the job in hand gets to clean up after SIGTERM', default: DEFAULT_GRACE_MS / 1000, min: 1, max: 3600}),
    only: Flags.string({description: 'run only this job (repeatable)', multiple: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --grace 120 --state postgres://odoops@db1/odoops']

  async run(): Promise<ScheduleRunResult> {
    const {flags} = await this.parse(ScheduleRun)
    this.handlesInterrupt = true
    const store = await this.state()
    let loaded = await loadSchedule(store, this.dirs.configDir)
    for (const id of flags.only ?? []) findJob(loaded.schedule, id, loaded)
    configureSshForCommand(this.settings, this.ui)
    const emit = jsonLineEmitter((line) => (this.ui.json ? process.stderr : process.stdout).write(line))
    const box = () => this.secretBox()
    const daemon = new SchedulerDaemon(
      {store, dataDir: this.dirs.dataDir, setting: (key) => this.settings.get(key), box},
      {signal: this.abort.signal, graceMs: flags.grace * 1000, emit, notifierFor: (l) => scheduleNotifier(l, {store, box}, emit), only: flags.only},
    )
    const reload = () => {
      loadSchedule(store, this.dirs.configDir).then(
        (next) => {
          loaded = next
          daemon.reload(next)
          emit({event: 'daemon-reload', source: next.source, location: next.location, jobs: next.schedule.jobs.map((j) => j.id)})
        },
        (error: Error) => emit({event: 'daemon-reload', outcome: 'failed', reason: error.message}),
      )
    }
    process.on('SIGHUP', reload)
    emit({event: 'daemon-start', source: loaded.source, location: loaded.location, graceSeconds: flags.grace, ...(loaded.shadowedFile ? {shadowedFile: loaded.shadowedFile} : {})})
    daemon.start(loaded)
    try {
      const stop = await daemon.untilStopped()
      emit({event: 'daemon-stop', outcome: stop.clean ? 'clean' : 'grace-exceeded', runs: stop.runs, stillRunning: stop.stillRunning})
      // Stopping on SIGTERM is the normal end of a service: 0 when the job in hand ended in time.
      process.exitCode = stop.clean ? ExitCode.OK : ExitCode.FAILURE
      // A job that ignored the abort must not keep the process past the grace period.
      if (!stop.clean) setTimeout(() => process.exit(ExitCode.FAILURE), 2000).unref()
      return stop
    } finally {
      process.off('SIGHUP', reload)
    }
  }
}

import {quote} from '../ssh/quote.js'
import {jobTimeZone} from './source.js'
import type {LoadedSchedule} from './types.js'

export interface CrontabOptions {
  /** argv of odoops itself, absolute (cron's PATH is minimal): e.g. [/usr/bin/node, /opt/odoops/bin/run.js]. */
  bin: readonly string[]
  /** Passed as --state when set (never a password: a store location is printed without one). */
  state?: string
  /** Environment lines for cron (ODOOPS_CONFIG_DIR, ODOOPS_DATA_DIR…): paths only, never secrets. */
  env: Record<string, string>
  /** Where each run's JSON lines are appended (default: none, cron mails the output). */
  logFile?: string
  /** The zone cron itself runs in (to flag jobs that depend on CRON_TZ). */
  systemZone: string
  generatedAt: Date
}

/** `%` ends a crontab command (the rest goes to stdin) unless escaped. */
const cronEscape = (text: string) => text.replace(/%/g, '\\%')

/**
 * crontab(5) lines calling `odoops schedule run <job>`, grouped by time zone under a
 * CRON_TZ= line. cronie (Fedora, RHEL, Arch) and systemd-cron read CRON_TZ; Debian's cron
 * ignores it and reads the expressions in the system zone, so jobs in another zone are
 * flagged in a comment (docs/unattended.md: keep their zone equal to the system's there).
 */
export interface CrontabLine {
  job: string
  cron: string
  timezone: string
  /** The command part of the line, as cron hands it to /bin/sh (`%` escaped). */
  command: string
}

export function renderCrontab(loaded: LoadedSchedule, options: CrontabOptions): {text: string; lines: CrontabLine[]} {
  const entries: CrontabLine[] = []
  const lines = [
    `# odoops schedule (${loaded.source}: ${loaded.location}), generated ${options.generatedAt.toISOString()} by \`odoops schedule crontab\`.`,
    '# Install for this user: odoops schedule crontab > odoops.cron && crontab odoops.cron  (replaces the user\'s crontab; merge by hand otherwise).',
    '# Each line exits 0 ok, 1 failed, 3 partly failed, 4 skipped (another run holds the lock or did this run), 130 interrupted.',
    'SHELL=/bin/sh',
  ]
  for (const [name, value] of Object.entries(options.env).sort(([a], [b]) => a.localeCompare(b))) lines.push(`${name}=${value}`)
  const jobs = loaded.schedule.jobs.filter((j) => j.enabled !== false)
  const zones = [...new Set(jobs.map((j) => jobTimeZone(loaded.schedule, j)))]
  for (const zone of zones) {
    lines.push('', `CRON_TZ=${zone}`)
    if (zone !== options.systemZone) lines.push(`# Debian's cron ignores CRON_TZ: there the lines below fire in ${options.systemZone}, not ${zone}.`)
    for (const job of jobs.filter((j) => jobTimeZone(loaded.schedule, j) === zone)) {
      const argv = [...options.bin, 'schedule', 'run', job.id, ...(options.state ? ['--state', options.state] : [])]
      const redirect = options.logFile ? ` >>${quote(options.logFile)} 2>&1` : ''
      const entry = {job: job.id, cron: job.cron.trim().split(/\s+/).join(' '), timezone: zone, command: cronEscape(argv.map((a) => quote(a)).join(' ') + redirect)}
      entries.push(entry)
      lines.push(`# ${job.id}: ${job.kind}${job.description ? ` — ${job.description}` : ''}`)
      lines.push(`${entry.cron} ${entry.command}`)
    }
  }
  if (jobs.length === 0) lines.push('', '# (no enabled jobs)')
  return {text: lines.join('\n') + '\n', lines: entries}
}

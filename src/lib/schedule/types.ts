/**
 * The schedule file (`schedule.yaml` in the config dir, or stored with `schedule apply`):
 * jobs with a cron expression and time zone, the tenants they cover, options by kind, and
 * which notification channels hear about failures and summaries. Channels are declared in
 * the same file (src/lib/notify/types.ts); their secrets are named, never written in it.
 */
import type {ChannelSpec} from '../notify/types.js'

export const JOB_KINDS = ['backup', 'verify', 'prune', 'meter', 'invoice-generate', 'status', 'release'] as const
export type JobKind = (typeof JOB_KINDS)[number]

/** Which tenants a job covers: every one, or those matching all the given criteria. */
export type Selection = 'all' | {plan?: string; host?: string; tag?: string; tenants?: string[]}

export interface NotifyRouting {
  /** Channels told at once about each failed tenant. */
  failures?: string[]
  /** Channels sent one summary per run. */
  summaries?: string[]
}

export interface JobSpec {
  id: string
  kind: JobKind
  /** Five-field cron expression (minute hour day-of-month month day-of-week), as crontab(5). */
  cron: string
  /** IANA time zone the expression is read in (default: the file's `timezone`, else UTC). */
  timezone?: string
  select?: Selection
  options?: JobOptions
  notify?: NotifyRouting
  enabled?: boolean
  description?: string
}

/** Options by kind; the schema allows only the ones of the job's kind. */
export interface JobOptions {
  /** backup: target name (default: backup.defaultTarget, else `default`). */
  target?: string
  /** backup, verify, meter, status: tenants worked on at once per host. */
  perHost?: number
  /** verify: spread the tenants over N runs (each tenant verified once every N runs of a daily job). */
  rotate?: number
  /** verify: on the runs off its rotation turn, a tenant's newest backup gets the quick check (checksums and catalog on the target; default true when rotate > 1). */
  quick?: boolean
  /** verify: restore on this registered host instead of the tenant's. */
  host?: string
  /** prune, invoice-generate: compute and report only. */
  dryRun?: boolean
  /** prune: override the retention counts. */
  keepDaily?: number
  keepWeekly?: number
  keepMonthly?: number
  /** meter: only these metrics. */
  metrics?: string[]
  /** invoice-generate: `previous` (default), `current`, or YYYY-MM. */
  period?: string
  /** status: a tenant whose newest backup is older than this many hours fails the job. */
  maxBackupAgeHours?: number
  /** status: same for the newest verified backup. */
  maxVerifiedAgeHours?: number
  /** status: run the packs' fleet checks on the active tenants they concern (default true; false: the store only, no host contacted). */
  packChecks?: boolean
  /** status: read the tenant's served certificate on its host; fewer days left than this, an unreadable file or certbot's last renewal failed fails the unit. */
  certificateDays?: number
  /** release (required): the release applied in the job's window (`odoops release plan` gave its id). */
  release?: string
  /** release: update at most this many hosts per run (the next run goes on with the rest). */
  canary?: number
  /** release: also update hosts with a tenant that failed rehearsal. */
  includeFailed?: boolean
}

export interface ScheduleFile {
  version: 1
  /** Default time zone of the jobs (IANA name). */
  timezone?: string
  channels?: Record<string, ChannelSpec>
  /** Routing used by jobs that have no `notify` of their own. */
  notify?: NotifyRouting
  jobs: JobSpec[]
}

export type ScheduleSource = 'store' | 'file' | 'defaults'

export interface LoadedSchedule {
  schedule: ScheduleFile
  source: ScheduleSource
  /** The file path (source file), the store location (store), or `built-in defaults`. */
  location: string
  /** When the store's schedule shadows a schedule.yaml in the config dir. */
  shadowedFile?: string
}

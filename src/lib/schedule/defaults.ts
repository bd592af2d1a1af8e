import type {ScheduleFile} from './types.js'

/**
 * What runs when no schedule was applied and there is no schedule.yaml: what a partner
 * expects of a managed Odoo (times in UTC, after European business hours, before the day
 * starts in the Americas... adjust with your own file).
 * - nightly backup of every tenant;
 * - each night a seventh of the tenants get their newest backup verified (a scratch
 *   restore), so every tenant's newest backup is verified once a week;
 * - daily prune (retention from backup.retention / backup.retentionByPlan) and meter;
 * - invoice drafts for the previous month on the 1st.
 */
export const DEFAULT_SCHEDULE: ScheduleFile = {
  version: 1,
  timezone: 'UTC',
  jobs: [
    {id: 'nightly-backup', kind: 'backup', cron: '0 1 * * *', select: 'all', description: 'back up every active or stopped tenant'},
    {id: 'rotating-verify', kind: 'verify', cron: '0 4 * * *', select: 'all', options: {rotate: 7}, description: "restore a seventh of the tenants' newest backups each night (every tenant weekly); the quick check (checksums, catalog) of the others"},
    {id: 'daily-prune', kind: 'prune', cron: '30 5 * * *', select: 'all', description: 'delete old backups by the retention rules'},
    {id: 'daily-meter', kind: 'meter', cron: '45 23 * * *', select: 'all', description: "record the day's usage snapshots"},
    {id: 'monthly-invoices', kind: 'invoice-generate', cron: '0 6 1 * *', options: {period: 'previous'}, description: "draft last month's invoices"},
  ],
}

import type {SshConnection} from '../ssh/connection.js'
import {shell} from '../ssh/quote.js'
import type {StateStore} from '../state/store.js'
import type {OnboardingRun} from '../onboard/record.js'
import {loadTemplate} from '../templates/catalog.js'
import type {TemplateCheck} from '../templates/types.js'

/**
 * A template's smoke checks (`checks:` in templates/*.yaml), run by a release on a tenant's
 * database after its update: on the rehearsal copy (by the new build) and after the rollout
 * (by the installed one, the service running). `read` and `report` run in `odoo shell` as the
 * tenant's admin user, inside a transaction that is rolled back; `count` joins the row counts
 * taken before and after the `-u` while the service is stopped (keptCounts).
 */
export interface SmokeResult {
  check: string
  ok: boolean
  detail: string
}

export const checkLabel = (check: TemplateCheck): string => Object.entries(check).map(([kind, name]) => `${kind} ${name}`)[0]

/** The table of a `count` check's model, by Odoo's default rule (`_table` = the model name with `_` for `.`). */
export const countTable = (model: string): string => model.replaceAll('.', '_')

export const countTables = (checks: readonly TemplateCheck[] | undefined): string[] => (checks ?? []).flatMap((c) => ('count' in c ? [countTable(c.count)] : []))

/**
 * The checks of the template each tenant was onboarded from: the template as it is now when it
 * still loads (a partner adds checks to a template for tenants onboarded before), else as it was
 * when onboarded (the run keeps a snapshot). None for a tenant made by `tenant create`. The runs
 * are read once and each template loaded once, however many tenants a release plans.
 */
export async function templateChecksLookup(store: Pick<StateStore, 'onboardingRuns'>): Promise<(slug: string) => {template: string; checks: TemplateCheck[]} | undefined> {
  const newest = new Map<string, OnboardingRun>()
  for (const run of (await store.onboardingRuns.list()) as OnboardingRun[]) {
    if (run.state !== 'done') continue
    const seen = newest.get(run.customer)
    if (!seen || (seen.finishedAt ?? '') <= (run.finishedAt ?? '')) newest.set(run.customer, run)
  }
  const current = new Map<string, TemplateCheck[] | undefined | null>()
  const loaded = (name: string) => {
    if (!current.has(name)) {
      try {
        current.set(name, loadTemplate(name).template.checks)
      } catch {
        // Gone or invalid since: the snapshot's checks.
        current.set(name, null)
      }
    }
    return current.get(name)
  }
  return (slug) => {
    const run = newest.get(slug)
    if (!run) return undefined
    const now = loaded(run.template)
    const checks = now === null ? run.templateSnapshot?.checks : now
    return checks?.length ? {template: run.template, checks} : undefined
  }
}

const MARK = 'ODOOPS_SMOKE '

/** Python for `odoo shell`: each check in a savepoint, the whole transaction rolled back; one JSON line out. */
function smokeScript(checks: readonly TemplateCheck[]): string {
  // The checks travel as a JSON string literal: json.dumps output is a valid Python string literal body once quoted by json itself.
  return `import json
checks = json.loads(${JSON.stringify(JSON.stringify(checks))})
admin = env.ref('base.user_admin')
out = []
for check in checks:
    kind, name = next(iter(check.items()))
    label = '%s %s' % (kind, name)
    if kind == 'count':
        continue
    try:
        with env.cr.savepoint():
            if kind == 'read':
                if name not in env:
                    raise LookupError('no model %s in this database' % name)
                rows = env[name].with_user(admin).search_read([], limit=5)
                detail = '%d record(s) read' % len(rows)
            else:
                Report = env['ir.actions.report']
                report = env.ref(name, raise_if_not_found=False) if name.count('.') == 1 else None
                if report is None or report._name != 'ir.actions.report':
                    report = Report.search([('report_name', '=', name)], limit=1)
                if not report:
                    raise LookupError('no report %s in this database' % name)
                record = env[report.model].with_user(admin).search([], order='id desc', limit=1)
                if not record:
                    detail = 'no %s record to render: not rendered' % report.model
                else:
                    html, _kind = Report.with_user(admin)._render_qweb_html(report.report_name, record.ids)
                    if not html:
                        raise ValueError('rendered nothing')
                    detail = '%s %s rendered (%d bytes)' % (report.model, record.id, len(html))
        out.append({'check': label, 'ok': True, 'detail': detail})
    except Exception as error:
        out.append({'check': label, 'ok': False, 'detail': '%s: %s' % (type(error).__name__, str(error).strip().splitlines()[0] if str(error).strip() else '')})
env.cr.rollback()
print(${JSON.stringify(MARK)} + json.dumps(out), flush=True)
`
}

/** How the shell is started: the installed `odoo`, or a build unpacked at `tree` with this addons_path. */
export interface SmokeRunner {
  tree?: string
  addonsPath?: readonly string[]
}

/** Runs the `read` and `report` checks on `database`; the `count` ones are compared by the caller. */
export async function runSmokeChecks(conn: SshConnection, config: string, database: string, checks: readonly TemplateCheck[], runner: SmokeRunner = {}): Promise<SmokeResult[]> {
  if (!checks.some((c) => !('count' in c))) return []
  const args = ['shell', '-c', config, '-d', database, '--no-http', '--log-level=warn', ...(runner.addonsPath ? [`--addons-path=${runner.addonsPath.join(',')}`] : [])]
  const odoo = runner.tree
    ? shell`cd /tmp && runuser -u odoo -- env PYTHONPATH=${`${runner.tree}/usr/lib/python3/dist-packages`} python3 ${`${runner.tree}/usr/bin/odoo`} ${args}`
    : shell`cd /tmp && runuser -u odoo -- odoo ${args}`
  const run = await conn.exec(odoo, {root: true, stdin: smokeScript(checks), timeoutMs: 10 * 60_000})
  const line = run.stdout.toString().split('\n').find((l) => l.startsWith(MARK))
  if (!line) {
    const tail = (run.stderr.toString() || run.stdout.toString()).trim().split('\n').slice(-6).join('\n')
    return [{check: 'odoo shell', ok: false, detail: `the smoke checks did not run (exit ${run.code ?? run.signal}): ${tail}`}]
  }
  return JSON.parse(line.slice(MARK.length)) as SmokeResult[]
}

/** One line for a check report: every failure named, or how many passed. */
export function smokeSummary(results: readonly SmokeResult[]): string {
  const failed = results.filter((r) => !r.ok)
  return failed.length ? failed.map((r) => `${r.check}: ${r.detail}`).join('; ') : `${results.length} smoke check(s) pass`
}

import {humanDuration, percent} from './format.js'
import type {FleetReport} from './report.js'
import {CHART_COLORS, donut, escapeXml, horizontalBarChart, stackedBarChart} from './svg.js'

/**
 * The scorecard as one self-contained HTML page: inline CSS, inline SVG charts, no
 * script and no external resource (it opens offline, in a mail attachment, and prints).
 */
const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: ${CHART_COLORS.text}; background: #fff; }
header { border-bottom: 3px solid ${CHART_COLORS.accent}; margin-bottom: 24px; padding-bottom: 12px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { font-size: 18px; margin: 28px 0 12px; border-bottom: 1px solid ${CHART_COLORS.grid}; padding-bottom: 4px; }
.muted { color: #616161; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.tile { border: 1px solid ${CHART_COLORS.grid}; border-radius: 8px; padding: 12px 14px; background: #fafafa; }
.tile .value { font-size: 26px; font-weight: 700; }
.tile .label { color: #616161; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.donuts { display: flex; flex-wrap: wrap; gap: 28px; }
.donuts figure { margin: 0; text-align: center; }
figcaption { font-size: 12px; color: #616161; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid ${CHART_COLORS.grid}; }
th { background: #f5f5f5; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { max-width: 100%; height: auto; display: block; }
section { break-inside: avoid; page-break-inside: avoid; }
footer { margin-top: 32px; font-size: 12px; color: #757575; }
@media print {
  body { padding: 0; font-size: 12px; }
  .tile { background: #fff; }
  h2 { break-after: avoid; }
  @page { margin: 15mm; }
}
`

const cell = (text: string, num = false) => `<td${num ? ' class="num"' : ''}>${escapeXml(text)}</td>`

function tile(label: string, value: string, hint?: string): string {
  return `<div class="tile"><div class="label">${escapeXml(label)}</div><div class="value">${escapeXml(value)}</div>${hint ? `<div class="muted">${escapeXml(hint)}</div>` : ''}</div>`
}

export function renderReportHtml(report: FleetReport, options: {partner?: string} = {}): string {
  const {onboarding, backups, verification, fairUse} = report
  const title = `Partner scorecard ${report.period}`
  const goLiveChart = horizontalBarChart({
    title: 'Time to go-live per onboarding',
    bars: onboarding.goLive.map((g) => ({label: g.tenant, value: g.goLiveMs / 60_000, text: humanDuration(g.goLiveMs)})),
    color: CHART_COLORS.accent,
    emptyMessage: 'No tenant went live in this period',
  })
  const backupChart = stackedBarChart({
    title: 'Tenant backups per day',
    labels: backups.byDay.map((d) => String(Number(d.date.slice(8, 10)))),
    series: [
      {name: 'succeeded', color: CHART_COLORS.success, values: backups.byDay.map((d) => d.succeeded)},
      {name: 'failed', color: CHART_COLORS.failure, values: backups.byDay.map((d) => d.failed)},
    ],
    emptyMessage: 'No backup run in this period',
  })
  const fairUseChart = horizontalBarChart({
    title: 'Fair-use breaches (usage / threshold)',
    bars: fairUse.breaches.map((b) => ({label: `${b.tenant} ${b.metric}`, value: b.ratio, text: `${b.value} / ${b.threshold}`, color: CHART_COLORS.warning})),
    reference: {value: 1, label: 'threshold'},
    emptyMessage: 'No tenant over fair use in this period',
  })
  const goLiveRows = onboarding.goLive
    .map((g) => `<tr>${cell(g.tenant)}${cell(g.source)}${cell(g.template ?? '')}${cell(g.startedAt.replace('T', ' ').slice(0, 16))}${cell(g.finishedAt.replace('T', ' ').slice(0, 16))}${cell(humanDuration(g.goLiveMs), true)}</tr>`)
    .join('')
  const breachRows = fairUse.breaches
    .map((b) => `<tr>${cell(b.tenant)}${cell(`${b.plan}@${b.planVersion}`)}${cell(b.metric)}${cell(b.value, true)}${cell(String(b.threshold), true)}${cell(b.action)}</tr>`)
    .join('')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeXml(title)}</h1>
<div class="muted">${escapeXml(options.partner ? `${options.partner} · ` : '')}${escapeXml(report.from.slice(0, 10))} to ${escapeXml(report.to.slice(0, 10))} (UTC) · generated ${escapeXml(report.generatedAt.replace('T', ' ').slice(0, 16))} UTC by odoops fleet report</div>
</header>
<section id="kpis">
<div class="tiles">
${tile('Tenants onboarded', String(onboarding.tenantsOnboarded), `${onboarding.runsStarted} onboarding runs started, ${onboarding.runsFailed} failed`)}
${tile('Median time to go-live', humanDuration(onboarding.goLiveStats.medianMs), `max ${humanDuration(onboarding.goLiveStats.maxMs)}`)}
${tile('Backup success', percent(backups.successRate), `${backups.succeeded} of ${backups.attempts} tenant backups`)}
${tile('Verification pass rate', percent(verification.passRate), `${verification.verified} verified, ${verification.failed} failed, ${verification.errors} not run`)}
${tile('Fair-use breaches', String(fairUse.breaches.length), `${fairUse.tenantsInBreach} of ${fairUse.tenantsChecked} tenants checked`)}
</div>
</section>
<section id="onboarding">
<h2>Onboarding: time to go-live</h2>
${goLiveChart}
${goLiveRows ? `<table><thead><tr><th>Tenant</th><th>Source</th><th>Template</th><th>Started</th><th>Live</th><th class="num">Time to go-live</th></tr></thead><tbody>${goLiveRows}</tbody></table>` : ''}
</section>
<section id="backups">
<h2>Backups</h2>
${backupChart}
<div class="donuts">
<figure>${donut({title: 'Backup success rate', rate: backups.successRate, color: CHART_COLORS.success})}<figcaption>Backup success (${backups.succeeded}/${backups.attempts})</figcaption></figure>
<figure>${donut({title: 'Verification pass rate', rate: verification.passRate, color: CHART_COLORS.accent})}<figcaption>Verification pass rate (${verification.verified}/${verification.verified + verification.failed})</figcaption></figure>
<figure>${donut({title: 'Verification coverage', rate: backups.verificationCoverage, color: CHART_COLORS.warning})}<figcaption>Backups taken and verified (${backups.takenVerified}/${backups.taken})</figcaption></figure>
</div>
</section>
<section id="fair-use">
<h2>Fair use</h2>
${fairUseChart}
${breachRows ? `<table><thead><tr><th>Tenant</th><th>Plan</th><th>Metric</th><th class="num">Usage</th><th class="num">Threshold</th><th>Action</th></tr></thead><tbody>${breachRows}</tbody></table>` : ''}
</section>
<footer>Definitions: docs/fleet.md. Backups and verifications count what <code>backup run</code> and <code>backup verify</code> recorded in the audit trail; onboardings come from the onboarding runs and the audit trail; fair use is each plan's aggregation over the period against its thresholds.</footer>
</body>
</html>
`
}

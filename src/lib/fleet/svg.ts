/**
 * Tiny SVG chart renderers for the self-contained HTML report: no library, no script, no
 * external resource, so the page renders the same in a browser, a mail client and on paper.
 * Every text passes through escapeXml.
 */
export const CHART_COLORS = {
  success: '#2e7d32',
  failure: '#c62828',
  accent: '#1565c0',
  warning: '#ef6c00',
  grid: '#e0e0e0',
  axis: '#757575',
  text: '#212121',
  track: '#eeeeee',
} as const

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

const fmt = (n: number) => String(Math.round(n * 100) / 100)

/** 1, 2, 5 × 10^k steps: a readable axis maximum and tick step for `max`. */
export function niceScale(max: number, ticks = 4): {max: number; step: number} {
  if (!(max > 0)) return {max: 1, step: 1}
  const raw = max / ticks
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude
  return {max: Math.ceil(max / step) * step, step}
}

function emptyChart(width: number, height: number, title: string, message: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" fill="#fafafa" stroke="${CHART_COLORS.grid}"/><text x="${width / 2}" y="${height / 2}" text-anchor="middle" dominant-baseline="middle" fill="${CHART_COLORS.axis}" font-size="14">${escapeXml(message)}</text></svg>`
}

export interface Series {
  name: string
  color: string
  values: number[]
}

/** Vertical stacked bars, one per label (days of a month), with a y axis and a legend. */
export function stackedBarChart(options: {title: string; labels: string[]; series: Series[]; width?: number; height?: number; emptyMessage?: string}): string {
  const width = options.width ?? 720
  const height = options.height ?? 260
  const totals = options.labels.map((_, i) => options.series.reduce((t, s) => t + (s.values[i] ?? 0), 0))
  if (totals.every((t) => t === 0)) return emptyChart(width, height, options.title, options.emptyMessage ?? 'No data in this period')
  const left = 40
  const right = 10
  const top = 28
  const bottom = 28
  const plotW = width - left - right
  const plotH = height - top - bottom
  const scale = niceScale(Math.max(...totals))
  const y = (v: number) => top + plotH - (v / scale.max) * plotH
  const slot = plotW / options.labels.length
  const barW = Math.max(2, slot * 0.7)
  const parts: string[] = []
  for (let v = 0; v <= scale.max + 1e-9; v += scale.step) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="${CHART_COLORS.grid}"/>`)
    parts.push(`<text x="${left - 6}" y="${fmt(y(v))}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="${CHART_COLORS.axis}">${fmt(v)}</text>`)
  }
  options.labels.forEach((label, i) => {
    let base = 0
    const x = left + i * slot + (slot - barW) / 2
    for (const s of options.series) {
      const v = s.values[i] ?? 0
      if (v > 0) {
        parts.push(`<rect class="bar" x="${fmt(x)}" y="${fmt(y(base + v))}" width="${fmt(barW)}" height="${fmt(y(base) - y(base + v))}" fill="${s.color}"><title>${escapeXml(`${label}: ${v} ${s.name}`)}</title></rect>`)
      }
      base += v
    }
    // Every label when they fit, else every few (day numbers of a month need ~14 px each).
    const every = Math.ceil(16 / slot)
    if (i % every === 0) parts.push(`<text x="${fmt(left + i * slot + slot / 2)}" y="${height - bottom + 16}" text-anchor="middle" font-size="11" fill="${CHART_COLORS.axis}">${escapeXml(label)}</text>`)
  })
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${fmt(y(0))}" y2="${fmt(y(0))}" stroke="${CHART_COLORS.axis}"/>`)
  let lx = left
  for (const s of options.series) {
    parts.push(`<rect x="${lx}" y="8" width="12" height="12" fill="${s.color}"/><text x="${lx + 16}" y="18" font-size="12" fill="${CHART_COLORS.text}">${escapeXml(s.name)}</text>`)
    lx += 24 + s.name.length * 7
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(options.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg>`
}

export interface HorizontalBar {
  label: string
  value: number
  /** Text at the end of the bar (the formatted value). */
  text: string
  color?: string
}

/** Horizontal bars, one row per item, with an optional reference line (a threshold at 1.0). */
export function horizontalBarChart(options: {title: string; bars: HorizontalBar[]; width?: number; color?: string; reference?: {value: number; label: string}; emptyMessage?: string}): string {
  const width = options.width ?? 720
  const rowH = 26
  if (options.bars.length === 0) return emptyChart(width, 80, options.title, options.emptyMessage ?? 'No data in this period')
  const labelW = Math.min(220, Math.max(80, ...options.bars.map((b) => b.label.length * 7 + 10)))
  const textW = 90
  const top = options.reference ? 22 : 6
  const height = top + options.bars.length * rowH + 6
  const plotW = width - labelW - textW
  const max = Math.max(...options.bars.map((b) => b.value), options.reference?.value ?? 0) || 1
  const x = (v: number) => labelW + (v / max) * plotW
  const parts: string[] = []
  options.bars.forEach((b, i) => {
    const yTop = top + i * rowH
    parts.push(`<text x="${labelW - 8}" y="${yTop + rowH / 2}" text-anchor="end" dominant-baseline="middle" font-size="12" fill="${CHART_COLORS.text}">${escapeXml(b.label)}</text>`)
    parts.push(`<rect x="${labelW}" y="${yTop + 4}" width="${fmt(plotW)}" height="${rowH - 8}" fill="${CHART_COLORS.track}"/>`)
    parts.push(`<rect class="bar" x="${labelW}" y="${yTop + 4}" width="${fmt(Math.max(1, x(b.value) - labelW))}" height="${rowH - 8}" fill="${b.color ?? options.color ?? CHART_COLORS.accent}"><title>${escapeXml(`${b.label}: ${b.text}`)}</title></rect>`)
    parts.push(`<text x="${fmt(x(b.value) + 6)}" y="${yTop + rowH / 2}" dominant-baseline="middle" font-size="12" fill="${CHART_COLORS.text}">${escapeXml(b.text)}</text>`)
  })
  if (options.reference) {
    const rx = fmt(x(options.reference.value))
    parts.push(`<line x1="${rx}" x2="${rx}" y1="${top - 4}" y2="${height - 2}" stroke="${CHART_COLORS.text}" stroke-dasharray="4 3"/>`)
    parts.push(`<text x="${rx}" y="12" text-anchor="middle" font-size="11" fill="${CHART_COLORS.text}">${escapeXml(options.reference.label)}</text>`)
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(options.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg>`
}

/** A ring showing a rate (0..1) with the percentage in the middle; a grey ring with "n/a" when null. */
export function donut(options: {title: string; rate: number | null; color: string; size?: number}): string {
  const size = options.size ?? 140
  const r = size / 2 - 12
  const c = 2 * Math.PI * r
  const center = size / 2
  const label = options.rate === null ? 'n/a' : `${(options.rate * 100).toFixed(options.rate === 1 || options.rate === 0 ? 0 : 1)}%`
  const arc =
    options.rate === null || options.rate <= 0
      ? ''
      : `<circle class="arc" cx="${center}" cy="${center}" r="${fmt(r)}" fill="none" stroke="${options.color}" stroke-width="18" stroke-dasharray="${fmt(c * Math.min(1, options.rate))} ${fmt(c)}" transform="rotate(-90 ${center} ${center})"/>`
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart donut" role="img" aria-label="${escapeXml(`${options.title}: ${label}`)}" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" font-family="sans-serif"><circle cx="${center}" cy="${center}" r="${fmt(r)}" fill="none" stroke="${CHART_COLORS.track}" stroke-width="18"/>${arc}<text x="${center}" y="${center}" text-anchor="middle" dominant-baseline="middle" font-size="20" font-weight="bold" fill="${CHART_COLORS.text}">${escapeXml(label)}</text></svg>`
}

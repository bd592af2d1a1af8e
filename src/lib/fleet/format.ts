/** Durations as partners read them: 45s, 12m 30s, 3h 05m, 2.5 d. */
export function humanDuration(ms: number | null): string {
  if (ms === null) return 'n/a'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${(s / 86_400).toFixed(1)} d`
}

/** A rate (0..1) as a percentage, `n/a` when there was nothing to rate. */
export function percent(rate: number | null): string {
  if (rate === null) return 'n/a'
  return `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`
}

/** Hours as an age: 5.2 h, 3.1 days. */
export function humanAge(hours: number | null): string {
  if (hours === null) return 'none'
  if (hours < 1) return `${Math.round(hours * 60)} min`
  return hours >= 48 ? `${(hours / 24).toFixed(1)} d` : `${hours.toFixed(1)} h`
}

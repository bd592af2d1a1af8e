/**
 * Just enough of npm's semver ranges to check a pack's `apiVersion` against PACK_API_VERSION:
 * `1.2.3`, `1.x`, `1`, `*`, `^1.2.3`, `~1.2.3`, comparators `>=1.0.0 <2.0.0`, and `a || b`.
 * Pre-release versions are not supported (the API has none).
 */
type Version = [number, number, number]

function parse(text: string): {version: Version; wild: number} | undefined {
  const m = /^v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/i.exec(text.trim())
  if (!m) return undefined
  const parts = [m[1], m[2], m[3]]
  const wild = parts.findIndex((p) => p === undefined || /^[x*]$/i.test(p))
  const version = parts.map((p) => (p === undefined || /^[x*]$/i.test(p) ? 0 : Number(p))) as Version
  return {version, wild: wild === -1 ? 3 : wild}
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}

/** Smallest version above every version matching the first `fixed` parts. */
function bump(v: Version, fixed: number): Version {
  if (fixed === 0) return [Number.MAX_SAFE_INTEGER, 0, 0]
  const out: Version = [v[0], v[1], v[2]]
  out[fixed - 1]++
  for (let i = fixed; i < 3; i++) out[i] = 0
  return out
}

type Test = (v: Version) => boolean

function comparator(token: string): Test | undefined {
  const m = /^(\^|~|>=|<=|>|<|=)?\s*(.+)$/.exec(token)
  if (!m) return undefined
  const parsed = parse(m[2])
  if (!parsed) return undefined
  const {version, wild} = parsed
  switch (m[1] ?? '') {
    case '^': {
      // ^1.2.3 := >=1.2.3 <2.0.0; ^0.2.3 := <0.3.0; ^0.0.3 := <0.0.4 (the first non-zero part is fixed)
      const fixed = version[0] > 0 || wild <= 1 ? 1 : version[1] > 0 || wild <= 2 ? 2 : 3
      const upper = bump(version, Math.min(fixed, wild))
      return (v) => compare(v, version) >= 0 && compare(v, upper) < 0
    }
    case '~': {
      const upper = bump(version, Math.min(wild, 2) || 1)
      return (v) => compare(v, version) >= 0 && compare(v, upper) < 0
    }
    case '>=':
      return (v) => compare(v, version) >= 0
    case '>':
      return wild < 3 ? (v) => compare(v, bump(version, wild)) >= 0 : (v) => compare(v, version) > 0
    case '<=':
      return wild < 3 ? (v) => compare(v, bump(version, wild)) < 0 : (v) => compare(v, version) <= 0
    case '<':
      return (v) => compare(v, version) < 0
    default: {
      if (wild === 3) return (v) => compare(v, version) === 0
      const upper = bump(version, wild)
      return (v) => compare(v, version) >= 0 && compare(v, upper) < 0
    }
  }
}

/** Whether `version` satisfies `range`; undefined when the range cannot be read. */
export function satisfies(version: string, range: string): boolean | undefined {
  const v = parse(version)
  if (!v || v.wild !== 3) return undefined
  const alternatives = range.split('||').map((alt) => alt.trim())
  let any = false
  for (const alt of alternatives) {
    const tokens = alt === '' ? ['*'] : alt.replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1').split(/\s+/)
    const tests = tokens.map(comparator)
    if (tests.some((t) => t === undefined)) return undefined
    if (tests.every((t) => t!(v.version))) any = true
  }
  return any
}

/** Small, pure statistics for the report. Every function ignores nothing: callers filter nulls. */

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0)
}

/** The q-quantile (0..1) by linear interpolation between closest ranks; NaN for no data. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q))
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}

/**
 * Empirical CDF as step points `[x, fraction ≤ x]`, starting at `[min, 0]` so a step chart
 * rises from zero at the first sample.
 */
export function cdf(xs: readonly number[]): Array<[number, number]> {
  if (xs.length === 0) return []
  const s = [...xs].sort((a, b) => a - b)
  const out: Array<[number, number]> = [[s[0], 0]]
  s.forEach((x, i) => {
    out.push([x, (i + 1) / s.length])
  })
  return out
}

/** Least-squares fit of y = c·log2(x) through the origin: c = Σ y·log2 x / Σ (log2 x)². */
export function fitLog2(points: ReadonlyArray<readonly [number, number]>): number {
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    const l = Math.log2(x)
    num += y * l
    den += l * l
  }
  return den === 0 ? Number.NaN : num / den
}

/** Points along y = c·log2(x) for x on a log scale from `from` to `to`. */
export function log2Curve(c: number, from: number, to: number, steps = 40): Array<[number, number]> {
  const out: Array<[number, number]> = []
  const a = Math.log10(from)
  const b = Math.log10(to)
  for (let i = 0; i <= steps; i++) {
    const x = 10 ** (a + ((b - a) * i) / steps)
    out.push([round(x, 1), round(c * Math.log2(x), 1)])
  }
  return out
}

/** Rounds to `digits` decimals (for figures shown to people; keeps JSON small). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Groups `xs` by a key, preserving first-seen order. */
export function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>()
  for (const x of xs) {
    const k = key(x)
    const list = m.get(k)
    if (list) list.push(x)
    else m.set(k, [x])
  }
  return m
}

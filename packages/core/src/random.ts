/** The engine's only source of randomness: `next()` returns a float in [0, 1). */
export interface Random {
  next(): number
}

/** Math.random, for production use. */
export const mathRandom: Random = { next: () => Math.random() }

/**
 * A fast, seedable generator (mulberry32). Same seed, same sequence: simulations and tests
 * use it so any run can be replayed from its seed.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n)
}

/** Fisher–Yates shuffle in place; returns the same array. */
export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1)
    const tmp = items[i]
    items[i] = items[j]
    items[j] = tmp
  }
  return items
}

/**
 * Up to k distinct items of `items` that pass `accept`, chosen uniformly at random without
 * building a copy of the whole list (a partial Fisher–Yates over an index map), so choosing 3
 * of 10,000 costs about 3 steps.
 */
export function sampleK<T>(
  random: Random,
  items: readonly T[],
  k: number,
  accept: (item: T) => boolean = () => true,
): T[] {
  const out: T[] = []
  const swapped = new Map<number, number>()
  const n = items.length
  for (let i = 0; i < n && out.length < k; i++) {
    const j = i + randomInt(random, n - i)
    const pick = swapped.get(j) ?? j
    swapped.set(j, swapped.get(i) ?? i)
    const item = items[pick]
    if (accept(item)) out.push(item)
  }
  return out
}

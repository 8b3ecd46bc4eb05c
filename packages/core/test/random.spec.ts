import assert from 'node:assert/strict'
import { randomInt, sampleK, seededRandom, shuffle } from '@murmur/core'
import { SEED } from './helpers.ts'

/** Pearson's chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0)
  const expected = total / counts.length
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
}

describe('seededRandom', () => {
  it('replays the same sequence from the same seed, and another from another seed', () => {
    const a = seededRandom(SEED)
    const b = seededRandom(SEED)
    const c = seededRandom(SEED + 1)
    const xs = Array.from({ length: 100 }, () => a.next())
    assert.deepEqual(
      Array.from({ length: 100 }, () => b.next()),
      xs,
    )
    assert.notDeepEqual(
      Array.from({ length: 100 }, () => c.next()),
      xs,
    )
  })

  it('stays in [0, 1) and is roughly uniform', () => {
    const r = seededRandom(SEED)
    const buckets = new Array(10).fill(0)
    for (let i = 0; i < 100_000; i++) {
      const x = r.next()
      assert.ok(x >= 0 && x < 1)
      buckets[Math.floor(x * 10)]++
    }
    // 9 degrees of freedom: 27.88 is the 0.999 quantile
    assert.ok(chiSquare(buckets) < 27.88, `chi-square ${chiSquare(buckets)}`)
  })

  it('randomInt covers [0, n) and nothing else', () => {
    const r = seededRandom(SEED)
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) seen.add(randomInt(r, 7))
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6],
    )
  })
})

describe('shuffle (Fisher-Yates)', () => {
  it('returns the same array holding a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i)
    const out = shuffle(seededRandom(SEED), items)
    assert.equal(out, items)
    assert.deepEqual(
      [...out].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    )
  })

  it('makes all 6 orders of 3 items equally likely (a naive shuffle would not)', () => {
    const r = seededRandom(SEED)
    const counts = new Map<string, number>()
    for (let i = 0; i < 60_000; i++) {
      const key = shuffle(r, ['a', 'b', 'c']).join('')
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    assert.equal(counts.size, 6)
    // 5 degrees of freedom: 20.52 is the 0.999 quantile; the naive shuffle scores in the hundreds
    assert.ok(chiSquare([...counts.values()]) < 20.52, JSON.stringify([...counts]))
  })

  it('handles empty and single-item arrays', () => {
    assert.deepEqual(shuffle(seededRandom(SEED), []), [])
    assert.deepEqual(shuffle(seededRandom(SEED), [1]), [1])
  })
})

describe('sampleK', () => {
  it('returns k distinct items, or all of them when there are fewer', () => {
    const r = seededRandom(SEED)
    const items = Array.from({ length: 20 }, (_, i) => i)
    for (let k = 0; k <= 25; k++) {
      const out = sampleK(r, items, k)
      assert.equal(out.length, Math.min(k, 20))
      assert.equal(new Set(out).size, out.length)
      for (const x of out) assert.ok(items.includes(x))
    }
    assert.deepEqual(sampleK(r, [], 3), [])
  })

  it('only returns items that pass the filter, and finds them even when they are rare', () => {
    const r = seededRandom(SEED)
    const items = Array.from({ length: 1000 }, (_, i) => i)
    for (let i = 0; i < 100; i++) {
      const out = sampleK(r, items, 3, (x) => x % 250 === 7)
      assert.equal(out.length, 3)
      for (const x of out) assert.equal(x % 250, 7)
    }
    assert.deepEqual(
      sampleK(r, items, 3, () => false),
      [],
    )
  })

  it('picks every item with the same probability', () => {
    const r = seededRandom(SEED)
    const items = Array.from({ length: 10 }, (_, i) => i)
    const counts = new Array(10).fill(0)
    for (let i = 0; i < 30_000; i++) for (const x of sampleK(r, items, 3)) counts[x]++
    assert.ok(chiSquare(counts) < 27.88, `chi-square ${chiSquare(counts)}: ${counts}`)
  })

  it('does not modify the input', () => {
    const items = [1, 2, 3, 4, 5]
    sampleK(seededRandom(SEED), items, 3)
    assert.deepEqual(items, [1, 2, 3, 4, 5])
  })
})

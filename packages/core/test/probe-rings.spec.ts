import assert from 'node:assert/strict'
import { resolveConfig } from '@murmur/core'
import { ProbeRings } from '../src/probe-rings.ts'

const ids = (n: number) => Array.from({ length: n }, (_, i) => `member-${i}`)

/** Every member's rings over the same view, as when the cluster agrees on who is live. */
function overlay(members: string[], k: number): Map<string, ProbeRings> {
  const out = new Map<string, ProbeRings>()
  for (const self of members) {
    const rings = new ProbeRings(k, 'cluster', self)
    for (const id of members) rings.add(id)
    out.set(self, rings)
  }
  return out
}

/** Who each member probes over k intervals, every member probing once per interval. */
function probes(all: Map<string, ProbeRings>, k: number, live: (id: string) => boolean): Map<string, string[]> {
  const by = new Map<string, string[]>()
  for (const [self, rings] of all) {
    if (!live(self)) continue
    for (let i = 0; i < k; i++) {
      const t = rings.nextTarget((id) => id !== self && live(id))
      assert.ok(t !== undefined)
      by.set(t, [...(by.get(t) ?? []), self])
    }
  }
  return by
}

describe('ProbeRings (probe targets inside a connection budget)', () => {
  it('probes every member exactly k times per k intervals, from at most k probers', () => {
    for (const [n, k] of [
      [2, 4],
      [5, 4],
      [100, 4],
      [300, 3],
    ]) {
      const members = ids(n)
      const by = probes(overlay(members, k), k, () => true)
      for (const m of members) {
        const probers = by.get(m) ?? []
        assert.equal(probers.length, k, `n=${n} k=${k}: ${m} probed ${probers.length} times`)
        assert.ok(new Set(probers).size <= k)
      }
    }
  })

  it('a node probes at most k members however large the cluster', () => {
    const all = overlay(ids(500), 4)
    for (const [self, rings] of all) {
      const targets = new Set(Array.from({ length: 40 }, () => rings.nextTarget((id) => id !== self)))
      assert.ok(targets.size >= 1 && targets.size <= 4, `${self}: ${targets.size}`)
    }
  })

  it('skips members that are not live: their successors get a prober at once', () => {
    const members = ids(60)
    const all = overlay(members, 3)
    const dead = new Set(members.filter((_, i) => i % 4 === 0))
    const by = probes(all, 3, (id) => !dead.has(id))
    for (const m of members) {
      if (dead.has(m)) assert.equal(by.get(m), undefined, `${m} is dead and still probed`)
      else assert.equal(by.get(m)?.length, 3, `${m}: ${by.get(m)}`)
    }
  })

  it('forgets removed members, keeps itself, and adds nobody twice', () => {
    const rings = new ProbeRings(2, 'c', 'a')
    rings.add('b')
    rings.add('b')
    rings.add('a')
    assert.equal(
      rings.nextTarget((id) => id !== 'a'),
      'b',
    )
    rings.remove('b')
    rings.remove('a') // ourselves: stays
    assert.equal(
      rings.nextTarget((id) => id !== 'a'),
      undefined,
    )
    rings.add('c')
    assert.equal(
      rings.successor(0, (id) => id !== 'a'),
      'c',
    )
  })

  it('orders by a hash of the cluster name too: another cluster gets other rings', () => {
    const members = ids(50)
    const succ = (salt: string) =>
      members.map((self) => {
        const r = new ProbeRings(1, salt, self)
        for (const id of members) r.add(id)
        return r.successor(0, (id) => id !== self)
      })
    assert.notDeepEqual(succ('one'), succ('two'))
    assert.deepEqual(succ('one'), succ('one'))
  })

  it('probeRings is validated: an integer from 0 to 32', () => {
    assert.equal(resolveConfig({}).probeRings, 0)
    assert.equal(resolveConfig({ probeRings: 32 }).probeRings, 32)
    assert.throws(() => resolveConfig({ probeRings: 33 }), /probeRings must be at most 32, got 33/)
    assert.throws(() => resolveConfig({ probeRings: -1 }), /probeRings must be an integer >= 0/)
    assert.throws(() => resolveConfig({ probeRings: 1.5 }), /probeRings must be an integer >= 0/)
  })
})

import assert from 'node:assert/strict'
import { resolveConfig, seededRandom } from '@murmur/core'
import { MemberList } from '../src/member-list.ts'
import { ProbeRings } from '../src/probe-rings.ts'
import { memberRecord } from './helpers.ts'

const ids = (n: number) => Array.from({ length: n }, (_, i) => `member-${i}`)

/** One node's rings over a live set it shares with the caller. */
function ringsOf(k: number, self: string, live: Set<string>, salt = 'cluster'): ProbeRings {
  const rings = new ProbeRings(k, salt, self, () => live)
  for (const id of live) rings.arrived(id)
  return rings
}

/** Every member's rings over the same view, as when the cluster agrees on who is live. */
function overlay(members: string[], k: number, live = new Set(members)): Map<string, ProbeRings> {
  return new Map(members.map((self) => [self, ringsOf(k, self, live)]))
}

/** Who each member probes over k intervals, every live member probing once per interval. */
function probes(all: Map<string, ProbeRings>, k: number, live: Set<string>): Map<string, string[]> {
  const by = new Map<string, string[]>()
  for (const [self, rings] of all) {
    if (!live.has(self)) continue
    for (let i = 0; i < k; i++) {
      const t = rings.nextTarget()
      assert.ok(t !== undefined && t !== self && live.has(t), `${self} probed ${t}`)
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
      const live = new Set(members)
      const by = probes(overlay(members, k, live), k, live)
      for (const m of members) {
        const probers = by.get(m) ?? []
        assert.equal(probers.length, k, `n=${n} k=${k}: ${m} probed ${probers.length} times`)
        assert.ok(new Set(probers).size <= k)
      }
    }
  })

  it('members with different ring counts still probe everyone: ring 0 is common to all', () => {
    const members = ids(200)
    const live = new Set(members)
    const counts = [1, 2, 4, 8]
    const all = new Map(members.map((self, i) => [self, ringsOf(counts[i % 4]!, self, live)]))
    const probed = new Set<string>()
    for (let interval = 0; interval < 8; interval++) for (const rings of all.values()) probed.add(rings.nextTarget()!)
    assert.equal(probed.size, members.length, 'every member probed within the largest ring count')
  })

  it('a node probes at most k members however large the cluster', () => {
    const all = overlay(ids(500), 4)
    for (const [self, rings] of all) {
      const targets = new Set(Array.from({ length: 40 }, () => rings.nextTarget()))
      assert.ok(targets.size >= 1 && targets.size <= 4, `${self}: ${targets.size}`)
    }
  })

  it('members that die are skipped: their successors get a prober at once', () => {
    const members = ids(60)
    const live = new Set(members)
    const all = overlay(members, 3, live)
    for (const [i, m] of members.entries()) {
      if (i % 4 !== 0) continue
      live.delete(m)
      for (const rings of all.values()) rings.gone(m)
    }
    const by = probes(all, 3, live)
    for (const m of members) {
      if (!live.has(m)) assert.equal(by.get(m), undefined, `${m} is dead and still probed`)
      else assert.equal(by.get(m)?.length, 3, `${m}: ${by.get(m)}`)
    }
    // and back: a member alive again takes its place on the rings
    const back = members[0]
    live.add(back)
    for (const rings of all.values()) rings.arrived(back)
    assert.equal(probes(all, 3, live).get(back)?.length, 3)
  })

  it('the same order whatever order members arrive in; ourselves never', () => {
    const members = ids(40)
    const forward = ringsOf(2, 'member-7', new Set(members))
    const backward = ringsOf(2, 'member-7', new Set([...members].reverse()))
    for (const r of [0, 1]) assert.equal(forward.successor(r), backward.successor(r))
    const alone = ringsOf(2, 'a', new Set(['a']))
    assert.equal(alone.nextTarget(), undefined)
  })

  it('orders by a hash of the cluster name too: another cluster gets other rings', () => {
    const members = ids(50)
    const live = new Set(members)
    const succ = (salt: string) => members.map((self) => ringsOf(1, self, live, salt).successor(0))
    assert.notDeepEqual(succ('one'), succ('two'))
    assert.deepEqual(succ('one'), succ('one'))
  })

  it('a MemberList with rings follows state changes', () => {
    const list = new MemberList(seededRandom(1), { count: 2, salt: 'c', selfId: 'me' })
    assert.equal(list.nextProbeTarget(), undefined)
    const a = memberRecord('a')
    list.add(a)
    assert.equal(list.nextProbeTarget()?.id, 'a')
    list.add(memberRecord('b', 'dead'))
    list.setState(a, 'suspect', 0)
    assert.equal(list.nextProbeTarget()?.id, 'a', 'a suspect is still probed')
    list.setState(a, 'dead', 0)
    assert.equal(list.nextProbeTarget(), undefined, 'nobody live')
    list.setState(list.get('b')!, 'alive', 1)
    assert.equal(list.nextProbeTarget()?.id, 'b')
    list.remove('b')
    assert.equal(list.nextProbeTarget(), undefined)
  })

  it('probeRings is validated: an integer from 0 to 32', () => {
    assert.equal(resolveConfig({}).probeRings, 0)
    assert.equal(resolveConfig({ probeRings: 32 }).probeRings, 32)
    assert.throws(() => resolveConfig({ probeRings: 33 }), /probeRings must be at most 32, got 33/)
    assert.throws(() => resolveConfig({ probeRings: -1 }), /probeRings must be an integer >= 0/)
    assert.throws(() => resolveConfig({ probeRings: 1.5 }), /probeRings must be an integer >= 0/)
  })
})

import assert from 'node:assert/strict'
import { seededRandom } from '@murmur/core'
import { MemberList } from '../src/member-list.ts'
import { memberRecord, SEED } from './helpers.ts'

function listOf(n: number, seed = SEED): MemberList {
  const list = new MemberList(seededRandom(seed))
  for (let i = 0; i < n; i++) list.add(memberRecord(`m${i}`))
  return list
}

function pass(list: MemberList, n: number): string[] {
  return Array.from({ length: n }, () => list.nextProbeTarget()?.id ?? '-')
}

describe('MemberList probe order (randomized round-robin)', () => {
  it('probes every live member exactly once per pass', () => {
    const list = listOf(25)
    for (let p = 0; p < 5; p++) {
      const seen = pass(list, 25)
      assert.equal(new Set(seen).size, 25, `pass ${p}: ${seen}`)
    }
  })

  it('reshuffles between passes', () => {
    const list = listOf(25)
    const orders = new Set(Array.from({ length: 6 }, () => pass(list, 25).join(',')))
    assert.ok(orders.size >= 5, 'passes should come in different orders')
  })

  it('skips dead and left members, and returns undefined when nobody is live', () => {
    const list = listOf(6)
    for (const id of ['m1', 'm4']) list.setState(list.get(id)!, 'dead', 0)
    list.setState(list.get('m2')!, 'suspect', 0)
    assert.equal(list.liveCount, 4)
    const seen = pass(list, 8)
    assert.ok(!seen.includes('m1') && !seen.includes('m4'))
    assert.ok(seen.includes('m2'), 'suspects are still probed')
    assert.equal(new Set(seen.slice(0, 4)).size, 4)
    for (const id of ['m0', 'm2', 'm3', 'm5']) list.setState(list.get(id)!, 'left', 0)
    assert.equal(list.liveCount, 0)
    assert.equal(list.nextProbeTarget(), undefined)
    assert.equal(new MemberList(seededRandom(SEED)).nextProbeTarget(), undefined)
  })

  it('inserts a newcomer at a random position: probed within two passes, not always last', () => {
    const positions = new Set<number>()
    for (let seed = 1; seed <= 40; seed++) {
      const list = listOf(9, seed)
      pass(list, 3) // in the middle of a pass
      list.add(memberRecord('new'))
      const next = pass(list, 20)
      const at = next.indexOf('new')
      assert.ok(at >= 0, `seed ${seed}: newcomer not probed in two passes: ${next}`)
      positions.add(at)
    }
    assert.ok(positions.size >= 5, `newcomer positions: ${[...positions]}`)
  })

  it('keeps the pass going when a member is removed', () => {
    const list = listOf(10)
    const first = pass(list, 4)
    list.remove(first[1]) // already probed
    const rest = pass(list, 5)
    assert.equal(new Set([...first, ...rest]).size, 9, 'the other members are still probed once')
    assert.ok(!rest.includes(first[1]))
    assert.equal(list.size, 9)
    assert.equal(list.liveCount, 9)
    assert.equal(list.remove('nobody'), undefined)
  })

  it('sample() returns distinct accepted members', () => {
    const list = listOf(50)
    const even = list.sample(5, (r) => Number(r.id.slice(1)) % 2 === 0)
    assert.equal(even.length, 5)
    assert.equal(new Set(even.map((r) => r.id)).size, 5)
    for (const r of even) assert.equal(Number(r.id.slice(1)) % 2, 0)
    assert.equal(list.sample(100, () => true).length, 50)
  })
})

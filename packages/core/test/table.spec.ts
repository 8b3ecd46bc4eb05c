import assert from 'node:assert/strict'
import { seededRandom, type Update } from '@murmur/core'
import { encodePushPull, Kind } from '@murmur/core/wire'
import { scanPushPull } from '../src/codec/scan.ts'
import type { ClaimTable } from '../src/table.ts'
import { alive, claim, lone, packet, SEED } from './helpers.ts'

/** a knows b (alive, 2), c (suspect, 1, accused by b), d (dead, 0) and e (left, 3). */
async function known() {
  const env = await lone('a')
  env.m.handlePacket('b', packet({ updates: [alive('b', 2), alive('c', 1), alive('d'), alive('e', 3)] }))
  env.m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'c', 1, 'b'), claim(Kind.DEAD, 'd', 0, 'b')] }))
  env.m.handlePacket('e', packet({ updates: [claim(Kind.LEFT, 'e', 3, 'e')] }))
  // private access, for white-box checks of the table
  const table = (env.m as unknown as { table: ClaimTable }).table
  return { ...env, table }
}

describe('ClaimTable.isStale (push-pull fast path)', () => {
  it('says stale only when receive() would do nothing but count the claim stale', async () => {
    const random = seededRandom(SEED)
    const pick = <T>(xs: T[]): T => xs[Math.floor(random.next() * xs.length)]
    const kinds = [Kind.ALIVE, Kind.SUSPECT, Kind.DEAD, Kind.LEFT]
    let stale = 0
    for (let i = 0; i < 3000; i++) {
      const id = pick(['a', 'b', 'c', 'd', 'e', 'zz', '', 'ü'.repeat(200)])
      const u: Update = {
        kind: pick(kinds),
        id,
        incarnation: pick([0, 1, 2, 3, 4]),
        from: pick([id, id, 'b', 'x', '', 'y'.repeat(129), '\u{1F600}'.repeat(40)]),
        addrs: Array.from({ length: pick([0, 1, 2, 17]) }, () => 'x'.repeat(pick([1, 512, 513, 1100]))),
        metadata: new Uint8Array(pick([0, 1, 512, 513])),
        signature: new Uint8Array(0),
      }
      const bytes = encodePushPull({ join: false, updates: [u], events: [], eventLtime: 0 })
      const scanned = scanPushPull(bytes, { maxSyncBytes: 1 << 24, maxPacketBytes: 1 << 16, maxAddrsPerMember: 16 })
      if (scanned === undefined) continue // 17 addresses: the full decoder rejects it
      const fast = await known()
      assert.ok(scanned.claims.next())
      if (!fast.table.isStale(scanned.claims.header())) continue
      stale++
      const slow = await known()
      const before = slow.m.members()
      const stats = slow.m.stats()
      slow.table.receive(u, { from: 'b' })
      const after = slow.m.stats()
      assert.equal(after.updatesStale, stats.updatesStale + 1, JSON.stringify(u))
      assert.deepEqual(after.drops, stats.drops, JSON.stringify(u))
      assert.equal(after.updatesApplied, stats.updatesApplied)
      assert.equal(after.refutes, stats.refutes)
      assert.deepEqual(slow.m.members(), before)
      assert.equal(slow.m.stats().queueDepth, stats.queueDepth)
    }
    assert.ok(stale > 50, `only ${stale} stale claims drawn`)
  })

  it('a push-pull of claims we hold counts them stale, and merges the news', async () => {
    const { m } = await known()
    const stats = m.stats()
    const news = alive('f')
    const bytes = encodePushPull({
      join: false,
      updates: [alive('b', 2), alive('b', 1), claim(Kind.DEAD, 'd', 0, 'b'), news, claim(Kind.SUSPECT, 'c', 1, 'f')],
      events: [],
      eventLtime: 0,
    })
    await m.handleRequest('b', bytes)
    assert.equal(m.stats().updatesStale - stats.updatesStale, 3)
    assert.equal(m.member('f')?.state, 'alive')
    assert.deepEqual(m.member('c')?.reason?.confirmations, ['f'], 'a new accuser (a member) confirms the suspicion')
  })
})

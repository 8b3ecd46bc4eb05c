import assert from 'node:assert/strict'
import { Kind } from '@murmur/core/wire'
import { alive, claim, lone, packet, runUntil, type SentPacket, sentTo, simCluster } from './helpers.ts'

/**
 * The packets sent to `to` outside any probe (no ping, ack, nack or ping-req). A correction comes
 * first in its packet; whatever gossip is pending rides along after it.
 */
function correctionsTo(sent: SentPacket[], to: string) {
  return sentTo(sent, to).filter(
    (p) => p.ping === undefined && p.ack === undefined && p.nack === undefined && p.pingReq === undefined,
  )
}

/** The first `n` claims of the only correction packet sent to `to`, as [id, kind, incarnation]. */
function firstClaims(sent: SentPacket[], to: string, n = 1) {
  const packets = correctionsTo(sent, to)
  assert.equal(packets.length, 1, `one correction packet to ${to}`)
  return packets[0].updates.slice(0, n).map((u) => [u.id, u.kind, u.incarnation])
}

describe('corrections: stale accusations are answered with the newer claim', () => {
  it('answers a suspicion of a member that has refuted it with the refutation, to the sender only', async () => {
    const { m, sent } = await lone('a')
    m.handlePacket('b', packet({ updates: [alive('b', 1), alive('x', 3)] }))
    sent.length = 0
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'x', 2, 'c')] }))
    assert.deepEqual(firstClaims(sent, 'b'), [['x', Kind.ALIVE, 3]])
    assert.deepEqual(
      sent.map((p) => p.to),
      ['b'],
      'nothing to the accused or anyone else',
    )
    assert.equal(m.stats().corrections, 1)
    assert.equal(m.member('x')?.state, 'alive')
    m.stop()
  })

  it('answers a dead claim about a member that left with the leave', async () => {
    const { m, sent } = await lone('a')
    m.handlePacket('b', packet({ updates: [alive('b', 1), alive('x', 2), claim(Kind.LEFT, 'x', 2, 'x')] }))
    assert.equal(m.member('x')?.state, 'left')
    sent.length = 0
    m.handlePacket('b', packet({ updates: [claim(Kind.DEAD, 'x', 2, 'b')] }))
    assert.deepEqual(firstClaims(sent, 'b'), [['x', Kind.LEFT, 2]])
    assert.equal(m.stats().corrections, 1)
    assert.equal(m.member('x')?.state, 'left')
    m.stop()
  })

  it('answers a stale suspicion of itself with its current alive claim', async () => {
    const { m, sent } = await lone('a')
    m.handlePacket('b', packet({ updates: [alive('b', 1)] }))
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'a', m.self().incarnation, 'b')] }))
    const inc = m.self().incarnation
    assert.equal(m.stats().refutes, 1)
    sent.length = 0
    // c never heard the refutation and repeats the old accusation
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'a', inc - 1, 'c')] }))
    assert.deepEqual(firstClaims(sent, 'b'), [['a', Kind.ALIVE, inc]])
    assert.equal(m.stats().corrections, 1)
    assert.equal(m.stats().refutes, 1)
    m.stop()
  })

  it('does not answer news, confirmations, stale alive claims or unknown senders', async () => {
    const { m, sent } = await lone('a')
    m.handlePacket('b', packet({ updates: [alive('b', 1), alive('x', 3)] }))
    sent.length = 0
    m.handlePacket('b', packet({ updates: [alive('x', 2)] })) // stale, but no accusation
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'x', 3, 'b')] })) // news
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'x', 3, 'c')] })) // a confirmation
    m.handlePacket('stranger', packet({ updates: [claim(Kind.SUSPECT, 'x', 1, 'c')] })) // not a member
    assert.deepEqual(correctionsTo(sent, 'b'), [])
    assert.deepEqual(correctionsTo(sent, 'stranger'), [])
    assert.equal(m.stats().corrections, 0)
    m.stop()
  })

  it('answers each sender about each member once per probe interval, at most 4 claims a packet', async () => {
    const { m, sent, clock } = await lone('a')
    const ids = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6']
    m.handlePacket('b', packet({ updates: [alive('b', 1), ...ids.map((id) => alive(id, 5))] }))
    const stale = packet({ updates: ids.map((id) => claim(Kind.SUSPECT, id, 1, 'c')) })
    sent.length = 0
    m.handlePacket('b', stale)
    assert.deepEqual(firstClaims(sent, 'b', 4), [
      ['x1', Kind.ALIVE, 5],
      ['x2', Kind.ALIVE, 5],
      ['x3', Kind.ALIVE, 5],
      ['x4', Kind.ALIVE, 5],
    ])
    assert.equal(m.stats().corrections, 4)
    m.handlePacket('b', stale) // the same sender again at once: only the 2 not yet answered
    assert.equal(m.stats().corrections, 6)
    m.handlePacket('b', stale)
    assert.equal(m.stats().corrections, 6)
    assert.equal(correctionsTo(sent, 'b').length, 2)
    await clock.run(m.config.probeIntervalMs)
    m.handlePacket('b', stale)
    assert.equal(m.stats().corrections, 10)
    m.stop()
  })

  it('in a cluster, a node that missed a refutation learns it from whoever it gossips the stale suspicion to', async () => {
    // no push-pull, so that nothing but the gossip of the stale suspicion can bring the news
    const { net, nodes } = await simCluster(['n0', 'n1', 'n2', 'n3', 'n4'], { config: { pushPullIntervalMs: 0 } })
    const [a, , , , x] = nodes
    net.setLinkLoss('n0', 'n4', 1)
    net.setLinkLoss('n4', 'n0', 1)
    const inc = x.self().incarnation
    // x refutes a suspicion while a hears nothing at all; the refutation's gossip runs dry
    net.partition(['n0'])
    x.handlePacket('n1', packet({ updates: [claim(Kind.SUSPECT, 'n4', inc, 'n1')] }))
    await runUntil(net, () => nodes.slice(1).every((n) => n.member('n4')?.incarnation === inc + 1 || n === x), 5000)
    await net.clock.run(2000)
    net.heal()
    assert.equal(a.member('n4')?.incarnation, inc)
    // now a hears the old accusation (from n1's past, say) and gossips it on
    a.handlePacket('n1', packet({ updates: [claim(Kind.SUSPECT, 'n4', inc, 'n1')] }))
    assert.equal(a.member('n4')?.state, 'suspect')
    await runUntil(net, () => a.member('n4')?.incarnation === inc + 1, a.config.probeIntervalMs * 3)
    assert.equal(a.member('n4')?.state, 'alive')
    assert.ok(nodes.slice(1).some((n) => n.stats().corrections > 0))
    for (const n of nodes) n.stop()
  })
})

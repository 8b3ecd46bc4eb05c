import assert from 'node:assert/strict'
import type { Member, ProbeResult } from '@murmur/core'
import type { ManualClock } from '@murmur/core/testing'
import { Kind, type Packet } from '@murmur/core/wire'
import { alive, claim, lone, packet, runUntil, type SentPacket, simCluster } from './helpers.ts'

/** Advances in small steps until `pred` holds (for a lone engine on its own clock). */
function advanceUntil(clock: ManualClock, pred: () => boolean, maxMs = 60_000): void {
  const end = clock.now() + maxMs
  while (!pred()) {
    if (clock.now() >= end) throw new Error(`condition not met within ${maxMs} virtual ms`)
    clock.advance(10)
  }
}

function firstWith(sent: SentPacket[], field: keyof Packet, from = 0): SentPacket | undefined {
  return sent.slice(from).find((s) => s.packet[field] !== undefined)
}

describe('refutation', () => {
  it('an accusation reaching its subject makes it refute at a higher incarnation and doubt itself', async () => {
    const { m: b, sent } = await lone('b')
    b.handlePacket('a', packet({ updates: [alive('a')] }))
    assert.equal(b.self().incarnation, 0)
    b.handlePacket('a', packet({ updates: [claim(Kind.SUSPECT, 'b', 0, 'a')] }))
    assert.equal(b.self().incarnation, 1)
    assert.equal(b.stats().refutes, 1)
    assert.equal(b.healthScore(), 1, 'having to refute raises our own health score (Lifeguard)')
    // an accusation naming an incarnation we never announced is dropped, never refuted: refuting
    // above it would let an accuser push our incarnation to 2^32 (0 on the wire) and kill us
    b.handlePacket('a', packet({ updates: [claim(Kind.DEAD, 'b', 7, 'a')] }))
    assert.equal(b.self().incarnation, 1)
    assert.equal(b.stats().drops['future-incarnation'], 1)
    b.handlePacket('a', packet({ updates: [claim(Kind.DEAD, 'b', 0xffffffff, 'a')] }))
    assert.equal(b.self().incarnation, 1)
    // the refutation rides on the next packet: the ack to a ping
    b.handlePacket('a', packet({ ping: { seq: 1, target: 'b' } }))
    const ack = sent.find((s) => s.packet.ack?.seq === 1)!
    assert.ok(ack.packet.updates.some((u) => u.kind === Kind.ALIVE && u.id === 'b' && u.incarnation === 1))
    // a stale accusation is not refuted again
    b.handlePacket('a', packet({ updates: [claim(Kind.SUSPECT, 'b', 0, 'a')] }))
    assert.equal(b.self().incarnation, 1)
    assert.equal(b.stats().refutes, 1)
  })

  it('a suspected member refutes and every node sees it alive again, at a higher incarnation', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'])
    const [a, b, c] = nodes
    const seen: string[] = []
    for (const m of [a, b]) {
      m.addEventListener('member:suspect', (e) => seen.push(`${m.id}:suspect:${e.detail.incarnation}`))
      m.addEventListener('member:alive', (e) => seen.push(`${m.id}:alive:${e.detail.incarnation}`))
    }
    a.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'c', 0, 'b')] }))
    assert.equal(a.member('c')?.state, 'suspect')
    await runUntil(net, () => a.member('c')?.state === 'alive' && b.member('c')?.state === 'alive', 5000)
    assert.equal(c.self().incarnation, 1)
    assert.equal(a.member('c')?.incarnation, 1)
    assert.ok(seen.includes('a:suspect:0') && seen.includes('a:alive:1'))
    assert.ok(seen.indexOf('a:suspect:0') < seen.indexOf('a:alive:1'))
  })
})

describe('buddy system', () => {
  it('a ping to a suspect carries the suspicion even once gossip has stopped repeating it', async () => {
    const { m: a, clock, sent } = await lone('a', { config: { suspicionMult: 60 } }) // a long suspicion
    a.handlePacket('b', packet({ updates: [alive('b'), alive('c')] }))
    a.handlePacket('c', packet({ updates: [claim(Kind.SUSPECT, 'b', 0, 'c')] }))
    assert.equal(a.member('b')?.state, 'suspect')
    advanceUntil(clock, () => a.stats().queueDepth === 0)
    const from = sent.length
    clock.advance(20_000)
    assert.equal(a.member('b')?.state, 'suspect')
    // (c, the accuser, is a member too: a probes it, and gossips its own news of c to b)
    const toB = sent.slice(from).filter((s) => s.to === 'b' && s.packet.ping !== undefined)
    assert.ok(toB.length >= 2, 'b is still probed')
    for (const s of toB) {
      assert.ok(
        s.packet.updates.some((u) => u.kind === Kind.SUSPECT && u.id === 'b'),
        'each ping carries the suspicion',
      )
    }
    // delivered to b, that ping makes b refute at once and answer with its refutation
    const { m: b, sent: bSent } = await lone('b')
    b.handlePacket('a', packet({ updates: [alive('a'), alive('c')] })) // b knows its accuser
    b.handlePacket('a', toB[0].bytes)
    assert.equal(b.self().incarnation, 1)
    const ack = bSent.find((s) => s.to === 'a' && s.packet.ack !== undefined)!
    assert.equal(ack.packet.ack?.seq, toB[0].packet.ping?.seq)
    assert.ok(ack.packet.updates.some((u) => u.kind === Kind.ALIVE && u.id === 'b' && u.incarnation === 1))
    // and that ack clears the suspicion at a within the same probe round
    a.handlePacket('b', ack.bytes)
    assert.equal(a.member('b')?.state, 'alive')
    assert.equal(a.member('b')?.incarnation, 1)
  })
})

describe('indirect probes and nacks', () => {
  it('a helper pings the target for the requester and relays its ack', async () => {
    const { m: h, sent } = await lone('h')
    h.handlePacket('a', packet({ updates: [alive('a'), alive('t')] }))
    h.handlePacket('a', packet({ pingReq: { seq: 77, target: 't', targetAddrs: ['t'] } }))
    const ping = sent.find((s) => s.to === 't' && s.packet.ping !== undefined)!
    assert.equal(ping.packet.ping?.target, 't')
    h.handlePacket('t', packet({ ack: { seq: ping.packet.ping!.seq, payload: Uint8Array.from([5]) } }))
    const relayed = sent.find((s) => s.to === 'a' && s.packet.ack !== undefined)!
    assert.deepEqual(relayed.packet.ack, { seq: 77, payload: Uint8Array.from([5]) })
    assert.equal(h.stats().relaysServed, 1)
  })

  it('a helper that cannot reach the target sends a nack before the requester gives up', async () => {
    const { m: h, clock, sent } = await lone('h')
    h.handlePacket('a', packet({ updates: [alive('a'), alive('t')] }))
    h.handlePacket('a', packet({ pingReq: { seq: 78, target: 't', targetAddrs: ['t'] } }))
    const sentPing = sent.find((s) => s.to === 't' && s.packet.ping !== undefined)
    assert.ok(sentPing !== undefined, 'the target is pinged')
    clock.advance(h.config.probeTimeoutMs * 0.8 - 1)
    assert.equal(firstWith(sent, 'nack'), undefined)
    clock.advance(1)
    const nack = firstWith(sent, 'nack')!
    assert.equal(nack.to, 'a')
    assert.deepEqual(nack.packet.nack, { seq: 78 })
    // a late ack from the target is not relayed any more
    h.handlePacket('t', packet({ ack: { seq: sentPing.packet.ping!.seq, payload: new Uint8Array(0) } }))
    assert.equal(sent.filter((s) => s.to === 'a' && s.packet.ack !== undefined).length, 0)
    assert.equal(h.stats().drops['unexpected-ack'], 1)
  })

  it('without Lifeguard, a helper sends no nack', async () => {
    const { m: h, clock, sent } = await lone('h', { config: { lifeguard: false } })
    h.handlePacket('a', packet({ updates: [alive('a')], pingReq: { seq: 1, target: 't', targetAddrs: ['t'] } }))
    clock.advance(5000)
    assert.equal(firstWith(sent, 'nack'), undefined)
  })

  it('a ping-req about ourselves is answered with an ack', async () => {
    const { m: t, sent } = await lone('t')
    t.handlePacket('a', packet({ pingReq: { seq: 9, target: 't', targetAddrs: [] } }))
    assert.equal(sent.find((s) => s.to === 'a')?.packet.ack?.seq, 9)
  })

  /** A requester that knows b and c, up to the ping-req of its first probe round. */
  async function firstIndirect() {
    const env = await lone('a')
    const { m: a, clock, sent } = env
    a.handlePacket('b', packet({ updates: [alive('b')] }))
    a.handlePacket('c', packet({ updates: [alive('c')] }))
    const results: ProbeResult[] = []
    a.addEventListener('probe', (e) => results.push(e.detail))
    advanceUntil(clock, () => firstWith(sent, 'pingReq') !== undefined)
    const req = firstWith(sent, 'pingReq')!
    const ping = firstWith(sent, 'ping')!
    assert.equal(req.packet.pingReq?.target, ping.to)
    assert.notEqual(req.to, ping.to)
    assert.equal(req.at - ping.at, a.config.probeTimeoutMs, 'ping-req once the probe timeout passes')
    return { ...env, results, req, target: ping.to, helper: req.to }
  }

  it('a failed probe with every nack in leaves our health alone, and names the nacking helper', async () => {
    const { m: a, clock, results, req, target, helper } = await firstIndirect()
    a.handlePacket(helper, packet({ nack: { seq: req.packet.pingReq!.seq } }))
    advanceUntil(clock, () => results.length > 0)
    assert.equal(results[0].outcome, 'failed')
    assert.equal(results[0].target, target)
    assert.equal(results[0].healthScore, 0)
    assert.equal(a.stats().nacks, 1)
    const reason = a.member(target)!.reason!
    assert.equal(a.member(target)?.state, 'suspect')
    assert.equal(reason.accuser, 'a')
    assert.deepEqual(
      reason.failedProbes.map((p) => [p.via, p.outcome]),
      [
        ['direct', 'timeout'],
        [helper, 'nack'],
      ],
    )
  })

  it('a failed probe with missing nacks raises our health score: we may be the problem', async () => {
    const { m: a, clock, results, target, helper } = await firstIndirect()
    advanceUntil(clock, () => results.length > 0)
    assert.equal(results[0].outcome, 'failed')
    assert.equal(results[0].healthScore, 1)
    assert.deepEqual(
      a.member(target)!.reason!.failedProbes.map((p) => [p.via, p.outcome]),
      [
        ['direct', 'timeout'],
        [helper, 'timeout'],
      ],
    )
  })

  it('a higher health score stretches the probe interval and timeout; acks bring it down', async () => {
    const { m: a, clock, sent, results } = await firstIndirect()
    const endedAt: number[] = []
    a.addEventListener('probe', () => endedAt.push(clock.now()))
    advanceUntil(clock, () => results.length === 1) // no nack: health score 1
    const interval = a.config.probeIntervalMs
    const ping2 = firstWith(sent, 'ping', sent.length)
    assert.equal(ping2, undefined)
    advanceUntil(clock, () => results.length === 2) // the second round, at score 1, fails too: score 2
    const pings = sent.filter((s) => s.packet.ping !== undefined)
    assert.equal(endedAt[1] - pings[1].at, 2 * interval, 'a round lasts the interval x (score + 1)')
    advanceUntil(clock, () => sent.filter((s) => s.packet.ping !== undefined).length === 3)
    const ping3 = sent.filter((s) => s.packet.ping !== undefined)[2]
    assert.equal(ping3.at - pings[1].at, 2 * interval, 'the next round comes interval x (score + 1) later')
    assert.equal(a.healthScore(), 2)
    a.handlePacket(ping3.to, packet({ ack: { seq: ping3.packet.ping!.seq, payload: new Uint8Array(0) } }))
    assert.equal(results[2].outcome, 'ack')
    assert.equal(results[2].healthScore, 1, 'an ack lowers the score by one')
  })

  it('an indirect ack counts as a success', async () => {
    const { m: a, results, req, target } = await firstIndirect()
    a.handlePacket(req.to, packet({ ack: { seq: req.packet.pingReq!.seq, payload: new Uint8Array(0) } }))
    assert.equal(results[0].outcome, 'indirect-ack')
    assert.equal(a.member(target)?.state, 'alive')
    assert.equal(a.stats().indirectAcks, 1)
  })

  it('in a cluster, helpers nack for a crashed target and the requester keeps its health', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c', 'd'])
    const [a, b, c] = nodes
    const scores: number[] = []
    a.addEventListener('probe', (e) => e.detail.target === 'd' && scores.push(e.detail.healthScore))
    net.crash('d')
    await runUntil(net, () => scores.length > 0, 30_000)
    assert.equal(scores[0], 0)
    assert.ok(a.stats().nacks >= 1)
    assert.ok(b.stats().relaysServed + c.stats().relaysServed >= 1)
  })
})

describe('suspicion confirmations', () => {
  it('members that probe a suspect and fail confirm it, shortening everyone’s timer', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c', 'd', 'e', 'f'])
    net.crash('f')
    const survivors = nodes.slice(0, 5)
    const dead: Member[] = []
    for (const m of survivors) m.addEventListener('member:dead', (e) => dead.push(e.detail))
    const start = net.clock.now()
    await runUntil(net, () => dead.length === 5, 60_000)
    const fired = dead.filter((m) => m.reason?.suspicionTimeoutMs !== undefined)
    assert.ok(fired.length >= 1)
    const { suspicionMult, suspicionMaxTimeoutMult, probeIntervalMs } = survivors[0].config
    const min = suspicionMult * Math.log10(6) * probeIntervalMs
    assert.ok(
      dead.some((m) => (m.reason?.confirmations.length ?? 0) > 0),
      'confirmations were gossiped',
    )
    for (const m of fired) assert.ok(m.reason!.suspicionTimeoutMs! < suspicionMaxTimeoutMult * min)
    assert.ok(net.clock.now() - start < suspicionMaxTimeoutMult * min)
  })
})

describe('ack payload bound (maxAckPayloadBytes)', () => {
  it('an ack with a payload over the bound is dropped and counted; our own oversized payload goes out empty, counted', async () => {
    const { m, sent } = await lone('a', { config: { maxAckPayloadBytes: 4 }, ackPayload: () => new Uint8Array(5) })
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    m.handlePacket('b', packet({ ping: { seq: 3, target: 'a' } }))
    const ack = sent.find((p) => p.packet.ack !== undefined)
    assert.ok(ack !== undefined, 'the ping is answered')
    assert.equal(ack.packet.ack?.payload.byteLength, 0)
    assert.equal(m.stats().oversizedAckPayloads, 1)
    const before = m.stats().drops['too-large']
    m.handlePacket('b', packet({ ack: { seq: 1, payload: new Uint8Array(5) } }))
    assert.equal(m.stats().drops['too-large'], before + 1)
    assert.equal(m.stats().drops['unexpected-ack'], 0, 'dropped before it is matched to a probe')
  })
})

import assert from 'node:assert/strict'
import { Membership, type Transport } from '@murmur/core'
import { ManualClock, SimNetwork, seededRandom } from '@murmur/core/testing'
import { alive, packet, recordingTransport, SEED, type SentPacket } from './helpers.ts'

/**
 * What keeps a cluster started all at once from starving itself: gossip opens at most one new
 * connection per probe interval, and a joiner syncs again soon after its join.
 */

/** `a`, connected (by the transport's hint) to `connected` only, knowing b..k, with news queued. */
async function knowingTen(connected: ((id: string) => boolean) | undefined) {
  const clock = new ManualClock()
  const rec = recordingTransport(undefined, () => clock.now())
  const transport: Transport = connected === undefined ? rec.transport : { ...rec.transport, connected }
  const m = new Membership({
    id: 'a',
    addrs: ['a'],
    transport,
    clock,
    random: seededRandom(SEED),
    // probes every 10 s, so that what is sent within the first second is gossip
    config: { probeIntervalMs: 10_000, probeTimeoutMs: 500, gossipIntervalMs: 100, gossipNodes: 3 },
  })
  await m.start()
  const ids = 'bcdefghijk'.split('')
  m.handlePacket('b', packet({ updates: ids.map((id) => alive(id)) }))
  assert.equal(m.members().length, 11)
  return { m, clock, sent: rec.sent }
}

/** Distinct members other than `b` that got a gossip packet (no probe fields) in `sent`. */
function gossipedTo(sent: SentPacket[]): Set<string> {
  const gossip = sent.filter((s) => !s.packet.ping && !s.packet.ack && !s.packet.pingReq && !s.packet.nack)
  return new Set(gossip.map((s) => s.to).filter((to) => to !== 'b'))
}

/** Joins `m` through n0, running the simulated clock meanwhile. */
async function joined(net: SimNetwork, m: Membership): Promise<void> {
  const join = m.join(['n0'])
  await net.clock.run(100, 10)
  await join
}

describe('start storms', () => {
  it('gossip dials at most one unconnected member per probe interval, and sends the rest to connected ones', async () => {
    const { m, clock, sent } = await knowingTen((id) => id === 'b')
    sent.length = 0
    for (let t = 0; t < 10_000; t += 10) clock.advance(10)
    const far = gossipedTo(sent)
    assert.ok(far.size >= 1 && far.size <= 1, `unconnected members gossiped to in one probe interval: ${[...far]}`)
    assert.ok(sent.filter((s) => s.to === 'b').length >= 5, 'the connected member gets the rounds the others could not')
    assert.ok(m.stats().gossipDialsSkipped > 0)
    await m.stop()
  })

  it('without a connection hint (UDP, the plain simulator) gossip stays uniform', async () => {
    const { m, clock, sent } = await knowingTen(undefined)
    sent.length = 0
    for (let t = 0; t < 2_000; t += 10) clock.advance(10)
    assert.ok(gossipedTo(sent).size >= 5, `gossiped to ${[...gossipedTo(sent)]}`)
    assert.equal(m.stats().gossipDialsSkipped, 0)
    await m.stop()
  })

  it('a joiner syncs again about 1, 2, 4 and 8 probe intervals after its join, then waits for the periodic sync', async () => {
    const net = new SimNetwork({ seed: SEED, latencyMs: 1 })
    const config = { profile: 'lan' as const, pushPullIntervalMs: 600_000 }
    const [n0, n1, n2] = ['n0', 'n1', 'n2'].map((id) => net.addNode(id, { config }))
    for (const m of [n0!, n1!, n2!]) await m.start()
    await joined(net, n1!)
    await joined(net, n2!)
    const syncs = () => n1!.stats().syncsInSync + n1!.stats().pushPulls
    const afterJoin = syncs()
    // within about 1, 2, 4 and 8 probe intervals (±50%): well before the periodic sync, 10 min away
    await net.clock.run(25_000, 10)
    // (n1's count includes the syncs n2 starts with it after its own join)
    assert.ok(syncs() - afterJoin >= 4, `synced ${syncs() - afterJoin} times after the join`)
    assert.ok(n1!.stats().syncsInSync >= 1, 'syncs that found the tables equal did not end the series')
    const settled = syncs()
    await net.clock.run(60_000, 100)
    assert.equal(syncs(), settled, 'no more syncs until the periodic one')
    assert.equal(n1!.member('n2')?.state, 'alive')
  })

  it('no sync after the join when periodic push-pull is off', async () => {
    const net = new SimNetwork({ seed: SEED, latencyMs: 1 })
    const config = { profile: 'lan' as const, pushPullIntervalMs: 0 }
    const [n0, n1] = ['n0', 'n1'].map((id) => net.addNode(id, { config }))
    await n0!.start()
    await n1!.start()
    await joined(net, n1!)
    const before = n1!.stats().syncsInSync + n1!.stats().pushPulls
    await net.clock.run(20_000, 10)
    assert.equal(n1!.stats().syncsInSync + n1!.stats().pushPulls, before)
  })

  /**
   * Six members, each connection taking `setupMs` to open (a CPU-starved host's handshake), all
   * joined through n0 and then left to probe one another for 30 s: every first probe of a pair
   * waits for a connection. Returns the suspicions raised and the probe counters.
   */
  async function slowFirstContacts(setupMs: number, connectGraceMs?: number) {
    const net = new SimNetwork({ seed: SEED, latencyMs: 1, connections: { setupMs } })
    // local: a 200 ms probe timeout and one indirect check, so an unconnected helper cannot save the round
    const config = { profile: 'local' as const, ...(connectGraceMs === undefined ? {} : { connectGraceMs }) }
    const nodes = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'].map((id) => net.addNode(id, { config }))
    for (const m of nodes) await m.start()
    for (const m of nodes.slice(1)) {
      const join = m.join(['n0'])
      await net.clock.run(setupMs + 100, 10)
      await join
    }
    await net.clock.run(30_000, 10)
    const sum = (f: (s: ReturnType<Membership['stats']>) => number) => nodes.reduce((n, m) => n + f(m.stats()), 0)
    return {
      net,
      nodes,
      suspicions: sum((s) => s.suspicions),
      firstContacts: sum((s) => s.firstContactProbes),
      expired: sum((s) => s.connectGraceExpired),
    }
  }

  it("a probe's clock starts once its connection is open: slow first contacts raise no suspicion", async () => {
    const graced = await slowFirstContacts(1500)
    assert.ok(graced.firstContacts >= 10, `first-contact probes: ${graced.firstContacts}`)
    assert.equal(graced.expired, 0)
    assert.equal(graced.suspicions, 0)
    // the same cluster with the clock starting at the ping: first contacts outlast the probe interval
    const ungraced = await slowFirstContacts(1500, 0)
    assert.equal(ungraced.firstContacts, 0)
    assert.ok(ungraced.suspicions > 0, 'without the grace, slow set-ups are taken for silence')
    for (const m of [...graced.nodes, ...ungraced.nodes]) await m.stop()
  })

  it('the grace is bounded: a set-up slower than connectGraceMs starts the clock anyway', async () => {
    const slow = await slowFirstContacts(1500, 1000)
    assert.ok(slow.expired > 0, 'rounds whose grace ran out')
    for (const m of slow.nodes) await m.stop()
  })

  it('a crashed member is found as fast with the grace: its dial fails at once', async () => {
    const { net, nodes } = await slowFirstContacts(1500)
    net.crash('n3')
    const crashedAt = net.clock.now()
    const others = nodes.filter((m) => m !== nodes[3])
    const deadEverywhere = () => others.every((m) => m.members().find((x) => x.id === 'n3')?.state === 'dead')
    while (!deadEverywhere() && net.clock.now() - crashedAt < 60_000) await net.clock.run(100, 10)
    // local, 6 members: a suspicion of 3 x 1 s, at most 6 x that without confirmations, plus a
    // probe pass (5 intervals) before every member has probed it
    assert.ok(deadEverywhere(), 'n3 declared dead by every other member')
    assert.ok(net.clock.now() - crashedAt <= 23_000, `detected after ${net.clock.now() - crashedAt} ms`)
    for (const m of others) await m.stop()
  })

  it('ping-reqs go to members we hold a connection to, when there are enough of them', async () => {
    const near = new Set(['c', 'd', 'e', 'f'])
    const { m, clock, sent } = await knowingTen((id) => near.has(id))
    sent.length = 0
    // nobody answers: every probe round asks indirectChecks (3) helpers
    for (let t = 0; t < 40_000; t += 10) clock.advance(10)
    const asked = sent.filter((s) => s.packet.pingReq !== undefined).map((s) => s.to)
    assert.ok(asked.length >= 6, `ping-reqs sent: ${asked.length}`)
    assert.deepEqual(
      asked.filter((to) => !near.has(to)),
      [],
      'helpers without a connection, while connected ones were free',
    )
    await m.stop()
  })

  it('without the hint, helpers are a uniform sample', async () => {
    const { m, clock, sent } = await knowingTen(undefined)
    sent.length = 0
    for (let t = 0; t < 40_000; t += 10) clock.advance(10)
    const asked = new Set(sent.filter((s) => s.packet.pingReq !== undefined).map((s) => s.to))
    const near = new Set(['c', 'd', 'e', 'f'])
    assert.ok(
      [...asked].some((to) => !near.has(to)),
      `helpers asked: ${[...asked]}`,
    )
    await m.stop()
  })
})

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

  it('a joiner syncs again soon after its join, until a sync finds the tables equal', async () => {
    const net = new SimNetwork({ seed: SEED, latencyMs: 1 })
    const config = { profile: 'lan' as const, pushPullIntervalMs: 600_000 }
    const [n0, n1, n2] = ['n0', 'n1', 'n2'].map((id) => net.addNode(id, { config }))
    for (const m of [n0!, n1!, n2!]) await m.start()
    await joined(net, n1!)
    await joined(net, n2!)
    const syncs = () => n1!.stats().syncsInSync + n1!.stats().pushPulls
    const afterJoin = syncs()
    // within about 1, 2 and 4 probe intervals (±50%): well before the periodic sync, 10 min away
    await net.clock.run(12_000, 10)
    assert.ok(syncs() > afterJoin, 'synced again after the join')
    assert.ok(n1!.stats().syncsInSync >= 1, 'and stopped at a sync that found the tables equal')
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
})

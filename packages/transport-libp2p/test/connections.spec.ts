import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { PROBE_RING_TAG, probeRingsFor } from '../src/index.ts'
import { converged, type MurmurNode, Nodes, until } from './helpers.ts'

const transportOf = (n: MurmurNode) => n.services.membership.stats().transport

describe('connection budget (maxConnections)', function () {
  this.timeout(40_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  it('refuses a budget that is not a positive integer', async () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      await assert.rejects(net.murmur({ membership: { maxConnections: bad } }), { name: 'InvalidArgumentError' })
    }
  })

  it('without a budget, counts handshakes at both ends and reaps nothing', async () => {
    const nodes = await net.cluster(4)
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(10_000))
    await delay(1500)
    const stats = nodes.map(transportOf)
    const outbound = stats.reduce((n, s) => n + s.handshakes.outbound, 0)
    const inbound = stats.reduce((n, s) => n + s.handshakes.inbound, 0)
    assert.ok(outbound > 0, 'dials counted')
    assert.equal(inbound, outbound, 'every connection we dialled is one the other end accepted')
    for (const s of stats) {
      assert.equal(s.connectionsReaped, 0)
      assert.equal(s.connections, 3)
      assert.equal(s.dialFailures, 0)
    }
  })

  it('8 nodes with a budget of 3, probing every member: each holds about 3 connections, churns them, suspects nobody', async () => {
    // probeRings 0: every member in turn, so most probes need a connection the budget closed
    const nodes = await net.cluster(8, { membership: { maxConnections: 3, config: { probeRings: 0 } } })
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(15_000))
    let suspicions = 0
    for (const n of nodes) n.services.membership.addEventListener('member:suspect', () => suspicions++)
    const before = nodes.map(transportOf)
    const held: number[] = []
    for (let i = 0; i < 12; i++) {
      await delay(250)
      for (const n of nodes) held.push(transportOf(n).connections)
    }
    const after = nodes.map(transportOf)
    const reaped = after.reduce((n, s, i) => n + s.connectionsReaped - before[i].connectionsReaped, 0)
    const dials = after.reduce((n, s, i) => n + s.handshakes.outbound - before[i].handshakes.outbound, 0)
    assert.ok(reaped > 0, 'connections past the budget are closed')
    assert.ok(dials > 0, 'and probes to members we hold no connection to dial again')
    // the engine sees the transport's hints: a probe that dials waits for its connection
    const firstContacts = nodes.reduce((n, m) => n + m.services.membership.stats().firstContactProbes, 0)
    assert.ok(firstContacts > 0, 'probes whose clock waited for their connection')
    const mean = held.reduce((a, b) => a + b, 0) / held.length
    // the budget is enforced after each new connection, and a connection in use within the probe
    // timeout is kept: a node holds the budget plus the one or two it is using right now
    assert.ok(mean <= 4.5, `mean connections held ${mean.toFixed(2)}, budget 3`)
    assert.equal(suspicions, 0)
    assert.ok(converged(nodes))
    // the gossip hint: a member with an open packet stream is one we can reach without a handshake
    const n0 = nodes[0]
    const connectedIds = nodes.slice(1).filter((m) => n0.getConnections(m.peerId).length > 0)
    assert.ok(connectedIds.length > 0 && connectedIds.length < 7, `n0 holds ${connectedIds.length} of 7`)
  })

  it('a budget turns probe rings on: 10 nodes with a budget of 5 settle on a few connections each', async () => {
    const nodes = await net.cluster(10, { membership: { maxConnections: 5 } })
    assert.equal(nodes[0].services.membership.config.probeRings, probeRingsFor(5))
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(20_000))
    await delay(3000) // the joins' first contacts are done
    let suspicions = 0
    for (const n of nodes) n.services.membership.addEventListener('member:suspect', () => suspicions++)
    const before = nodes.map(transportOf)
    const probes0 = nodes.reduce((n, m) => n + m.services.membership.stats().probes, 0)
    const held: number[] = []
    for (let i = 0; i < 12; i++) {
      await delay(250)
      for (const n of nodes) held.push(transportOf(n).connections)
    }
    const after = nodes.map(transportOf)
    const dials = after.reduce((n, s, i) => n + s.handshakes.outbound - before[i].handshakes.outbound, 0)
    const probes = nodes.reduce((n, m) => n + m.services.membership.stats().probes, 0) - probes0
    assert.ok(probes >= 20, `the nodes kept probing (${probes} probes)`)
    // uniform targets would dial for about half of these probes (budget 5 of 9 others)
    assert.ok(dials <= probes / 10, `${dials} dials for ${probes} probes`)
    const mean = held.reduce((a, b) => a + b, 0) / held.length
    // as above: the budget plus the one or two in use right now
    assert.ok(mean <= 6.5, `mean connections held ${mean.toFixed(2)}, budget 5`)
    assert.equal(suspicions, 0)
    // the members a node probes are tagged for libp2p's connection manager, and only they
    for (const n of nodes) {
      const tagged: string[] = []
      for (const m of nodes) {
        if (m === n) continue
        const peer = await n.peerStore.get(m.peerId).catch(() => undefined)
        if (peer?.tags.get(PROBE_RING_TAG)?.value === 50) tagged.push(m.peerId.toString())
      }
      const probed = (n.services.membership as unknown as { core: { probeRingTargets(): string[] } }).core
      assert.deepEqual(tagged.sort(), probed.probeRingTargets().sort(), `${n.peerId} tags its ring targets`)
      assert.ok(tagged.length >= 1 && tagged.length <= probeRingsFor(5))
    }
  })

  it('probe rings set in the config win over the budget default', async () => {
    const [n] = await net.cluster(1, { membership: { maxConnections: 40, config: { probeRings: 2 } } })
    assert.equal(n.services.membership.config.probeRings, 2)
    assert.equal(probeRingsFor(40), 8)
    assert.equal(probeRingsFor(undefined), 0)
    assert.equal(probeRingsFor(1), 1)
    assert.equal(probeRingsFor(1000), 8)
  })
})

describe('a long-running node', function () {
  this.timeout(30_000)
  const net = new Nodes()
  const original = AbortSignal.any
  afterEach(async () => {
    AbortSignal.any = original
    await net.stopAll()
  })

  // Node keeps a WeakRef per AbortSignal.any() result on each of its sources until a major GC and
  // a finalizer run (nodejs/node#54614): combined with the transport's long-lived shutdown signal
  // at every stall ping, a soak's heap grew by thousands of them between GCs. any-signal instead.
  it('calls AbortSignal.any nowhere in its steady state', async () => {
    const nodes = await net.cluster(3)
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(10_000))
    let calls = 0
    AbortSignal.any = (signals: AbortSignal[]) => {
      calls++
      return original.call(AbortSignal, signals)
    }
    const pings = () => nodes.reduce((n, m) => n + m.services.membership.stats().acks, 0)
    const before = pings()
    await delay(3000)
    assert.ok(pings() - before >= 6, 'the nodes kept probing one another')
    assert.equal(calls, 0)
  })
})

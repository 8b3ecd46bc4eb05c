import assert from 'node:assert/strict'
import { type Membership, suspicionTimeout } from '@murmur/core'
import { SimNetwork, simPeer } from '@murmur/core/testing'
import { cluster, converged, runUntil, stateOf } from './helpers.ts'

/** Counts suspect events about anyone but `victim`, on every node. */
function suspicionsOfOthers(nodes: Membership[], victim: string): { count: number } {
  const seen = { count: 0 }
  for (const m of nodes) {
    m.addEventListener('member:suspect', (e) => {
      if (e.detail.id !== victim) seen.count++
    })
  }
  return seen
}

describe('simulator connection model', () => {
  it('without a model, transports give no connection hint and nothing counts as a handshake', async () => {
    const net = new SimNetwork({ seed: 3 })
    const t = net.transport('a')
    net.transport('b').listen({ onPacket: () => true, onRequest: async () => new Uint8Array(0) })
    assert.equal(t.connected, undefined)
    t.send(simPeer('b'), new Uint8Array([1]))
    await net.clock.run(10)
    assert.equal(net.traffic.handshakes, 0)
    assert.equal(net.connectionCount('a'), 0)
  })

  it('a first packet opens a connection (both ends, set-up delay, CPU), the next ones reuse it', async () => {
    const net = new SimNetwork({ seed: 3, latencyMs: 1, connections: { setupMs: 20, cpuMs: 2 } })
    const got: number[] = []
    const a = net.transport('a')
    net.transport('b').listen({ onPacket: () => got.push(net.clock.now()) > 0, onRequest: async (_, b) => b })
    assert.equal(a.connected?.('b'), false)
    a.send(simPeer('b'), new Uint8Array([1]))
    assert.equal(a.connected?.('b'), true)
    assert.equal(net.transport('b').connected?.('a'), true)
    await net.clock.run(5)
    a.send(simPeer('b'), new Uint8Array([2])) // queued behind the set-up, not a second handshake
    await net.clock.run(50)
    assert.deepEqual(got, [21, 21])
    a.send(simPeer('b'), new Uint8Array([3]))
    await net.clock.run(5)
    assert.deepEqual(got, [21, 21, 56])
    assert.equal(net.traffic.handshakes, 1)
    assert.equal(net.traffic.handshakeCpuMs, 4)
    assert.equal(net.handshakesOf('a'), 1)
    assert.equal(net.handshakesOf('b'), 1)
  })

  it('a node over its budget closes its least recently used connection, at both ends', async () => {
    const net = new SimNetwork({ seed: 3, connections: { budget: 2 } })
    const a = net.transport('a')
    for (const id of ['b', 'c', 'd']) net.transport(id).listen({ onPacket: () => true, onRequest: async (_, x) => x })
    a.send(simPeer('b'), new Uint8Array([1]))
    a.send(simPeer('c'), new Uint8Array([1]))
    a.send(simPeer('b'), new Uint8Array([1])) // b is now the most recently used
    a.send(simPeer('d'), new Uint8Array([1]))
    assert.equal(net.connectionCount('a'), 2)
    assert.equal(a.connected?.('c'), false)
    assert.equal(net.transport('c').connected?.('a'), false)
    assert.equal(a.connected?.('b'), true)
    assert.equal(net.traffic.evictions, 1)
  })

  it('a crashed node loses its connections', async () => {
    const net = new SimNetwork({ seed: 3, connections: {} })
    net.transport('b').listen({ onPacket: () => true, onRequest: async (_, x) => x })
    net.transport('a').send(simPeer('b'), new Uint8Array([1]))
    net.crash('b')
    assert.equal(net.transport('a').connected?.('b'), false)
  })

  it('40 nodes, budget 8: no false suspicion, a crash detected within the bound, connections within budget', async () => {
    const { net, nodes } = await cluster(40, {
      connections: { budget: 8, setupMs: 10, cpuMs: 3 },
      config: { profile: 'lan' },
    })
    await runUntil(net, () => converged(nodes), 60_000, 200)
    const suspicions = suspicionsOfOthers(nodes, 'n7')
    const h0 = net.traffic.handshakes
    await net.clock.run(30_000, 10)
    assert.equal(suspicions.count, 0)
    for (const id of net.ids()) assert.ok(net.connectionCount(id) <= 8, `${id} holds ${net.connectionCount(id)}`)
    const perNodePerSecond = (2 * (net.traffic.handshakes - h0)) / 40 / 30
    assert.ok(perNodePerSecond > 0.5, `a budget below the cluster size costs handshakes (${perNodePerSecond}/s)`)
    net.crash('n7')
    const survivors = nodes.filter((m) => m.id !== 'n7')
    const bound = 6 * suspicionTimeout(4, 40, 1000) + 5 * 1000
    await runUntil(net, () => survivors.every((m) => stateOf(m, 'n7') === 'dead'), bound, 200)
    assert.equal(suspicions.count, 0)
  })

  it('gossip rounds go to connected members when the transport says who they are', async () => {
    const { net, nodes } = await cluster(30, { connections: { budget: 6 }, config: { profile: 'lan' } })
    await runUntil(net, () => converged(nodes), 60_000, 200)
    await net.clock.run(10_000, 10)
    const h0 = net.traffic.handshakes
    // a burst of metadata changes keeps the gossip loops busy: their rounds must not dial
    for (let i = 0; i < 5; i++) nodes[i].setMetadata(new Uint8Array([i + 1]))
    await net.clock.run(2_000, 10)
    const withHint = net.traffic.handshakes - h0
    assert.ok(nodes.every((m) => nodes.slice(0, 5).every((s) => m.member(s.id)?.metadata[0] !== undefined)))
    // probes alone (1 per node per second, uniform) cost about 30 x 2 x (1 - 6/29) = 48 handshakes;
    // gossip to random members (3 per 200 ms each, most of them unconnected) would add hundreds
    assert.ok(withHint < 150, `handshakes during the burst: ${withHint}`)
  })

  it('probe rings: 60 nodes, budget 10, no false suspicion, few handshakes, a crash detected within the bound', async () => {
    const run = async (probeRings: number) => {
      const { net, nodes } = await cluster(60, {
        connections: { budget: 10, setupMs: 10, cpuMs: 3 },
        config: { profile: 'lan', probeRings },
      })
      await runUntil(net, () => converged(nodes), 60_000, 200)
      await net.clock.run(20_000, 10) // every node reaches its steady set of connections
      const suspicions = suspicionsOfOthers(nodes, 'n7')
      const h0 = net.traffic.handshakes
      await net.clock.run(30_000, 10)
      const perNodePerSecond = (2 * (net.traffic.handshakes - h0)) / 60 / 30
      const held = Math.max(...net.ids().map((id) => net.connectionCount(id)))
      const crashedAt = net.clock.now()
      net.crash('n7')
      const survivors = nodes.filter((m) => m.id !== 'n7')
      const bound = 6 * suspicionTimeout(4, 60, 1000) + 5 * 1000
      await runUntil(net, () => survivors.every((m) => stateOf(m, 'n7') === 'dead'), bound, 200)
      return { suspicions: suspicions.count, perNodePerSecond, held, detectedMs: net.clock.now() - crashedAt }
    }
    const rings = await run(2)
    const uniform = await run(0)
    assert.equal(rings.suspicions, 0)
    assert.equal(uniform.suspicions, 0)
    // uniform targets pay a handshake for most probes; rings only for the occasional push-pull
    assert.ok(uniform.perNodePerSecond > 1, `uniform: ${uniform.perNodePerSecond} handshakes/node/s`)
    assert.ok(
      rings.perNodePerSecond < uniform.perNodePerSecond / 5,
      `rings: ${rings.perNodePerSecond} handshakes/node/s, uniform ${uniform.perNodePerSecond}`,
    )
    assert.ok(rings.held <= 10)
    // a suspect's only probers are its ring predecessors: Lifeguard must not wait for more
    // confirmations than they can give (22.4 s against 9.2 s before it stopped waiting)
    assert.ok(
      rings.detectedMs < 1.5 * uniform.detectedMs,
      `rings ${rings.detectedMs} ms, uniform ${uniform.detectedMs} ms`,
    )
  })
})

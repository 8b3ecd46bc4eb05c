import assert from 'node:assert/strict'
import { DEFAULTS, type ProbeResult, type Transport } from '@murmur/core'
import { SimNetwork } from '@murmur/core/testing'
import { decodePacket } from '@murmur/core/wire'
import { converged, lone, runUntil, SEED, simCluster } from './helpers.ts'

/**
 * Stall awareness: a node whose host stalls (a blocked event loop) wakes with its timers fired
 * late and the acks it waited for still unread. It must doubt itself, not accuse others.
 */
describe('stall awareness', () => {
  /**
   * Three nodes 200 ms apart (one way); `c` stalls for 3 s just after it sent a ping, ten times,
   * so that it wakes to its probe timers with the ack waiting. Returns what c's probe rounds came
   * to and whom c accused.
   */
  async function stallRepeatedly(stallAwareness: boolean) {
    let armed = false
    let net!: SimNetwork
    const stallAfterPing = (id: string) => {
      if (id !== 'c') return {}
      const inner = net.transport('c')
      const transport: Transport = {
        ...inner,
        send: (to, bytes) => {
          const sent = inner.send(to, bytes)
          if (armed && decodePacket(bytes, DEFAULTS).ping !== undefined) {
            armed = false
            net.stall('c', 3000)
          }
          return sent
        },
      }
      return { transport }
    }
    const config = { stallAwareness, suspicionMult: 10 }
    net = new SimNetwork({ seed: SEED, latencyMs: 1, config })
    const nodes = ['a', 'b', 'c'].map((id) => net.addNode(id, stallAfterPing(id)))
    for (const m of nodes) await m.start()
    const joins = nodes.slice(1).map((m) => m.join(['a']))
    await net.clock.run(100)
    await Promise.all(joins)
    await runUntil(net, () => converged(nodes), 30_000)
    net.setLatency(200)
    const c = nodes[2]
    const outcomes: ProbeResult['outcome'][] = []
    const accused: string[] = []
    c.addEventListener('probe', (e) => outcomes.push(e.detail.outcome))
    c.addEventListener('member:suspect', (e) => {
      if (e.detail.reason?.accuser === 'c') accused.push(e.detail.id)
    })
    for (let i = 0; i < 10; i++) {
      armed = true
      await runUntil(net, () => !armed, 30_000)
      await net.clock.run(3000 + 137 * i)
    }
    await net.clock.run(5000)
    return { net, nodes, c, outcomes, accused }
  }

  it('without it, a stalled node wakes to its probe timers before its acks and accuses healthy members', async () => {
    const { outcomes, accused, c } = await stallRepeatedly(false)
    assert.ok(accused.length > 0, 'the stalled node accused someone')
    assert.ok(outcomes.includes('failed'))
    assert.equal(c.stats().inconclusiveProbes, 0)
  })

  it('with it, rounds that ran late are inconclusive: no accusation, a higher health score, counted', async () => {
    const { outcomes, accused, c, nodes, net } = await stallRepeatedly(true)
    assert.deepEqual(accused, [], 'the stalled node accused nobody')
    assert.ok(outcomes.includes('inconclusive'))
    assert.ok(!outcomes.includes('failed'))
    const stats = c.stats()
    assert.ok(stats.inconclusiveProbes > 0, 'inconclusive rounds are counted')
    assert.ok(stats.stalls > 0, 'late probe ticks are counted as stalls')
    // and the healthy ones never suspected each other
    for (const m of nodes.slice(0, 2)) assert.equal(m.stats().inconclusiveProbes, 0)
    assert.ok(net.ids().every((id) => nodes.every((m) => m.member(id)?.state === 'alive')))
  })

  it('a late probe tick raises the local health score, one step per stalled tick', async () => {
    const { net, nodes } = await simCluster(['a', 'b'], { config: { suspicionMult: 10 } })
    const a = nodes[0]
    let peak = 0
    a.addEventListener('probe', (e) => {
      peak = Math.max(peak, e.detail.healthScore)
    })
    assert.equal(a.healthScore(), 0)
    net.stall('a', 2500)
    await net.clock.run(2600)
    assert.ok(a.stats().stalls >= 1)
    assert.ok(peak >= 1, `health score rose (peak ${peak})`)
    await net.clock.run(30_000)
    assert.equal(a.healthScore(), 0, 'and recovers with good probes')
  })

  it('a host-measured event-loop delay past the probe timeout counts as a stall; one within it does not', async () => {
    let delay = 100
    const { m, clock } = await lone('a', { loopDelay: () => delay })
    clock.advance(5000)
    assert.equal(m.stats().stalls, 0)
    assert.equal(m.healthScore(), 0)
    delay = 800
    clock.advance(1000)
    assert.ok(m.stats().stalls >= 1)
    assert.ok(m.healthScore() >= 1)
  })

  it('stallAwareness off: neither late ticks nor loop delay count', async () => {
    const { m, clock } = await lone('a', { loopDelay: () => 5000, config: { stallAwareness: false } })
    clock.advance(5000)
    assert.equal(m.stats().stalls, 0)
    assert.equal(m.healthScore(), 0)
  })

  it('a rejected stallAwareness value is named', async () => {
    await assert.rejects(
      async () => lone('a', { config: { stallAwareness: 'yes' as unknown as boolean } }),
      (err: Error & { code?: string }) => err.code === 'ERR_INVALID_CONFIG' && /stallAwareness/.test(err.message),
    )
  })
})

describe('SimNetwork.stall', () => {
  it('holds a node, then runs its late timers before the packets that arrived meanwhile', async () => {
    const net = new SimNetwork({ latencyMs: 1 })
    const order: string[] = []
    const tb = net.transport('b')
    tb.listen({ onPacket: () => order.push('packet') > 0, onRequest: async () => new Uint8Array(0) })
    net.transport('a')
    net.clockFor('b').setTimeout(() => order.push('timer'), 100)
    assert.equal(net.stall('b', 500), true)
    assert.equal(net.stall('b', 500), false, 'already stalled')
    assert.ok(net.isPaused('b'))
    await net.clock.run(50)
    void net.transport('a').send({ id: 'b', addrs: ['b'] }, new Uint8Array([1]))
    await net.clock.run(200)
    assert.deepEqual(order, [], 'nothing runs while stalled')
    await net.clock.run(300)
    assert.deepEqual(order, ['timer', 'packet'])
    assert.ok(!net.isPaused('b'))
  })

  it('resume() without timersFirst keeps the order things fell due', async () => {
    const net = new SimNetwork({ latencyMs: 1 })
    const order: string[] = []
    net.transport('b').listen({ onPacket: () => order.push('packet') > 0, onRequest: async () => new Uint8Array(0) })
    net.pause('b')
    void net.transport('a').send({ id: 'b', addrs: ['b'] }, new Uint8Array([1]))
    net.clockFor('b').setTimeout(() => order.push('timer'), 100)
    await net.clock.run(200)
    net.resume('b')
    assert.deepEqual(order, ['packet', 'timer'])
  })
})

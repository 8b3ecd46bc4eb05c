import assert from 'node:assert/strict'
import { estimateRttMs, type Membership, seededRandom } from '@murmur/core'
import { SimNetwork } from '@murmur/core/testing'
import { alive, SEED } from '../helpers.ts'

/**
 * A latency matrix made up for the test, the way Serf's own coordinate tests make theirs: every
 * node a point in a plane (a 100 x 100 ms square) plus a height (its access link, 1 to 5 ms);
 * the true RTT between two nodes is their distance plus both heights. The simulator adds jitter.
 */
function world(n: number, seed: number) {
  const random = seededRandom(seed)
  const nodes = Array.from({ length: n }, () => ({
    x: random.next() * 100,
    y: random.next() * 100,
    h: 1 + random.next() * 4,
  }))
  const rtt = (i: number, j: number) =>
    Math.hypot(nodes[i].x - nodes[j].x, nodes[i].y - nodes[j].y) + nodes[i].h + nodes[j].h
  return { rtt }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

describe('simulation: network coordinates (Vivaldi)', function () {
  this.timeout(120_000)

  it('N=200: after 120 virtual seconds the median relative error of estimated RTTs is under 15%', async () => {
    const n = 200
    const { rtt } = world(n, SEED)
    const net = new SimNetwork({ seed: SEED, jitterMs: 1, config: { profile: 'lan' } })
    const ids = Array.from({ length: n }, (_, i) => `n${i}`)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (i !== j) net.setLinkLatency(ids[i], ids[j], rtt(i, j) / 2)
    }
    const nodes: Membership[] = ids.map((id) => net.addNode(id))
    const claims = nodes.map((m) => alive(m.id))
    for (const m of nodes) m.restore(claims)
    for (const m of nodes) await m.start()
    const errorAt = () => {
      const errors: number[] = []
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const truth = rtt(i, j)
          errors.push(Math.abs(estimateRttMs(nodes[i].coordinate(), nodes[j].coordinate()) - truth) / truth)
        }
      }
      return median(errors)
    }
    const before = errorAt()
    await net.clock.run(120_000, 50)
    const after = errorAt()
    console.log(`      node error estimates: median ${median(nodes.map((m) => m.coordinate().error)).toFixed(3)}`)
    console.log(
      `      median relative error: ${(before * 100).toFixed(1)}% at start, ${(after * 100).toFixed(1)}% after 120 s`,
    )
    assert.ok(after < 0.15, `median relative error ${(after * 100).toFixed(1)}%`)
    // a node's estimate between two others, from the coordinates it holds (each came with an ack)
    const a = nodes[0]
    const known = a.members().filter((m) => a.estimateRtt(m.id) !== undefined)
    assert.ok(known.length > n / 2, `${known.length} members with a coordinate at n0`)
    const near = a.nearest(5)
    assert.equal(near.length, 5)
    for (let k = 1; k < near.length; k++) assert.ok(near[k - 1].rttMs <= near[k].rttMs)
    for (const m of nodes) m.stop()
  })
})

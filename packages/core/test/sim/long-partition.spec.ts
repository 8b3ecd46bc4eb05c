import { cluster, converged, runUntil, stateOf } from './helpers.ts'

describe('simulation: a partition longer than gossip-to-the-dead', () => {
  it('heals through reconnect push-pulls with dead members', async () => {
    const { net, nodes } = await cluster(8, { config: { pushPullIntervalMs: 5000, gossipToTheDeadMs: 2000 } })
    await runUntil(net, () => converged(nodes), 30_000)
    const a = nodes.slice(0, 4)
    const b = nodes.slice(4)
    net.partition(
      a.map((m) => m.id),
      b.map((m) => m.id),
    )
    await runUntil(net, () => a.every((m) => b.every((o) => stateOf(m, o.id) === 'dead')), 120_000)
    // well past gossipToTheDeadMs: nobody gossips to the other side any more
    await net.clock.run(30_000, 50)
    net.heal()
    await runUntil(net, () => converged(nodes), 60_000)
  })
})

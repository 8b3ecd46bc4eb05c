import assert from 'node:assert/strict'
import { suspicionTimeout } from '@murmur/core'
import { cluster, converged, runUntil, stateOf } from './helpers.ts'

describe('simulation scenarios', () => {
  it('20 nodes joining through one seed converge to a full view', async () => {
    const { net, nodes } = await cluster(20)
    const took = await runUntil(net, () => converged(nodes), 30_000)
    assert.ok(took < 30_000)
    for (const m of nodes) assert.equal(m.members().length, 20)
  })

  it('a crashed node is suspected then declared dead by every survivor, with an explanation', async () => {
    const { net, nodes } = await cluster(10)
    await runUntil(net, () => converged(nodes), 30_000)
    net.crash('n3')
    const survivors = nodes.filter((m) => m.id !== 'n3')
    const min = suspicionTimeout(4, 10, 1000)
    const bound = 6 * min + 5 * 1000
    const took = await runUntil(net, () => survivors.every((m) => stateOf(m, 'n3') === 'dead'), bound)
    assert.ok(took <= bound, `detected in ${took} ms, bound ${bound}`)
    const reason = survivors[0].member('n3')?.reason
    assert.ok(reason !== undefined)
    assert.ok(reason.accuser.length > 0)
    assert.ok(['suspicion-timeout', 'gossip'].includes(reason.deadBy ?? ''))
    const accuser = nodes.find((m) => m.id === reason.accuser)!
    const own = accuser.member('n3')!.reason!
    assert.ok(own.failedProbes.length > 0, 'the accuser names the probes that failed')
  })

  it('a paused node that is suspected refutes with a higher incarnation and is never declared dead', async () => {
    const { net, nodes } = await cluster(8)
    await runUntil(net, () => converged(nodes), 30_000)
    const before = nodes[0].member('n5')!.incarnation
    let dead = 0
    let suspected = 0
    for (const m of nodes) {
      m.addEventListener('member:dead', (e) => {
        if (e.detail.id === 'n5') dead++
      })
      m.addEventListener('member:suspect', (e) => {
        if (e.detail.id === 'n5') suspected++
      })
    }
    net.pause('n5')
    await runUntil(net, () => suspected > 0, 20_000)
    net.resume('n5')
    await runUntil(net, () => nodes.every((m) => stateOf(m, 'n5') === 'alive'), 20_000)
    await net.clock.run(20_000, 50)
    assert.equal(dead, 0)
    assert.ok(nodes[0].member('n5')!.incarnation > before)
  })

  it('a graceful leave is seen as left, never dead', async () => {
    const { net, nodes } = await cluster(6)
    await runUntil(net, () => converged(nodes), 30_000)
    let dead = 0
    for (const m of nodes) m.addEventListener('member:dead', () => dead++)
    const leaving = nodes[2].leave()
    await net.clock.run(6000, 10)
    await leaving
    nodes[2].stop()
    const others = nodes.filter((m) => m.id !== 'n2')
    await runUntil(net, () => others.every((m) => stateOf(m, 'n2') === 'left'), 10_000)
    await net.clock.run(30_000, 50)
    assert.equal(dead, 0)
    assert.ok(others.every((m) => stateOf(m, 'n2') === 'left'))
  })

  it('a partition makes each side declare the other dead; after heal one view everywhere', async () => {
    const { net, nodes } = await cluster(8, { config: { pushPullIntervalMs: 5000 } })
    await runUntil(net, () => converged(nodes), 30_000)
    const a = nodes.slice(0, 4).map((m) => m.id)
    const b = nodes.slice(4).map((m) => m.id)
    net.partition(a, b)
    await runUntil(net, () => nodes.slice(0, 4).every((m) => b.every((id) => stateOf(m, id) === 'dead')), 120_000)
    net.heal()
    // nobody probes the dead; push-pull and the dead refuting gossip-to-the-dead bring them back
    await runUntil(net, () => converged(nodes), 120_000)
  })

  it('10% packet loss for 10 minutes: no false death among 30 nodes', async () => {
    const { net, nodes } = await cluster(30, { seed: 7 })
    await runUntil(net, () => converged(nodes), 60_000)
    let dead = 0
    for (const m of nodes) m.addEventListener('member:dead', () => dead++)
    net.setLoss(0.1)
    await net.clock.run(600_000, 100)
    assert.equal(dead, 0)
  })
})

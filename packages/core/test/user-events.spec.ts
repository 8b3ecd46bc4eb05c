import assert from 'node:assert/strict'
import type { UserEventInfo } from '@murmur/core'
import { Update } from '../src/codec/messages.ts'
import { alive, lone, packet, runUntil, simCluster, userEvent } from './helpers.ts'

describe('user events', () => {
  it('are delivered exactly once on every node, the sender included, despite loss', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e']
    const { net, nodes } = await simCluster(ids)
    const got = new Map<string, UserEventInfo[]>(ids.map((id) => [id, []]))
    for (const m of nodes) m.addEventListener('user-event', (e) => got.get(m.id)!.push(e.detail))
    net.setLoss(0.2)
    await nodes[0].broadcast('deploy', Uint8Array.from([1, 2]))
    await nodes[1].broadcast('config', Uint8Array.from([3]))
    await nodes[1].broadcast('config', Uint8Array.from([4])) // same name, a new event
    await runUntil(net, () => [...got.values()].every((list) => list.length === 3), 30_000)
    await net.clock.run(60_000, 100)
    for (const [id, list] of got) {
      assert.equal(list.length, 3, `${id} got ${list.length}`)
      const deploy = list.find((e) => e.name === 'deploy')!
      assert.equal(deploy.origin, 'a')
      assert.deepEqual(deploy.payload, Uint8Array.from([1, 2]))
      assert.ok(Object.isFrozen(deploy))
      const configs = list.filter((e) => e.name === 'config').map((e) => [...e.payload][0])
      assert.deepEqual(configs.sort(), [3, 4])
    }
    const ltimes = got
      .get('b')!
      .filter((e) => e.origin === 'b')
      .map((e) => e.ltime)
    assert.ok(ltimes[1] > ltimes[0], 'Lamport times grow at the origin')
  })

  it('a replayed event is not delivered again', async () => {
    const { m, sent } = await lone('a')
    const got: UserEventInfo[] = []
    m.addEventListener('user-event', (e) => got.push(e.detail))
    const ev = userEvent('b', 5, 'x', { payload: Uint8Array.from([1]) })
    m.handlePacket('b', packet({ updates: [alive('b')], events: [ev] }))
    m.handlePacket('b', packet({ events: [ev] }))
    m.handlePacket('c', packet({ events: [ev, ev] }))
    assert.equal(got.length, 1)
    assert.equal(m.stats().updatesStale, 3)
    assert.equal(m.stats().userEvents, 1)
    // too old for the dedup window: stale, even if never seen
    m.handlePacket('b', packet({ events: [userEvent('b', 5000, 'new')] }))
    m.handlePacket('b', packet({ events: [userEvent('b', 5000 - m.config.userEventBufferSize - 1, 'ancient')] }))
    assert.deepEqual(
      got.map((e) => e.name),
      ['x', 'new'],
    )
    void sent
  })

  it('have their own byte budget: they still flow when membership updates fill the packet', async () => {
    const { m: a, clock, sent } = await lone('a')
    // a hundred members with long addresses: far more membership news than one packet holds
    const news = Array.from({ length: 100 }, (_, i) =>
      alive(`member-${i}`, 0, { addrs: [`/ip4/10.0.${i}.1/tcp/4001/p2p/member-${i}`] }),
    )
    for (const u of news) a.handlePacket(u.id, packet({ updates: [u] }))
    assert.ok(a.stats().queueDepth >= 100)
    await a.broadcast('urgent', Uint8Array.from([9]))
    const from = sent.length
    clock.advance(a.config.gossipIntervalMs)
    const gossip = sent.slice(from)
    assert.ok(gossip.length > 0)
    for (const s of gossip) {
      const updateBytes = s.packet.updates.reduce((n, u) => n + Update.encode(u).byteLength + 2, 0)
      assert.ok(updateBytes > a.config.packetBudgetBytes - 100, `membership budget filled: ${updateBytes}`)
      assert.ok(updateBytes <= a.config.packetBudgetBytes)
      assert.equal(s.packet.events.length, 1, 'and the event rides along anyway')
      assert.equal(s.packet.events[0].name, 'urgent')
    }
  })

  it('a node that joins later does not replay history, but gets what comes after', async () => {
    const { net, nodes } = await simCluster(['a', 'b'])
    await nodes[0].broadcast('before')
    await net.clock.run(5000)
    const late = net.addNode('late')
    await late.start()
    const got: string[] = []
    late.addEventListener('user-event', (e) => got.push(e.detail.name))
    const joined = late.join(['b'])
    await net.clock.run(100)
    await joined
    await net.clock.run(5000)
    await nodes[1].broadcast('after')
    await runUntil(net, () => got.length > 0, 10_000)
    await net.clock.run(10_000)
    assert.deepEqual(got, ['after'])
  })

  it('a node that missed the gossip gets recent events through push-pull', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'], { config: { pushPullIntervalMs: 2000 } })
    const got: string[] = []
    nodes[2].addEventListener('user-event', (e) => got.push(e.detail.name))
    net.partition(['a', 'b'], ['c'])
    await nodes[0].broadcast('missed')
    await runUntil(net, () => nodes[0].stats().eventQueueDepth === 0 && nodes[1].stats().eventQueueDepth === 0, 10_000)
    net.heal()
    await runUntil(net, () => got.length > 0, 20_000)
    assert.deepEqual(got, ['missed'])
  })

  it('reject a bad name or an oversized payload', async () => {
    const { m } = await lone('a')
    await assert.rejects(m.broadcast(''), { name: 'InvalidArgumentError', code: 'ERR_INVALID_ARGUMENT' })
    await assert.rejects(m.broadcast('x'.repeat(129)), { name: 'InvalidArgumentError' })
    await assert.rejects(m.broadcast('x', new Uint8Array(m.config.maxUserEventBytes + 1)), {
      name: 'InvalidArgumentError',
    })
    await m.broadcast('x', new Uint8Array(m.config.maxUserEventBytes))
  })
})

import assert from 'node:assert/strict'
import {
  InvalidArgumentError,
  JoinFailedError,
  type Member,
  type MemberEventName,
  type Membership,
  NotStartedError,
} from '@murmur/core'
import { SimNetwork } from '@murmur/core/testing'
import { Kind } from '@murmur/core/wire'
import { alive, claim, lone, packet, runUntil, SEED, simCluster } from './helpers.ts'

const MEMBER_EVENTS: MemberEventName[] = [
  'member:join',
  'member:update',
  'member:suspect',
  'member:alive',
  'member:dead',
  'member:leave',
  'member:reap',
]

/** Each viewer's table when recording started. */
const initial = new Map<string, Member[]>()

interface Seen {
  name: MemberEventName
  member: Member
  at: number
  /** What the viewer's table said at dispatch time. */
  table: Member | undefined
}

/** Records every member event on every node, per viewer. */
function recordEvents(nodes: Membership[], now: () => number): Map<string, Seen[]> {
  const seen = new Map<string, Seen[]>()
  initial.clear()
  for (const m of nodes) initial.set(m.id, m.members().slice(1))
  for (const m of nodes) {
    const list: Seen[] = []
    seen.set(m.id, list)
    for (const name of MEMBER_EVENTS) {
      m.addEventListener(name, (e) => list.push({ name, member: e.detail, at: now(), table: m.member(e.detail.id) }))
    }
  }
  return seen
}

/** The state each event must leave a member in, and the states it may come from (undefined: unknown). */
const TRANSITIONS: Record<MemberEventName, { to: Member['state'][]; from: Array<Member['state'] | undefined> }> = {
  'member:join': { to: ['alive'], from: [undefined, 'dead', 'left'] },
  'member:update': { to: ['alive'], from: ['alive'] },
  // a claim at a higher incarnation may follow any state but 'alive' after 'alive'
  'member:suspect': { to: ['suspect'], from: ['alive', 'suspect', 'dead', 'left'] },
  'member:alive': { to: ['alive'], from: ['suspect'] },
  'member:dead': { to: ['dead'], from: ['alive', 'suspect', 'dead', 'left'] },
  'member:leave': { to: ['left'], from: ['alive', 'suspect', 'dead', 'left'] },
  'member:reap': { to: ['dead', 'left'], from: ['dead', 'left'] },
}

describe('Membership lifecycle', () => {
  it('start() and stop() are idempotent; a stopped engine drops what arrives and can start again', async () => {
    const { m, clock } = await lone('a')
    const timers = clock.pending
    assert.ok(timers >= 3, 'probe, gossip and push-pull loops')
    await m.start()
    assert.equal(clock.pending, timers, 'a second start() schedules nothing more')
    m.stop()
    m.stop()
    assert.equal(m.isStarted, false)
    assert.equal(clock.pending, 0, 'stop() clears every timer')
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    assert.equal(m.stats().drops.stopped, 1)
    assert.equal(m.member('b'), undefined)
    await assert.rejects(m.handleRequest('b', new Uint8Array(0)), { name: 'NotStartedError' })
    assert.equal(m.stats().drops.stopped, 2)
    await m.start()
    assert.equal(m.isStarted, true)
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    assert.equal(m.member('b')?.state, 'alive')
  })

  it('methods that need a running engine throw NotStartedError', async () => {
    const net = new SimNetwork({ seed: SEED })
    const a = net.addNode('a')
    await assert.rejects(
      a.join(['b']),
      (err: Error) => err instanceof NotStartedError && err.name === 'NotStartedError',
    )
    await assert.rejects(a.join(['b']), { code: 'ERR_NOT_STARTED' })
    await assert.rejects(a.broadcast('x'), { name: 'NotStartedError' })
    await assert.rejects(a.leave(), { name: 'NotStartedError' })
  })

  it('join() rejects with JoinFailedError listing one error per seed when no seed answers', async () => {
    const net = new SimNetwork({ seed: SEED, config: { requestTimeoutMs: 2000, joinTimeoutMs: 2000 } })
    const a = net.addNode('a')
    const c = net.addNode('c')
    await a.start()
    await c.start()
    net.partition(['a'], ['c'])
    const outcome = a.join(['nobody', 'c']).catch((err: unknown) => err)
    await net.clock.run(2100)
    const err = await outcome
    assert.ok(err instanceof JoinFailedError)
    assert.equal(err.name, 'JoinFailedError')
    assert.equal(err.code, 'ERR_JOIN_FAILED')
    assert.equal(err.errors.length, 2)
    assert.ok(err.errors.some((e) => e.message.startsWith('nobody:') && /refused/.test(e.message)))
    assert.ok(err.errors.some((e) => e.message.startsWith('c:') && /timed out/.test(e.message)))
    await assert.rejects(a.join([]), (e: Error) => e instanceof InvalidArgumentError)
  })

  it('join() resolves to the number of seeds that answered', async () => {
    const net = new SimNetwork({ seed: SEED })
    const [a, b, c] = ['a', 'b', 'c'].map((id) => net.addNode(id))
    for (const m of [a, b, c]) await m.start()
    const joined = c.join(['a', 'b', 'ghost'])
    await net.clock.run(100)
    assert.equal(await joined, 2)
  })

  it('join() can be aborted with a signal', async () => {
    const net = new SimNetwork({ seed: SEED })
    const a = net.addNode('a')
    const b = net.addNode('b')
    await a.start()
    await b.start()
    net.partition(['a'], ['b'])
    const controller = new AbortController()
    const outcome = a.join(['b'], { signal: controller.signal }).catch((err: unknown) => err)
    await net.clock.run(50)
    controller.abort(new Error('user gave up'))
    await net.clock.run(10)
    const err = (await outcome) as JoinFailedError
    assert.equal(err.name, 'JoinFailedError')
    assert.match(err.errors[0].message, /user gave up/)
  })

  it('leave() resolves soon when alone, and the node reports itself left', async () => {
    const { m, clock } = await lone('a', { config: { leaveTimeoutMs: 5000 } })
    let done = false
    void m.leave().then(() => {
      done = true
    })
    await clock.run(m.config.gossipIntervalMs + 10)
    assert.ok(done, 'nobody to tell: leave() does not wait for the timeout')
    assert.equal(m.self().state, 'left')
    await m.leave() // a second leave() returns at once
  })

  it('leave() resolves by leaveTimeoutMs even when the word cannot spread', async () => {
    const { m, clock } = await lone('a', { config: { leaveTimeoutMs: 3000, gossipNodes: 0 } })
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    let doneAt: number | undefined
    void m.leave().then(() => {
      doneAt = clock.now()
    })
    await clock.run(2990)
    assert.equal(doneAt, undefined)
    await clock.run(20)
    assert.equal(doneAt, 3000)
  })

  it('leave() resolves once the leave has been sent often enough, and others see left, never dead', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'])
    const [a, b, c] = nodes
    const events = recordEvents([b, c], () => net.clock.now())
    const start = net.clock.now()
    let doneAt: number | undefined
    void a.leave().then(() => {
      doneAt = net.clock.now()
    })
    await runUntil(net, () => doneAt !== undefined, 10_000)
    assert.ok(doneAt! - start < a.config.leaveTimeoutMs, `took ${doneAt! - start} ms`)
    a.stop()
    await net.clock.run(30_000, 100)
    for (const m of [b, c]) {
      assert.equal(m.member('a')?.state, 'left')
      const names = events
        .get(m.id)!
        .filter((e) => e.member.id === 'a')
        .map((e) => e.name)
      assert.deepEqual(names, ['member:leave'])
    }
  })

  it('leave() can be cut short with a signal', async () => {
    const { m, clock } = await lone('a', { config: { leaveTimeoutMs: 60_000, gossipNodes: 0 } })
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    const controller = new AbortController()
    let done = false
    void m.leave({ signal: controller.signal }).then(() => {
      done = true
    })
    await clock.run(100)
    assert.equal(done, false)
    controller.abort()
    await clock.run(1)
    assert.equal(done, true)
  })
})

describe('Membership events', () => {
  it('are dispatched in causal order per member, with frozen payloads matching the table', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c', 'd', 'e'], { config: { tombstoneMs: 20_000 } })
    const seen = recordEvents(nodes, () => net.clock.now())
    net.setLoss(0.15)
    await net.clock.run(20_000, 50)
    net.crash('e') // dead, then reaped
    net.pause('d') // suspected, then refutes
    await net.clock.run(3000, 50)
    net.resume('d')
    await net.clock.run(20_000, 50)
    nodes[1].setMetadata(Uint8Array.from([7])) // update
    await net.clock.run(5000, 50)
    const restarted = net.restart('e') // back from the dead: join
    await restarted.start()
    void restarted.join(['a']).catch(() => {})
    await net.clock.run(10_000, 50)
    void nodes[2].leave() // left
    await net.clock.run(40_000, 100)

    const names = new Set<string>()
    for (const [viewer, events] of seen) {
      const state = new Map<string, Member>(initial.get(viewer)!.map((m) => [m.id, m]))
      for (const e of events) {
        names.add(e.name)
        const { member } = e
        const where = `${viewer} on ${member.id} at ${e.at}: ${e.name}`
        assert.ok(Object.isFrozen(member) && Object.isFrozen(member.addrs), `${where}: not frozen`)
        if (member.reason) assert.ok(Object.isFrozen(member.reason) && Object.isFrozen(member.reason.confirmations))
        assert.throws(() => {
          ;(member as { state: string }).state = 'alive'
        }, TypeError)
        const rule = TRANSITIONS[e.name]
        const prev = state.get(member.id)
        assert.ok(rule.to.includes(member.state), `${where}: payload state ${member.state}`)
        assert.ok(rule.from.includes(prev?.state), `${where}: after ${prev?.state}`)
        if (prev !== undefined) {
          assert.ok(member.incarnation >= prev.incarnation, `${where}: incarnation went back`)
          assert.ok(member.stateChangedAt >= prev.stateChangedAt, `${where}: time went back`)
        }
        if (e.name === 'member:reap') {
          assert.equal(e.table, undefined, `${where}: still in the table`)
          state.delete(member.id)
        } else {
          assert.deepEqual(e.table, member, `${where}: payload differs from the table`)
          state.set(member.id, member)
        }
      }
    }
    for (const name of MEMBER_EVENTS) assert.ok(names.has(name), `the run should produce ${name}`)
  })

  it('a dead member carries its explanation; the accuser names its failed probes', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c', 'd'])
    net.crash('d')
    const survivors = nodes.slice(0, 3)
    await runUntil(net, () => survivors.every((m) => m.member('d')?.state === 'dead'), 60_000)
    for (const m of survivors) {
      const reason = m.member('d')!.reason!
      assert.ok(['a', 'b', 'c'].includes(reason.accuser))
      assert.ok(reason.deadAt !== undefined && reason.deadAt >= reason.suspectedAt)
      assert.ok(reason.declaredBy !== undefined)
      assert.equal(reason.deadBy, reason.declaredBy === m.id ? 'suspicion-timeout' : 'gossip')
      if (reason.accuser === m.id) {
        assert.ok(reason.failedProbes.some((p) => p.via === 'direct' && p.outcome === 'timeout'))
        assert.ok(
          reason.failedProbes.some((p) => p.via !== 'direct'),
          'the helpers that tried are named',
        )
      }
    }
  })

  it('metadata updates are re-announced at a higher incarnation and reach everyone as member:update', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'])
    const [a, b, c] = nodes
    const updates: Member[] = []
    for (const m of [a, c]) m.addEventListener('member:update', (e) => updates.push(e.detail))
    const before = b.self().incarnation
    b.setMetadata(Uint8Array.from([1, 2, 3]))
    assert.equal(b.self().incarnation, before + 1)
    await runUntil(net, () => updates.length === 2, 5000)
    for (const u of updates) {
      assert.equal(u.id, 'b')
      assert.deepEqual(u.metadata, Uint8Array.from([1, 2, 3]))
      assert.equal(u.incarnation, before + 1)
    }
    b.setAddresses(['/ip4/10.0.0.2/tcp/4001'])
    await runUntil(net, () => updates.length === 4, 5000)
    assert.deepEqual(a.member('b')?.addrs, ['/ip4/10.0.0.2/tcp/4001'])
    assert.throws(() => b.setMetadata(new Uint8Array(b.config.maxMetadataBytes + 1)), { name: 'InvalidArgumentError' })
    await net.clock.run(5000)
    assert.equal(updates.length, 4, 'each change is announced once')
  })
})

describe('Membership tombstones and gossip to the dead', () => {
  it('forgets a dead member tombstoneMs after its death, emitting member:reap', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'], { config: { tombstoneMs: 5000 } })
    const [a] = nodes
    let deadAt = 0
    let reapedAt = 0
    a.addEventListener('member:dead', () => {
      deadAt = net.clock.now()
    })
    a.addEventListener('member:reap', (e) => {
      assert.equal(e.detail.id, 'c')
      assert.equal(e.detail.state, 'dead')
      reapedAt = net.clock.now()
    })
    net.crash('c')
    await runUntil(net, () => reapedAt > 0, 60_000)
    const after = reapedAt - deadAt
    assert.ok(after >= 5000, `reaped ${after} ms after death`)
    assert.ok(
      after <= 5000 + a.config.awarenessMaxMultiplier * a.config.probeIntervalMs,
      `reaped ${after} ms after death`,
    )
    assert.equal(a.member('c'), undefined)
    assert.deepEqual(
      a.members().map((m) => m.id),
      ['a', 'b'],
    )
  })

  it('keeps gossiping to a dead member for gossipToTheDeadMs only', async () => {
    for (const window of [0, 2000]) {
      const { m: a, clock, sent } = await lone('a', { config: { gossipToTheDeadMs: window } })
      a.handlePacket('b', packet({ updates: [alive('b')] }))
      a.handlePacket('c', packet({ updates: [alive('c')] }))
      // c's word that b is dead is an accusation: a suspects b, and its own timer declares it dead
      a.handlePacket('c', packet({ updates: [claim(Kind.DEAD, 'b', 0, 'c')] }))
      assert.equal(a.member('b')?.state, 'suspect')
      while (a.member('b')?.state !== 'dead') clock.advance(100)
      const from = sent.length
      const deadAt = clock.now()
      // keep news flowing, so that every gossip round has something to send (c's newer lives:
      // no new members that would compete with b for the gossip targets)
      for (let i = 0; i < 30; i++) {
        a.handlePacket('c', packet({ updates: [alive('c', i + 1)] }))
        clock.advance(200)
      }
      const toB = sent.slice(from).filter((s) => s.to === 'b')
      if (window === 0) assert.equal(toB.length, 0)
      else {
        assert.ok(
          toB.length >= 5,
          `the dead member hears gossip, so that it can learn it is dead (${toB.length} packets)`,
        )
        assert.ok(clock.now() - deadAt > 2 * window)
        for (const s of toB) assert.ok(s.at - deadAt < window, `sent ${s.at - deadAt} ms after the death`)
      }
      a.stop()
    }
  })

  it('a member declared dead while running learns of it through gossip to the dead, refutes and rejoins', async () => {
    const { net, nodes } = await simCluster(['a', 'b'])
    const [a, b] = nodes
    const names: string[] = []
    for (const n of MEMBER_EVENTS) a.addEventListener(n, (e) => e.detail.id === 'b' && names.push(n))
    // b never hears that it is suspected, so a's death claim is news to b once the link is back
    net.partition(['a'], ['b'])
    await runUntil(net, () => a.member('b')?.state === 'dead', 60_000)
    assert.equal(b.stats().refutes, 0)
    net.heal() // a's dead claim is still being gossiped: to b as well, although b is dead to a
    await runUntil(net, () => a.member('b')?.state === 'alive', 10_000)
    assert.ok(a.member('b')!.incarnation >= 1)
    assert.ok(b.stats().refutes >= 1)
    assert.deepEqual(names.slice(-2), ['member:dead', 'member:join'])
  })
})

describe('Membership anti-entropy', () => {
  it('converges after a partition through push-pull alone, when gossip has run dry', async () => {
    const ids = ['a', 'b', 'c', 'd']
    const { net, nodes } = await simCluster(ids, {
      // probes so rare that the partition causes no suspicion; only push-pull can carry news across
      config: { probeIntervalMs: 60_000, probeTimeoutMs: 30_000, pushPullIntervalMs: 3000, gossipIntervalMs: 100 },
    })
    const [a, b, c, d] = nodes
    net.partition(['a', 'b'], ['c', 'd'])
    c.setMetadata(Uint8Array.from([42]))
    await runUntil(net, () => d.member('c')?.metadata[0] === 42, 1000)
    await runUntil(net, () => c.stats().queueDepth === 0 && d.stats().queueDepth === 0, 5000)
    const syncs = a.stats().pushPulls + b.stats().pushPulls
    assert.equal(a.member('c')?.metadata.length, 0)
    net.heal()
    const took = await runUntil(net, () => [a, b].every((m) => m.member('c')?.metadata[0] === 42), 30_000)
    assert.ok(a.stats().pushPulls + b.stats().pushPulls > syncs)
    assert.ok(took <= 4 * 3000, `took ${took} ms`)
    for (const m of nodes) assert.equal(m.members().filter((x) => x.state === 'alive').length, 4)
  })

  it('restore() seeds the table from known claims without gossiping them', async () => {
    const { m, clock, sent } = await lone('a')
    const claims = [alive('a'), alive('b'), alive('c', 3), claim(Kind.DEAD, 'c', 3, 'b'), alive('d', 0, { from: 'x' })]
    const joins: string[] = []
    m.addEventListener('member:join', (e) => joins.push(e.detail.id))
    assert.equal(m.restore(claims), 3)
    assert.deepEqual(joins, ['b', 'c'])
    // b's word that c is dead is an accusation: c is suspect until our own timer decides
    assert.equal(m.member('c')?.state, 'suspect')
    assert.equal(m.member('d'), undefined)
    assert.equal(m.stats().drops['forged-origin'], 1)
    assert.equal(m.stats().queueDepth, 1, 'only our own alive claim is queued')
    const from = sent.length
    clock.advance(3000)
    for (const s of sent.slice(from)) {
      for (const u of s.packet.updates) {
        // ours, or the accusation a ping carries to its suspect (the buddy system)
        assert.ok(
          u.id === 'a' || u.from === 'a' || (u.id === s.to && s.packet.ping !== undefined),
          'only our own claims are sent',
        )
      }
    }
    assert.equal(m.restore(claims), 0, 'nothing new the second time')
  })

  it('pushPull() with one peer merges both views', async () => {
    const net = new SimNetwork({ seed: SEED })
    const a = net.addNode('a')
    const b = net.addNode('b')
    await a.start()
    await b.start()
    a.handlePacket('x', packet({ updates: [alive('x')] }))
    b.handlePacket('y', packet({ updates: [alive('y')] }))
    const done = a.pushPull('b')
    await net.clock.run(50)
    await done
    assert.deepEqual(
      a
        .members()
        .map((m) => m.id)
        .sort(),
      ['a', 'b', 'x', 'y'],
    )
    assert.deepEqual(
      b
        .members()
        .map((m) => m.id)
        .sort(),
      ['a', 'b', 'x', 'y'],
    )
    assert.equal(a.stats().pushPulls, 1)
    assert.equal(b.stats().pushPulls, 1)
  })
})

describe('Membership gossip loop', () => {
  it('sleeps while there is nothing to send and wakes on its old beat when something is queued', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c', 'd'], { config: { pushPullIntervalMs: 0 } })
    const [a] = nodes
    const interval = a.config.gossipIntervalMs
    await runUntil(net, () => nodes.every((m) => m.stats().queueDepth === 0 && m.stats().eventQueueDepth === 0), 10_000)
    // count the timers a sets from now on
    const clock = net.clockFor('a')
    const setTimeout = clock.setTimeout.bind(clock)
    let timers = 0
    clock.setTimeout = (fn, ms) => {
      timers++
      return setTimeout(fn, ms)
    }
    const window = 20 * interval
    await net.clock.run(window, 1)
    // probing alone: a round, its ping timeout and maybe a nack timer per probe interval; no gossip tick
    const probeRounds = Math.ceil(window / a.config.probeIntervalMs) + 1
    assert.ok(timers <= 3 * probeRounds, `${timers} timers in ${window} ms (gossip every ${interval} ms would add 20)`)
    // a change wakes the loop: it reaches everyone as fast as an always-running loop would carry it
    const changedAt = net.clock.now()
    a.setMetadata(Uint8Array.from([7]))
    const took = await runUntil(net, () => nodes.every((m) => m.member('a')?.metadata[0] === 7), 5 * interval, 1)
    assert.ok(took <= 2 * interval, `spread in ${took} ms`)
    assert.ok(net.clock.now() > changedAt)
  })
})

import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type PeerInfo, peerDiscoverySymbol } from '@libp2p/interface'
import type { Member, UserEventInfo } from '@murmur/core'
import { addrsOf, converged, type MurmurNode, Nodes, nextEvent, stateOf, until } from './helpers.ts'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b)
const idOf = (n: MurmurNode): string => n.peerId.toString()

describe('a cluster of real libp2p nodes', function () {
  this.timeout(30_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  it('joins through one seed and converges, announcing each node real multiaddrs', async () => {
    const nodes = await net.cluster(7)
    await until(() => converged(nodes), 'every node to see every other alive', AbortSignal.timeout(10_000))
    const announced = () =>
      nodes.every((v) =>
        nodes.every((m) => JSON.stringify(v.services.membership.member(idOf(m))?.addrs) === JSON.stringify(addrsOf(m))),
      )
    await until(announced, 'every node to know every other by its listen addresses', AbortSignal.timeout(5000))
    for (const n of nodes)
      assert.match(n.services.membership.self().addrs[0], /^\/ip4\/127\.0\.0\.1\/tcp\/[1-9]\d*\/p2p\//)
  })

  it('declares an abruptly stopped node dead on every survivor, with an explanation', async () => {
    const nodes = await net.cluster(6)
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(10_000))
    const victim = nodes[3]
    const id = idOf(victim)
    const survivors = nodes.filter((n) => n !== victim)
    const survivorIds = survivors.map(idOf)
    const signal = AbortSignal.timeout(15_000)
    const deaths = survivors.map((s) =>
      nextEvent<Member>(s.services.membership, 'member:dead', signal, (m) => m.id === id),
    )
    await victim.stop() // no leave: a crash as far as the others can tell

    const dead = await Promise.all(deaths)
    for (const m of dead) {
      assert.equal(m.state, 'dead')
      assert.ok(m.reason !== undefined, 'a dead member carries its explanation')
      assert.ok(survivorIds.includes(m.reason.accuser), `accuser ${m.reason.accuser} is a survivor`)
      assert.ok(m.reason.deadBy === 'suspicion-timeout' || m.reason.deadBy === 'gossip')
      assert.ok(m.reason.deadAt !== undefined && m.reason.deadAt >= m.reason.suspectedAt)
    }
    // whoever accused it on its own probes says which probes failed
    const ownAccusations = survivors
      .map((s) => s.services.membership.member(id)?.reason)
      .filter((r, i) => r?.accuser === survivorIds[i])
    assert.ok(ownAccusations.length > 0, 'at least one survivor suspected it from its own probes')
    for (const r of ownAccusations) {
      assert.ok(r !== undefined && r.failedProbes.length > 0, 'the accuser lists its failed probes')
      assert.deepEqual(r.failedProbes[0].via, 'direct')
    }
    for (const s of survivors) assert.ok(s.services.membership.stats().deaths >= 1)
  })

  it('sees a graceful leave as left, never dead', async () => {
    const nodes = await net.cluster(5)
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(10_000))
    const leaver = nodes[2]
    const id = idOf(leaver)
    const survivors = nodes.filter((n) => n !== leaver)
    const deadSeen: string[] = []
    for (const s of survivors) {
      s.services.membership.addEventListener('member:dead', (e) => {
        if (e.detail.id === id) deadSeen.push(idOf(s))
      })
    }
    const signal = AbortSignal.timeout(10_000)
    const lefts = survivors.map((s) =>
      nextEvent<Member>(s.services.membership, 'member:leave', signal, (m) => m.id === id),
    )
    await leaver.services.membership.leave({ signal })
    await leaver.stop()
    await Promise.all(lefts)
    // longer than the largest suspicion timeout, measured in probe rounds rather than slept
    const rounds = survivors.map(() => 0)
    survivors.forEach((s, i) => {
      s.services.membership.addEventListener('probe', () => void rounds[i]++)
    })
    await until(() => rounds.every((r) => r >= 8), '8 more probe rounds on every survivor', AbortSignal.timeout(10_000))
    for (const s of survivors) assert.equal(stateOf(s, id), 'left')
    assert.deepEqual(deadSeen, [])
  })

  it('spreads a metadata change to every member', async () => {
    const nodes = await net.cluster(5)
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(10_000))
    const changer = nodes[1]
    const others = nodes.filter((n) => n !== changer)
    const signal = AbortSignal.timeout(10_000)
    const updates = others.map((o) =>
      nextEvent<Member>(o.services.membership, 'member:update', signal, (m) => m.id === idOf(changer)),
    )
    changer.services.membership.setMetadata(text('role=db'))
    for (const m of await Promise.all(updates)) assert.equal(str(m.metadata), 'role=db')
    for (const o of others) assert.equal(str(o.services.membership.member(idOf(changer))?.metadata), 'role=db')
  })

  it('delivers a user event to every member exactly once', async () => {
    const nodes = await net.cluster(6, { membership: { config: { pushPullIntervalMs: 500 } } })
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(10_000))
    const seen = nodes.map(() => [] as UserEventInfo[])
    nodes.forEach((n, i) => {
      n.services.membership.addEventListener('user-event', (e) => {
        if (e.detail.name === 'deploy') seen[i].push(e.detail)
      })
    })
    await nodes[2].services.membership.broadcast('deploy', text('v2'))
    await until(() => seen.every((s) => s.length >= 1), 'the event on every node', AbortSignal.timeout(10_000))
    // let gossip run dry and a few syncs happen everywhere (a full one carries recent events)
    const syncsOf = (n: MurmurNode) =>
      n.services.membership.stats().pushPulls + n.services.membership.stats().syncsInSync
    const syncs = nodes.map(syncsOf)
    const quiet = () =>
      nodes.every((n, i) => n.services.membership.stats().eventQueueDepth === 0 && syncsOf(n) >= syncs[i] + 2)
    await until(quiet, 'gossip to drain and two push-pulls per node', AbortSignal.timeout(15_000))
    for (const s of seen) {
      assert.equal(s.length, 1)
      assert.equal(s[0].origin, idOf(nodes[2]))
      assert.equal(str(s[0].payload), 'v2')
    }
  })

  it('lets a node restarted with the same key rejoin with a higher incarnation', async () => {
    const key = await generateKeyPair('Ed25519')
    const [seed, ...others] = await net.cluster(4)
    const victim = await net.murmur({ privateKey: key, join: addrsOf(seed) })
    const id = idOf(victim)
    const all = [seed, ...others, victim]
    await until(() => converged(all), 'convergence', AbortSignal.timeout(10_000))
    const before = seed.services.membership.member(id)!.incarnation
    const oldAddrs = addrsOf(victim)
    await victim.stop()
    const survivors = [seed, ...others]
    await until(
      () => survivors.every((s) => stateOf(s, id) === 'dead'),
      'the victim dead everywhere',
      AbortSignal.timeout(15_000),
    )

    const again = await net.murmur({ privateKey: key, join: addrsOf(seed) })
    assert.equal(idOf(again), id)
    const back = () =>
      survivors.every((s) => {
        const m = s.services.membership.member(id)
        return m?.state === 'alive' && m.incarnation > before && m.addrs[0] === addrsOf(again)[0]
      })
    await until(back, 'the restarted node alive again everywhere, at its new address', AbortSignal.timeout(15_000))
    assert.ok(again.services.membership.self().incarnation > before)
    assert.notDeepEqual(addrsOf(again), oldAddrs)
    await until(() => converged([...survivors, again]), 'convergence after the restart', AbortSignal.timeout(10_000))
  })

  it('acts as libp2p peer discovery: live members reach the peer store with their addresses', async () => {
    const [seed, a] = await net.cluster(2)
    const found: PeerInfo[] = []
    ;(a.services.membership as unknown as { [peerDiscoverySymbol]: EventTarget })[peerDiscoverySymbol].addEventListener(
      'peer',
      (e) => found.push((e as CustomEvent<PeerInfo>).detail),
    )
    const b = await net.murmur({ join: addrsOf(seed) })
    await until(() => found.some((p) => p.id.equals(b.peerId)), 'a discovery event for b', AbortSignal.timeout(10_000))
    const info = found.find((p) => p.id.equals(b.peerId))!
    assert.deepEqual(info.multiaddrs.map(String), addrsOf(b))
    const listen = addrsOf(b)[0].replace(/\/p2p\/.*$/, '')
    const stored = async () => {
      const peer = await a.peerStore.get(b.peerId).catch(() => undefined)
      return peer?.addresses.some((x) => x.multiaddr.toString().startsWith(listen)) === true
    }
    await until(stored, `b's address ${listen} in a's peer store`, AbortSignal.timeout(5000))
  })

  it('fault injection: a peer blocked by everyone is declared dead, and is alive again once unblocked', async () => {
    const nodes = await net.cluster(4)
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(10_000))
    const [a, b, c, d] = nodes
    const id = idOf(d)
    for (const n of [a, b, c]) n.services.membership.setFaults({ blocked: [id] })
    await until(
      () => [a, b, c].every((n) => stateOf(n, id) === 'dead'),
      'd dead on a, b and c',
      AbortSignal.timeout(15_000),
    )
    assert.ok(a.services.membership.stats().transport.sendDrops.fault > 0)
    assert.ok([a, b, c].some((n) => n.services.membership.stats().transport.faultDropsIn > 0))
    for (const n of [a, b, c]) n.services.membership.setFaults({})
    await until(() => converged(nodes), 'd refuting and everyone converging again', AbortSignal.timeout(20_000))
  })
})

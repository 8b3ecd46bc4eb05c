import assert from 'node:assert/strict'
import {
  type Member,
  Membership,
  type MembershipInit,
  type Peer,
  resolveConfig,
  SyncMode,
  UnexpectedSyncModeError,
} from '@murmur/core'
import { entryHash, ManualClock, SimNetwork, StateDigest, seededRandom } from '@murmur/core/testing'
import { decodePushPull, encodePushPull, Kind } from '@murmur/core/wire'
import { alive, claim, packet, SEED, simCluster } from './helpers.ts'

const limits = resolveConfig({})

/** The fingerprint recomputed from scratch from a node's member list (itself included). */
function recomputed(m: Membership): string {
  const d = new StateDigest()
  for (const x of m.members()) d.toggle(x.id, x.incarnation, x.state)
  return d.hi.toString(16).padStart(8, '0') + d.lo.toString(16).padStart(8, '0')
}

const ids = (ms: Member[]) => ms.map((m) => m.id).sort()

/** Two started nodes that know nothing of each other, with no periodic push-pull. */
async function strangers() {
  const net = new SimNetwork({ seed: SEED, config: { pushPullIntervalMs: 0 } })
  const a = net.addNode('a')
  const b = net.addNode('b')
  await a.start()
  await b.start()
  return { net, a, b }
}

describe('state fingerprint', () => {
  it('does not depend on the order of entries, and removing an entry undoes adding it', () => {
    const a = new StateDigest()
    const b = new StateDigest()
    const entries: Array<[string, number, 'alive' | 'suspect' | 'dead' | 'left']> = [
      ['x', 1, 'alive'],
      ['y', 4, 'suspect'],
      ['z', 2, 'dead'],
    ]
    for (const e of entries) a.toggle(...e)
    for (const e of [...entries].reverse()) b.toggle(...e)
    assert.deepEqual([a.lo, a.hi], [b.lo, b.hi])
    b.toggle('w', 0, 'left')
    assert.notDeepEqual([a.lo, a.hi], [b.lo, b.hi])
    b.toggle('w', 0, 'left')
    assert.deepEqual([a.lo, a.hi], [b.lo, b.hi])
  })

  it('tells apart incarnations, states and ids, in both halves', () => {
    const seen = new Set<string>()
    for (const id of ['a', 'b', 'ab', 'ba'])
      for (const inc of [0, 1, 2, 2 ** 32, 2 ** 32 + 1])
        for (const state of ['alive', 'suspect', 'dead', 'left'] as const) {
          const lo = entryHash(id, inc, state, 0x811c9dc5)
          const hi = entryHash(id, inc, state, 0x9747b28c)
          assert.ok(lo >= 0 && lo < 2 ** 32 && hi >= 0 && hi < 2 ** 32)
          seen.add(`${lo}/${hi}`)
        }
    assert.equal(seen.size, 4 * 5 * 4)
  })

  it('stays equal to a recomputation from scratch through joins, suspicions, deaths, leaves and reaps', async () => {
    const { net, nodes } = await simCluster(['n0', 'n1', 'n2', 'n3', 'n4', 'n5'], {
      config: { tombstoneMs: 20_000 },
    })
    for (const m of nodes) assert.equal(m.fingerprint(), recomputed(m))
    const first = nodes[0].fingerprint()
    assert.ok(
      nodes.every((m) => m.fingerprint() === first),
      'converged nodes share one fingerprint',
    )
    net.crash('n5')
    const leaving = nodes[4].leave()
    await net.clock.run(3000)
    await leaving
    nodes[4].stop()
    nodes[1].setMetadata(new TextEncoder().encode('v2'))
    for (let t = 0; t < 60; t++) {
      await net.clock.run(1000)
      for (const m of nodes.slice(0, 4)) assert.equal(m.fingerprint(), recomputed(m), `${m.id} at ${t} s`)
    }
    // by now the crashed and the left member have been reaped everywhere
    for (const m of nodes.slice(0, 4)) assert.deepEqual(ids(m.members()), ['n0', 'n1', 'n2', 'n3'])
  })
})

describe('push-pull with fingerprints', () => {
  it('between nodes that agree: two small messages, no state, counted as in sync on both sides', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'], { config: { pushPullIntervalMs: 0 } })
    const [a, b] = nodes
    const before = { a: a.stats(), b: b.stats() }
    const done = a.pushPull('b')
    await net.clock.run(20)
    await done
    assert.equal(a.stats().syncsInSync - before.a.syncsInSync, 1)
    assert.equal(b.stats().syncsInSync - before.b.syncsInSync, 1)
    assert.equal(a.stats().pushPulls, before.a.pushPulls, 'no state merged')
    assert.equal(b.stats().pushPulls, before.b.pushPulls)
    const sent = a.stats().bytesOut - before.a.bytesOut
    const got = a.stats().bytesIn - before.a.bytesIn
    assert.ok(sent < 40 && got < 40, `fingerprint messages are tiny (sent ${sent} B, got ${got} B)`)
  })

  it('when the answer holds everything the requester has, one round trip: nothing is pushed', async () => {
    const { net, a, b } = await strangers()
    // b knows a and x; a knows b only (by a packet) and nothing b lacks
    b.handlePacket('a', packet({ updates: [alive('a', a.self().incarnation, { addrs: ['a'] }), alive('x', 3)] }))
    a.handlePacket('b', packet({ updates: [alive('b', b.self().incarnation, { addrs: ['b'] })] }))
    const done = a.pushPull('b')
    await net.clock.run(50)
    await done
    assert.deepEqual(ids(a.members()), ['a', 'b', 'x'])
    assert.equal(a.fingerprint(), b.fingerprint())
    assert.equal(a.stats().pushPulls, 1, 'a merged b’s state')
    assert.equal(b.stats().pushPulls, 0, 'b was sent no state: it needed none')
  })

  it('when both lack something, the requester pushes its state too and both end equal', async () => {
    const { net, a, b } = await strangers()
    a.handlePacket('x', packet({ updates: [alive('x')] }))
    b.handlePacket('y', packet({ updates: [alive('y'), alive('z', 2), claim(Kind.SUSPECT, 'z', 2, 'y')] }))
    const done = a.pushPull('b')
    await net.clock.run(50)
    await done
    for (const m of [a, b]) assert.deepEqual(ids(m.members()), ['a', 'b', 'x', 'y', 'z'])
    assert.equal(a.member('z')?.state, 'suspect')
    assert.equal(a.fingerprint(), b.fingerprint())
    assert.equal(a.stats().pushPulls, 1)
    assert.equal(b.stats().pushPulls, 1)
  })

  it('with a node that knows no modes (every answer full state), the exchange still completes', async () => {
    const clock = new ManualClock()
    const requests: Uint8Array[] = []
    const legacyState = encodePushPull({
      join: false,
      updates: [alive('old', 1), alive('z', 5)],
      events: [],
      eventLtime: 0,
    })
    const transport = {
      listen: () => {},
      send: () => {},
      request: async (_to: Peer | string, bytes: Uint8Array) => {
        requests.push(bytes)
        return legacyState
      },
    }
    const init: MembershipInit = { id: 'a', addrs: ['a'], transport, clock, random: seededRandom(SEED) }
    const a = new Membership(init)
    await a.start()
    await a.pushPull('old')
    assert.deepEqual(ids(a.members()), ['a', 'old', 'z'])
    assert.deepEqual(
      requests.map((r) => decodePushPull(r, limits).mode),
      [SyncMode.DIGEST, SyncMode.PUSH],
    )
    assert.equal(decodePushPull(requests[1], limits).updates.length, 3, 'our state was pushed (a, old, z)')
    a.stop()
  })

  it('a request in an answer mode, or an answer in a request mode, is refused and counted as malformed', async () => {
    const { nodes } = await simCluster(['a', 'b'], { config: { pushPullIntervalMs: 0 } })
    const [, b] = nodes
    for (const mode of [SyncMode.IN_SYNC, SyncMode.PUSHED]) {
      const before = b.stats().drops.malformed
      const bad = encodePushPull({ join: false, updates: [], events: [], eventLtime: 0, mode })
      await assert.rejects(b.handleRequest('a', bad), { name: 'DecodeError' })
      assert.equal(b.stats().drops.malformed, before + 1)
    }
    // an unknown mode from a later version is taken as a full exchange
    const later = encodePushPull({ join: false, updates: [], events: [], eventLtime: 0, mode: 99 })
    const answer = decodePushPull(await b.handleRequest('a', later), limits)
    assert.equal(answer.mode, SyncMode.FULL)
    assert.ok(answer.updates.length >= 2)

    const clock = new ManualClock()
    const wrong = encodePushPull({ join: false, updates: [], events: [], eventLtime: 0, mode: SyncMode.DIGEST })
    const a = new Membership({
      id: 'q',
      addrs: ['q'],
      clock,
      random: seededRandom(SEED),
      transport: { listen: () => {}, send: () => {}, request: async () => wrong },
    })
    await a.start()
    await assert.rejects(
      a.pushPull('b'),
      (e: Error) => e instanceof UnexpectedSyncModeError && e.mode === SyncMode.DIGEST,
    )
    assert.equal(a.stats().drops.malformed, 1)
    a.stop()
  })
})

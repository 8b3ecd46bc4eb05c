import assert from 'node:assert/strict'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createMurmurNode, membership, SYNC_PROTOCOL } from '../src/index.ts'
import { addrsOf, converged, FAST, type MurmurNode, Nodes, until } from './helpers.ts'

function swarmKey(): Uint8Array {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

const idOf = (n: { peerId: { toString(): string } }): string => n.peerId.toString()

describe('cluster admission', function () {
  this.timeout(30_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  it('a node without the cluster psk cannot join, and never enters the table', async () => {
    const psk = swarmKey()
    const nodes = await net.cluster(3, { psk })
    await until(() => converged(nodes), 'the psk cluster to converge', AbortSignal.timeout(10_000))
    const seeds = addrsOf(nodes[0])

    const wrongKey = await net.murmur({ psk: swarmKey() })
    await assert.rejects(wrongKey.services.membership.join(seeds, { signal: AbortSignal.timeout(5000) }), {
      name: 'JoinFailedError',
    })
    const noKey = await net.murmur({})
    await assert.rejects(noKey.services.membership.join(seeds, { signal: AbortSignal.timeout(5000) }), {
      name: 'JoinFailedError',
    })
    // createMurmurNode stops the node it made when the join fails
    await assert.rejects(createMurmurNode({ psk: swarmKey(), join: seeds, membership: { profile: 'local' } }), {
      name: 'JoinFailedError',
    })
    for (const n of nodes) {
      assert.equal(n.services.membership.member(idOf(wrongKey)), undefined)
      assert.equal(n.services.membership.member(idOf(noKey)), undefined)
      assert.equal(n.services.membership.members().length, 3)
    }
  })

  it('a node outside the allow-list cannot join (connection gater on both sides), and never enters the table', async () => {
    const keys = await Promise.all([0, 1, 2].map(() => generateKeyPair('Ed25519')))
    const allow = keys.map((k) => peerIdFromPrivateKey(k).toString())
    const seed = await net.murmur({ privateKey: keys[0], allow })
    const members = [
      seed,
      ...(await Promise.all(keys.slice(1).map((k) => net.murmur({ privateKey: k, allow, join: addrsOf(seed) })))),
    ]
    await until(() => converged(members), 'the allowed nodes to converge', AbortSignal.timeout(10_000))

    const outsider = await net.murmur({})
    await assert.rejects(outsider.services.membership.join(addrsOf(seed), { signal: AbortSignal.timeout(5000) }), {
      name: 'JoinFailedError',
    })
    // the allowed side refuses to dial out to it as well
    await assert.rejects(seed.dial(multiaddr(addrsOf(outsider)[0]), { signal: AbortSignal.timeout(5000) }))
    for (const m of members) {
      assert.equal(m.services.membership.member(idOf(outsider)), undefined)
      assert.equal(m.services.membership.members().length, 3)
    }
  })

  it('the service alone (no gater) resets and counts streams from peers outside its allow-list', async () => {
    const key = await generateKeyPair('Ed25519')
    const friendKey = await generateKeyPair('Ed25519')
    const allow = [peerIdFromPrivateKey(friendKey).toString()]
    const guarded = net.track(
      (await createLibp2p({
        privateKey: key,
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
        services: { membership: membership({ profile: 'local', config: FAST, allow }) },
      })) as MurmurNode,
    )
    const friend = await net.murmur({ privateKey: friendKey, join: addrsOf(guarded) })
    await until(() => converged([guarded, friend]), 'the allowed pair to converge', AbortSignal.timeout(10_000))

    const stranger = await net.murmur({})
    await assert.rejects(stranger.services.membership.join(addrsOf(guarded), { signal: AbortSignal.timeout(5000) }), {
      name: 'JoinFailedError',
    })
    const raw = await net.raw()
    const stream = await raw.dialProtocol(multiaddr(addrsOf(guarded)[0]), SYNC_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(Uint8Array.from([1, 2, 3])).catch(() => {})
    await assert.rejects(lp.read({ signal: AbortSignal.timeout(5000) }))

    const t = guarded.services.membership.stats().transport
    assert.ok(t.refusedStreams >= 2, `refusedStreams = ${t.refusedStreams}`)
    assert.equal(guarded.services.membership.member(idOf(stranger)), undefined)
    assert.equal(guarded.services.membership.member(idOf(raw)), undefined)
    assert.equal(guarded.services.membership.members().length, 2)
    // and it does not talk to them either
    assert.equal(friend.services.membership.member(idOf(stranger)), undefined)
  })
})

import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import type { Peer } from '@murmur/core'
import { createLibp2p } from 'libp2p'
import { SYNC_PROTOCOL } from '../src/index.ts'
import { StreamTransport, type StreamTransportComponents, type StreamTransportInit } from '../src/stream-transport.ts'
import { addrsOf, Nodes, prefix, streamEnded, until } from './helpers.ts'

const MiB = 1024 * 1024

type TransportNode = Libp2p<{ transport: StreamTransport }>

/**
 * A real libp2p node whose only service is a StreamTransport with `init`; it echoes requests
 * (after `hold` resolves, when given) and accepts every packet.
 */
async function transportNode(
  net: Nodes,
  init: Partial<StreamTransportInit> = {},
  hold?: () => Promise<void>,
): Promise<TransportNode> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      transport: (components: StreamTransportComponents) =>
        new StreamTransport(components, { maxPacketBytes: 65_536, maxSyncBytes: MiB, timeoutMs: 10_000, ...init }),
    },
  })
  node.services.transport.listen({
    onPacket: () => true,
    onRequest: async (_from, bytes) => {
      await hold?.()
      return bytes
    },
  })
  return net.track(node)
}

const peerOf = (n: Libp2p): Peer => ({ id: n.peerId.toString(), addrs: addrsOf(n) })

/**
 * Opens a sync stream from `raw` to `target` (on a new connection when `force`) and sends
 * `bytes` without closing; a stream reset before the write is returned as it is.
 */
async function syncStream(raw: Libp2p, target: Libp2p, bytes: Uint8Array, force = false): Promise<Stream> {
  const conn = await raw.dial(multiaddr(addrsOf(target)[0]), { force, signal: AbortSignal.timeout(5000) })
  const stream = await conn.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) })
  if (stream.status === 'open') {
    try {
      stream.send(bytes)
    } catch (err) {
      if ((err as Error).name !== 'StreamStateError') throw err // refused before we wrote
    }
  }
  return stream
}

describe('inbound push-pull limits', function () {
  this.timeout(30_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  it('refuses a frame whose length prefix does not fit the remaining budget before its body is read, and releases the reservation after', async () => {
    const server = await transportNode(net, { syncBufferBytes: 1.5 * MiB })
    const t = server.services.transport
    const raw = await net.raw()
    const reserved = () => t.stats().syncBytesReserved

    // A announces a full-size frame and sends 10 bytes of it: 1 MiB of the 1.5 MiB is reserved
    const a = await syncStream(raw, server, Uint8Array.from([...prefix(MiB), ...new Uint8Array(10)]))
    await until(() => reserved() === MiB, 'A to reserve 1 MiB', AbortSignal.timeout(5000))

    // B sends nothing but the prefix of another 1 MiB: refused at once (timeoutMs is 10 s)
    const started = Date.now()
    const b = await syncStream(raw, server, prefix(MiB))
    const status = await streamEnded(b, AbortSignal.timeout(5000))
    assert.ok(status === 'reset' || status === 'aborted', `B was ${status}`)
    assert.ok(Date.now() - started < 5000)
    assert.equal(t.stats().frameErrors.memory, 1)
    assert.equal(reserved(), MiB, 'B reserved nothing')

    // A dies: its reservation is released
    a.abort(new Error('gone'))
    await until(() => reserved() === 0, 'A to release its reservation', AbortSignal.timeout(5000))

    // a full-size request now fits, is served, and releases its reservation once consumed
    const body = new Uint8Array(MiB).fill(7)
    const c = await syncStream(raw, server, Uint8Array.from([...prefix(MiB), ...body]))
    await c.close({ signal: AbortSignal.timeout(5000) })
    await until(() => t.stats().requestsServed === 1, 'C to be served', AbortSignal.timeout(10_000))
    assert.equal(reserved(), 0)
    assert.equal(t.stats().frameErrors.memory, 1)
  })

  it('serves at most maxSyncStreamsPerPeer streams per peer at once, across its connections', async () => {
    const server = await transportNode(net, { maxSyncStreamsPerPeer: 2 })
    const t = server.services.transport
    const [raw, other] = await Promise.all([net.raw(), net.raw()])
    const partial = Uint8Array.from([...prefix(100), ...new Uint8Array(10)])
    const reserved = () => t.stats().syncBytesReserved

    const first = await syncStream(raw, server, partial)
    const second = await syncStream(raw, server, partial, true) // on a second connection
    assert.equal(raw.getConnections(server.peerId).length, 2)
    await until(() => reserved() === 200, 'two streams from raw to be admitted', AbortSignal.timeout(5000))

    const third = await syncStream(raw, server, partial)
    const status = await streamEnded(third, AbortSignal.timeout(5000))
    assert.ok(status === 'reset' || status === 'aborted', `the third stream was ${status}`)
    assert.equal(t.stats().busyStreams, 1)

    // another peer is not affected
    await syncStream(other, server, partial)
    await until(() => reserved() === 300, "the other peer's stream to be admitted", AbortSignal.timeout(5000))

    // once one of raw's streams ends, raw may open another
    first.abort(new Error('done'))
    await until(() => reserved() === 200, 'the first stream to be released', AbortSignal.timeout(5000))
    await syncStream(raw, server, partial)
    await until(() => reserved() === 300, 'a new stream from raw to be admitted', AbortSignal.timeout(5000))
    assert.equal(t.stats().busyStreams, 1)
    assert.equal(second.status, 'open')
  })
})

describe('send channel pruning', function () {
  this.timeout(30_000)
  const net = new Nodes()
  const sockets = new Set<Socket>()
  let silent: Server | undefined
  afterEach(async () => {
    await net.stopAll()
    for (const s of sockets) s.destroy()
    sockets.clear()
    await new Promise<void>((resolve) => (silent === undefined ? resolve() : silent.close(() => resolve())))
    silent = undefined
  })

  it('closes a channel unused for channelIdleMs (counted); the next send reopens it', async () => {
    const a = await transportNode(net, { channelIdleMs: 300 })
    const b = await transportNode(net)
    const ta = a.services.transport
    const received = () => b.services.transport.stats().packetsReceived
    ta.send(peerOf(b), Uint8Array.from([1]))
    await until(() => received() === 1, 'the first packet', AbortSignal.timeout(5000))
    assert.equal(ta.stats().channels, 1)

    await until(() => ta.stats().channels === 0, 'the idle channel to be closed', AbortSignal.timeout(5000))
    assert.equal(ta.stats().channelsPruned.idle, 1)
    ta.send(peerOf(b), Uint8Array.from([2]))
    await until(() => received() === 2, 'a packet on a reopened channel', AbortSignal.timeout(5000))
    assert.equal(ta.stats().sendDrops.stopped, 0, 'nothing queued was dropped')
  })

  it('keeps at most maxChannels, closing the least recently used first', async () => {
    const a = await transportNode(net, { maxChannels: 2 })
    const [b, c, d] = await Promise.all([transportNode(net), transportNode(net), transportNode(net)])
    const ta = a.services.transport
    const received = (n: TransportNode) => n.services.transport.stats().packetsReceived
    const send = async (n: TransportNode, count: number) => {
      ta.send(peerOf(n), Uint8Array.from([count]))
      await until(() => received(n) === count, 'a packet', AbortSignal.timeout(5000))
    }
    await send(b, 1)
    await send(c, 1)
    await send(b, 2) // b is now the most recently used
    await send(d, 1)
    assert.deepEqual(ta.channelPeers(), [b.peerId.toString(), d.peerId.toString()])
    assert.equal(ta.stats().channelsPruned.lru, 1)
    await send(c, 2) // c's channel is reopened, b's (now the least recently used) closed
    assert.deepEqual(ta.channelPeers(), [d.peerId.toString(), c.peerId.toString()])
    assert.equal(ta.stats().channelsPruned.lru, 2)
  })

  it('a flood of sends to many fake peers (dials that hang) never holds more than maxChannels', async () => {
    // a TCP port that accepts and never answers: each dial hangs in the Noise handshake
    silent = createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    const a = await transportNode(net, { maxChannels: 16, timeoutMs: 3000 })
    const ta = a.services.transport
    const fakes = await Promise.all(
      Array.from({ length: 100 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()),
    )
    let most = 0
    for (const id of fakes) {
      ta.send({ id, addrs: [`/ip4/127.0.0.1/tcp/${port}`] }, Uint8Array.from([1]))
      most = Math.max(most, ta.stats().channels)
    }
    assert.ok(most <= 16, `${most} channels at once`)
    assert.equal(ta.stats().channelsPruned.lru, 100 - 16)
  })
})

describe('stalled connections', function () {
  this.timeout(30_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  it('a request that times out on an open connection makes the next one dial afresh, and the stalled connection is closed', async () => {
    let calls = 0
    const never = new Promise<void>(() => {})
    const b = await transportNode(net, {}, () => (++calls === 1 ? never : Promise.resolve()))
    const a = await transportNode(net, { timeoutMs: 500 })
    const ta = a.services.transport
    const request = () => ta.request(peerOf(b), Uint8Array.from([1, 2, 3]), { signal: AbortSignal.timeout(5000) })

    await assert.rejects(request(), { name: 'TimeoutError' })
    const [stalled] = a.getConnections(b.peerId)
    assert.equal(stalled.status, 'open', 'libp2p still calls it open')

    assert.deepEqual([...(await request())], [1, 2, 3])
    assert.equal(ta.stats().stalledConnections, 1)
    await until(() => stalled.status !== 'open', 'the stalled connection to be closed', AbortSignal.timeout(5000))
    const now = a.getConnections(b.peerId)
    assert.equal(now.length, 1)
    assert.notEqual(now[0].id, stalled.id)
  })
})

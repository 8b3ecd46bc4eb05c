import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { transportCompliance } from '@murmur/core/testing'
import { createLibp2p } from 'libp2p'
import { StreamTransport, type StreamTransportComponents } from '../src/stream-transport.ts'
import { addrsOf, until } from './helpers.ts'

/** A real libp2p node (TCP + Noise + Yamux on loopback) whose only service is a StreamTransport. */
async function transportNode() {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      transport: (components: StreamTransportComponents) =>
        new StreamTransport(components, { maxPacketBytes: 65_536, maxSyncBytes: 1024 * 1024, timeoutMs: 5000 }),
    },
  })
}

transportCompliance('libp2p StreamTransport', {
  async create() {
    const [a, b] = await Promise.all([transportNode(), transportNode()])
    const ta = a.services.transport
    const tb = b.services.transport
    return {
      a: { id: a.peerId.toString(), transport: ta },
      b: { id: b.peerId.toString(), transport: tb, peer: { id: b.peerId.toString(), addrs: addrsOf(b) } },
      // real time: wait until what a sent has been written and b has read as much
      async settle() {
        const quiet = () =>
          !ta.busy &&
          tb.counters.packetsReceived >= ta.counters.packetsSent &&
          tb.counters.requestsReceived >= ta.counters.requestsSent - ta.counters.requestsFailed
        await until(quiet, 'the transports to settle', AbortSignal.timeout(3000)).catch(() => {})
      },
      async teardown() {
        await Promise.allSettled([a.stop(), b.stop()])
      },
    }
  },
})

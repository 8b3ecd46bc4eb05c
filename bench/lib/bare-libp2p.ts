/**
 * A libp2p node as `murmur agent` builds it, minus Murmur: the transports, encrypter, muxer,
 * services and connection-manager settings of createNode() (packages/transport-libp2p/src/
 * create-node.ts), with no membership service. The baseline the memory benchmark compares an
 * agent (or an embedded Murmur node) against.
 *
 * createNode() keeps its settings in module-private constants, so they are repeated here; the
 * values and their reasons live there, and a change there must be copied here:
 * - TCP with coalesced writes, WebSockets, the circuit-relay transport; Noise; frugal Yamux;
 * - identify, answered but not started on each connection (runOnConnectionOpen: false); no relay
 *   server (an agent serves one only with a WebSockets --listen address or --relay) and no QUIC
 *   (only with a QUIC address or option): the benchmark listens on TCP alone;
 * - connectionMonitor off; inboundConnectionThreshold 100, maxIncomingPendingConnections 100.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { coalescingTcp, frugalYamux } from '@murmur/libp2p'
import { createLibp2p } from 'libp2p'

/** create-node.ts INBOUND_CONNECTION_THRESHOLD. */
const INBOUND_CONNECTION_THRESHOLD = 100
/** create-node.ts MAX_INCOMING_PENDING_CONNECTIONS. */
const MAX_INCOMING_PENDING_CONNECTIONS = 100

export type BareNode = Libp2p<{ identify: unknown }>

/** Starts a node listening on `listen` (default: any free TCP port on 127.0.0.1, as createNode). */
export function createBareNode(listen = ['/ip4/127.0.0.1/tcp/0']): Promise<BareNode> {
  return createLibp2p({
    addresses: { listen },
    transports: [coalescingTcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [frugalYamux()],
    connectionMonitor: { enabled: false },
    connectionManager: {
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS,
    },
    services: { identify: identify({ runOnConnectionOpen: false }) },
  })
}

/** Remote peers this node holds at least one open connection to. */
export function peersConnected(node: Libp2p): number {
  return new Set(node.getConnections().map((c) => c.remotePeer.toString())).size
}

const DIAL_TIMEOUT_MS = 10_000

type Request = { bare: 'dial'; addrs: string[] } | { bare: 'peers' }

/**
 * bench/bare-node.ts's body: starts a node, prints {"event":"ready","id","addrs","pid"}, then
 * answers over IPC `{ bare: 'dial', addrs }` (dials each, bounded by DIAL_TIMEOUT_MS) with
 * `{ bare: 'dialed', ok, failed, peers }` and `{ bare: 'peers' }` with `{ bare: 'peers', peers }`.
 */
export async function serveBareNode(): Promise<void> {
  const node = await createBareNode()
  process.on('message', (m: Request) => {
    if (m?.bare === 'peers') {
      process.send?.({ bare: 'peers', peers: peersConnected(node) })
    } else if (m?.bare === 'dial') {
      void Promise.allSettled(
        m.addrs.map((a) => node.dial(multiaddr(a), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })),
      ).then((rs) => {
        const ok = rs.filter((r) => r.status === 'fulfilled').length
        process.send?.({ bare: 'dialed', ok, failed: rs.length - ok, peers: peersConnected(node) })
      })
    }
  })
  const addrs = node.getMultiaddrs().map((a) => a.toString())
  process.stdout.write(`${JSON.stringify({ event: 'ready', id: node.peerId.toString(), addrs, pid: process.pid })}\n`)
}

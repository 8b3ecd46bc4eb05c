import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { ConnectionGater, Libp2p } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { CreateMurmurNodeOptions, MembershipService } from './index.ts'
import { MembershipServiceImpl } from './membership-service.ts'

const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0']

/**
 * No host is allow-listed (connectionManager.allow), loopback included: an allow-listed host
 * skips every inbound limit below, and anyone who can reach the port from there (another local
 * user, a proxy, a tunnel) would open connections without bound. Instead the limits are raised
 * enough for a whole cluster (re)joining through one seed at once, 50 agents on one host
 * included: each opens a connection or two to the seed within the same second, and one to every
 * other member over the next probe rounds.
 *
 * - inboundConnectionThreshold: inbound connections per host per second (libp2p: 5).
 * - maxIncomingPendingConnections: inbound connections mid-upgrade at once (libp2p: 10).
 * - maxConnections stays at libp2p's 300: a member keeps about one connection per member it
 *   talks to (two when both dialled at once), so 300 serves clusters of ~150 fully meshed; past
 *   that libp2p prunes the least useful, and Murmur redials on the next packet.
 */
const INBOUND_CONNECTION_THRESHOLD = 100
const MAX_INCOMING_PENDING_CONNECTIONS = 100

/**
 * libp2p's connection monitor pings every connection every 10 s (on a ping protocol this node
 * does not even serve). Murmur probes every member itself, so the monitor only adds load: with
 * 30 nodes in one process it doubled the steady-state CPU and stalled the event loop for up to
 * 0.4 s at each sweep, enough to fail probes. Without it, a connection left idle for the TCP
 * inactivity timeout (2 min) is closed, and reopened on the next packet.
 */
const CONNECTION_MONITOR = { enabled: false }

/** Denies every peer outside the allow-list, on both sides, as soon as Noise has authenticated it. */
export function allowListGater(allow: Iterable<string>): ConnectionGater {
  const allowed = new Set(allow)
  const deny = (peerId: { toString(): string }): boolean => !allowed.has(peerId.toString())
  return {
    denyDialPeer: deny,
    denyOutboundConnection: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
  }
}

export async function createNode(options: CreateMurmurNodeOptions): Promise<Libp2p<{ membership: MembershipService }>> {
  const init = { ...options.membership, allow: options.membership?.allow ?? options.allow }
  const node = await createLibp2p({
    privateKey: options.privateKey ?? (await generateKeyPair('Ed25519')),
    addresses: { listen: options.listen ?? DEFAULT_LISTEN },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(options.psk === undefined ? {} : { connectionProtector: preSharedKey({ psk: options.psk }) }),
    ...(options.allow === undefined ? {} : { connectionGater: allowListGater(options.allow) }),
    connectionMonitor: CONNECTION_MONITOR,
    connectionManager: {
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS,
    },
    services: {
      membership: (components: ConstructorParameters<typeof MembershipServiceImpl>[0]): MembershipService =>
        new MembershipServiceImpl(components, init),
    },
  })
  if (options.join !== undefined && options.join.length > 0) {
    try {
      await node.services.membership.join(options.join)
    } catch (err) {
      await node.stop()
      throw err
    }
  }
  return node
}

import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { resolveConfig } from '@murmur/core'
import { createLibp2p } from 'libp2p'
import { coalescingTcp } from './coalesce.ts'
import { stallTimeoutFor } from './constants.ts'
import type { CreateMurmurNodeOptions, MembershipService, RelayLimits } from './index.ts'
import { MembershipServiceImpl } from './membership-service.ts'
import { planQuic } from './quic.ts'
import { frugalYamux } from './yamux.ts'

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

/**
 * The circuit-relay-v2 server's limits, sized for membership traffic (libp2p's defaults are
 * 15 reservations and 2 min / 128 KiB per relayed connection, made for hole punching, after
 * which the relay resets the connection and Murmur must dial again).
 *
 * What crosses a relayed connection is Murmur's packets and push-pulls between a browser and one
 * peer: a probe and its ack (~0.2-1.4 KB with piggybacked gossip) every few probe periods each
 * way, and a push-pull of the whole table now and then (~300 B per member). A browser mostly
 * talks to agents over its own WebSocket connections; the relay carries what others start
 * towards it (a second browser, an agent without a connection to it) and indirect probes.
 *
 * - maxReservations 64: browsers one agent serves at once (each holds about 2, see browser.ts).
 * - durationMs 30 min / dataBytes 16 MiB per relayed connection: a 100-member cluster's
 *   traffic to one browser stays well under it for the whole period, so a reset (and the
 *   redial after it) comes once per half hour at most; a peer abusing a reservation to move
 *   bulk data through the agent is cut at 16 MiB.
 */
export const RELAY_LIMITS: Required<RelayLimits> = {
  maxReservations: 64,
  durationMs: 30 * 60_000,
  dataBytes: 16 * 1024 * 1024,
}

/** True for a WebSockets listen address (`/ws` or `/wss`, also as `/tls/ws`). */
function isWebSockets(addr: string): boolean {
  try {
    return multiaddr(addr)
      .getComponents()
      .some((c) => c.name === 'ws' || c.name === 'wss')
  } catch {
    return false
  }
}

/** The relay server's init, or undefined when this node does not relay. */
function relayServer(options: CreateMurmurNodeOptions, listen: string[]) {
  const relay = options.relay ?? listen.some(isWebSockets)
  if (relay === false) return undefined
  const limits = { ...RELAY_LIMITS, ...(relay === true ? {} : relay) }
  return circuitRelayServer({
    reservations: {
      maxReservations: limits.maxReservations,
      defaultDurationLimit: limits.durationMs,
      defaultDataLimit: BigInt(limits.dataBytes),
    },
  })
}

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
  const quic = await planQuic({
    listen: options.listen ?? DEFAULT_LISTEN,
    join: options.join ?? [],
    want: options.quic,
    psk: options.psk !== undefined,
    handshakeTimeoutMs: stallTimeoutFor(resolveConfig({ ...init.config, profile: init.profile }).requestTimeoutMs),
  })
  if (quic.warning !== undefined) process.emitWarning(quic.warning, { code: 'MURMUR_QUIC_UNAVAILABLE' })
  const listen = quic.listen
  const relay = relayServer(options, listen)
  const node = await createLibp2p({
    privateKey: options.privateKey ?? (await generateKeyPair('Ed25519')),
    addresses: { listen },
    // TCP with each tick's writes in one segment (coalesce.ts); QUIC when asked for (quic.ts);
    // WebSockets and circuit relay dial browsers' relayed addresses (and listen on /ws when asked)
    transports: [
      coalescingTcp(),
      ...(quic.transport === undefined ? [] : [quic.transport]),
      webSockets(),
      circuitRelayTransport(),
    ],
    // Noise and Yamux upgrade TCP and WebSockets connections; QUIC brings its own TLS and streams
    connectionEncrypters: [noise()],
    // window updates only when half the window is due, no keep-alive of its own (yamux.ts)
    streamMuxers: [frugalYamux()],
    // loaded only with a key: most nodes run without one, and it costs an idle agent ~0.3 MB
    ...(options.psk === undefined
      ? {}
      : { connectionProtector: (await import('@libp2p/pnet')).preSharedKey({ psk: options.psk }) }),
    ...(options.allow === undefined ? {} : { connectionGater: allowListGater(options.allow) }),
    connectionMonitor: CONNECTION_MONITOR,
    connectionManager: {
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS,
    },
    services: {
      // Browsers find relays through identify, so agents answer it; but an agent does not start it
      // on each connection it opens or accepts: nothing an agent does reads what identify learns
      // (members' addresses come from their signed claims, protocols are negotiated per stream),
      // and running it on every connection cost about as much CPU as the Noise handshake (a
      // connection set-up measured 3.3 ms of CPU per end without it, 4.2-6.1 with it), which a
      // start storm pays once per pair of members.
      identify: identify({ runOnConnectionOpen: false }),
      ...(relay === undefined ? {} : { relay }),
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

/**
 * @murmur/libp2p: Murmur's SWIM + Lifeguard membership as a libp2p 3 service.
 *
 * Every node keeps its own view of who is in the cluster and who is alive, learned by probing and
 * gossip over two libp2p protocols: best-effort packets on a long-lived stream per peer
 * (`/murmur/packet/1.0.0`) and push-pull anti-entropy on a fresh stream per exchange
 * (`/murmur/sync/1.0.0`). A member's id is its peer id; its addresses are the node's own
 * multiaddrs, carried in its signed alive claim (identify is not needed). Claims are signed with
 * the node's libp2p key. The service is also a libp2p peer-discovery source.
 *
 * @example A ready node (TCP + Noise + Yamux on loopback)
 * ```ts
 * import { createMurmurNode } from '@murmur/libp2p'
 *
 * const seed = await createMurmurNode({ membership: { profile: 'local' } })
 * const node = await createMurmurNode({
 *   membership: { profile: 'local', metadata: new TextEncoder().encode('role=worker') },
 *   join: seed.getMultiaddrs().map(String),
 * })
 * node.services.membership.addEventListener('member:dead', (e) => {
 *   console.log(e.detail.id, 'is dead, accused by', e.detail.reason?.accuser)
 * })
 * console.log(node.services.membership.members().map((m) => `${m.id} ${m.state}`))
 * await node.services.membership.leave()
 * await node.stop()
 * ```
 *
 * @example As a service of your own libp2p node
 * ```ts
 * import { createLibp2p } from 'libp2p'
 * import { membership } from '@murmur/libp2p'
 *
 * const node = await createLibp2p({
 *   // ... transports, connectionEncrypters, streamMuxers ...
 *   connectionManager: { inboundConnectionThreshold: 100 }, // see the inbound-threshold note below
 *   services: { membership: membership({ profile: 'lan' }) },
 * })
 * await node.services.membership.join(['/ip4/10.0.0.1/tcp/4001/p2p/12D3KooW...'])
 * ```
 * A whole cluster joining through one seed at once opens many inbound connections to it in the
 * same second: raise the connection manager's `inboundConnectionThreshold` (5 per host per second
 * by default), as {@link createMurmurNode} does; do not allow-list hosts for it (an allow-listed
 * host skips every inbound limit). Consider
 * `connectionMonitor: { enabled: false }` too: Murmur probes every member itself, and the
 * monitor's sweep over every connection every 10 s is the largest steady-state cost of a node
 * with many members (createMurmurNode disables it).
 *
 * @packageDocumentation
 */
import type {
  AbortOptions,
  ComponentLogger,
  Connection,
  Libp2p,
  Libp2pEvents,
  Metrics,
  PeerId,
  PrivateKey,
  StreamHandler,
  StreamHandlerOptions,
  TypedEventTarget,
} from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  InvalidArgumentError,
  type Member,
  type Membership,
  type MembershipEvents,
  type QueryHandler,
  type QueryOptions,
  type QueryResult,
  type ResolvedConfig,
  type SwimConfig,
} from '@murmur/core'
import { createNode } from './create-node.ts'
import { MembershipServiceImpl } from './membership-service.ts'

/** Options of the {@link membership} service. Everything is optional. */
export interface MembershipInit {
  /** The base profile, as in memberlist. @default 'lan' */
  profile?: 'lan' | 'wan' | 'local'
  /**
   * Overrides of the engine's config on top of the profile. Validated by core `resolveConfig`:
   * a bad value throws `InvalidConfigError` (listing every problem) when the service is created.
   */
  config?: Partial<SwimConfig>
  /** This node's initial metadata (at most `maxMetadataBytes`). @default empty */
  metadata?: Uint8Array
  /**
   * Peer ids admitted to the cluster (this node is always admitted). Packet and sync streams
   * from anyone else are reset and counted (`stats().transport.refusedStreams`), nothing is sent
   * to them, and claims about them or accusations by them, even relayed by an admitted member,
   * are dropped (counted as not-admitted / untrusted-accuser). @default undefined (everyone)
   */
  allow?: string[]
  /** The per-probe heartbeat payload put in every ack (at most `maxAckPayloadBytes`). */
  ackPayload?: () => Uint8Array
  /**
   * Prefix of the two protocol ids: `${prefix}/packet/1.0.0` and `${prefix}/sync/1.0.0`.
   * @default '/murmur' for the default cluster, '/murmur/<cluster>' for a named one (config.cluster)
   */
  protocolPrefix?: string
  /**
   * This node's first incarnation. It must be above every incarnation this node's key signed
   * before (so that old claims and replayed accusations are stale after a restart).
   * @default seconds since 2024-01-01 (see incarnationFromClock), which only grows
   */
  initialIncarnation?: number
  /**
   * Reads tags from this node's metadata, for queries' tag filters (`key=regexp`): without it, a
   * query with tag filters never matches this node. In worker mode it runs on the app's thread,
   * once per setMetadata (and for the degraded metadata), and the worker keeps the result.
   * @default undefined
   */
  tagsOf?: (metadata: Uint8Array) => Readonly<Record<string, string>>
  /**
   * The connection budget: members this node keeps a connection to at once (each one a Noise
   * handshake, a Yamux session and buffers). Past it, the service closes the connections to the
   * members it exchanged packets with least recently (`stats().transport.connectionsReaped`),
   * never one in use within the last probe interval or carrying another protocol's stream, and none
   * while this node's own Lifeguard health score is above 0 (an overloaded node saves its
   * handshakes); gossip rounds and ping-reqs prefer members already connected. Unless the config
   * sets `probeRings`, a budget also turns probe rings on (`probeRingsFor`: a fifth of the
   * budget, 1 to 8 rings): each node probes only its successors on the rings, so it holds about
   * twice that many connections however large the cluster, instead of a handshake for most
   * probes once the cluster outgrows the budget. Keep it below libp2p's
   * `connectionManager.maxConnections` (300 by default), which refuses inbound connections past
   * it, with room for the app's own. README: "Connections" gives figures per cluster size.
   * @default undefined (no budget of its own: one connection per member)
   */
  maxConnections?: number
}

/**
 * What the service needs from libp2p (structural subsets of the internal component types, which
 * `@libp2p/interface-internal` defines and a service may not import).
 */
export interface MembershipComponents {
  peerId: PeerId
  privateKey: PrivateKey
  logger: ComponentLogger
  metrics?: Metrics
  events: TypedEventTarget<Libp2pEvents>
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
    unhandle(protocol: string, options?: AbortOptions): Promise<void>
  }
  connectionManager: {
    openConnection(peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions): Promise<Connection>
    getConnections(peerId?: PeerId): Connection[]
  }
  addressManager: { getAddresses(): Multiaddr[] }
  /** For PROBE_RING_TAG (libp2p always has one; optional for a bare host in tests). */
  peerStore?: {
    merge(id: PeerId, data: { tags: Record<string, { value: number } | undefined> }): Promise<unknown>
  }
}

/** Why an inbound frame was refused (the stream that carried it is reset). */
export type FrameErrorReason =
  | 'too-large' // the length prefix announces more than maxPacketBytes / maxSyncBytes
  | 'truncated' // the stream ended inside a frame
  | 'malformed' // the length prefix is not a valid varint
  | 'rejected' // a well-framed message the engine could not decode (also counted in core drops)
  | 'memory' // a push-pull frame whose announced length did not fit the inbound budget (SYNC_BUFFER_FRAMES x maxSyncBytes)

/** Why an outbound packet was not sent. */
export type SendDropReason =
  | 'queue-full' // the per-peer send buffer was full: the oldest frame was dropped
  | 'too-large' // over maxPacketBytes
  | 'stream-failed' // the dial or the stream failed; the stream is reopened on the next send
  | 'not-allowed' // the target is not on the allow-list
  | 'fault' // dropped by setFaults()
  | 'stopped' // the service is stopped

/** The transport's own counters, next to the engine's in {@link MembershipService.stats}. */
export interface TransportStats {
  /** Packet frames written to a stream. */
  packetsSent: number
  /** Packet frames read and handed to the engine. */
  packetsReceived: number
  requestsSent: number
  requestsReceived: number
  requestsServed: number
  /** Outbound requests that failed: dial, refusal, reset, timeout, bad response. */
  requestsFailed: number
  /** Payload bytes written: packets, requests and responses (without length prefixes or libp2p overhead). */
  bytesSent: number
  /** Payload bytes of every whole frame read, refused frames included. */
  bytesReceived: number
  /** Inbound frames refused, by reason; each reset its stream. */
  frameErrors: Record<FrameErrorReason, number>
  /** Outbound packets dropped, by reason. */
  sendDrops: Record<SendDropReason, number>
  /** Streams refused because the remote peer is not on the allow-list. */
  refusedStreams: number
  /** Inbound packets and requests dropped by setFaults({ blocked }). */
  faultDropsIn: number
  /** Outbound packet streams open now (one per peer at most). */
  openStreams: number
  /** Frames waiting in the per-peer send buffers now. */
  queuedFrames: number
  /** Inbound push-pull streams reset because their peer already had MAX_SYNC_STREAMS_PER_PEER in progress. */
  busyStreams: number
  /** Send channels closed by the transport: unused for CHANNEL_IDLE_MS, or least recently used past MAX_CHANNELS. */
  channelsPruned: { idle: number; lru: number }
  /** Send channels now (gauge). */
  channels: number
  /** Bytes of inbound push-pull frames reserved now (gauge), of the inbound budget. */
  syncBytesReserved: number
  /**
   * Connections replaced because a request or a packet write on them stalled past the request
   * timeout, or aborted because they answered no Yamux ping within stallTimeoutMs.
   */
  stalledConnections: number
  /** Peers this node holds an open connection to now, any protocol's (gauge). */
  connections: number
  /** Connections that carried Murmur traffic, each a Noise handshake: dialled by us, or by the peer. */
  handshakes: { outbound: number; inbound: number }
  /** Total time of our successful dials (TCP + Noise + Yamux), ms: divided by handshakes.outbound, the mean. */
  dialMs: number
  /**
   * Successful dials that took longer than the probe timeout: a probe riding on one failed
   * because of the dial, not because of its target.
   */
  slowDials: number
  /** Dials that failed (refused, unreachable, timed out). */
  dialFailures: number
  /** Connections closed by the connection budget (MembershipInit.maxConnections). */
  connectionsReaped: number
}

/**
 * The engine's counters (probes, acks, nacks, suspicions, refutes, deaths, drops by reason,
 * bytes in/out, queue depths) plus the transport's. Frame errors the transport caught before the
 * engine saw the bytes are added to `drops`: 'too-large' as too-large, 'truncated' and
 * 'malformed' as malformed ('rejected' frames were already counted by the engine).
 */
export type MembershipServiceStats = ReturnType<Membership['stats']> & { transport: TransportStats }

/** Test-only fault injection; see {@link MembershipService.setFaults}. */
export interface Faults {
  /** Fraction of outgoing packets to drop, in [0, 1]. @default 0 */
  dropRate?: number
  /** Peer ids treated as unreachable in both directions. @default [] */
  blocked?: string[]
}

/** The membership service, as found at `node.services.membership`. */
export interface MembershipService extends TypedEventTarget<MembershipEvents> {
  /** The resolved engine config (profile + overrides). */
  readonly config: ResolvedConfig
  /** Every known member, this node first; dead and left members included until reaped. */
  members(): Member[]
  /** This node's own entry. */
  self(): Member
  /** One member by peer id string, or undefined. */
  member(id: string): Member | undefined
  /**
   * Joins a cluster through seeds: multiaddrs with `/p2p/<id>` (or without, then any peer there
   * is accepted). Resolves to how many seeds answered; rejects with `JoinFailedError` (with
   * `.errors`, one per seed) when none did.
   */
  join(addrs: Array<string | Multiaddr>, options?: { signal?: AbortSignal }): Promise<number>
  /** Announces a graceful leave and waits (bounded by leaveTimeoutMs) for it to spread. */
  leave(options?: { signal?: AbortSignal }): Promise<void>
  /**
   * Replaces this node's report (metadata too large to gossip: up to maxReportBytes, 64 KiB by
   * default; undefined removes it). Its SHA-256 digest and size go out in a signed alive claim;
   * members fetch the body on demand over `${prefix}/report/1.0.0`, check it, and show it on
   * our Member as `report` (member:update fires when it arrives).
   */
  setReport(report: Uint8Array | undefined): void
  /** Replaces this node's metadata and announces it. */
  setMetadata(bytes: Uint8Array): void
  /** Spreads a named user event to every member, this node included. */
  broadcast(name: string, payload?: Uint8Array): Promise<void>
  /**
   * Asks the members a question and yields their signed answers as they arrive, each member's
   * once, until the deadline, cancel() or `options.signal`; see core's `Membership.query`.
   * Throws InvalidArgumentError (bounds) or TooManyQueriesError (maxQueriesInFlight; in worker
   * mode that one comes from the iterator).
   */
  query(name: string, payload?: Uint8Array, options?: QueryOptions): QueryResult
  /**
   * Answers queries named `name` (`'*'`: any without a handler of its own) with the bytes the
   * handler returns (undefined: no answer); undefined removes it. In worker mode the handler
   * runs on the app's thread.
   */
  handleQuery(name: string, handler: QueryHandler | undefined): void
  /**
   * Forgets a member this node holds dead or left, now (its tombstone reaped: member:reap; no more
   * dials to it), and with `prune` (default) asks the cluster to do the same: each member honours
   * it only for a member it holds dead or left itself. Throws UnknownMemberError,
   * MemberNotDeadError (alive or suspect here) or InvalidArgumentError (this node).
   */
  forceLeave(id: string, options?: { prune?: boolean }): Promise<void>
  /**
   * Pings one member directly and resolves to the round trip in ms; rejects with TimeoutError
   * (from `@murmur/core`) after `timeoutMs` (default probeTimeoutMs), UnknownMemberError, the
   * signal's reason, or TooManyPingsError. Nothing is suspected when it goes unanswered.
   */
  ping(id: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<number>
  /** Lifeguard local health: 0 is healthy. */
  healthScore(): number
  /** A fingerprint of this node's view (16 hex digits): equal on two nodes holding the same view. */
  fingerprint(): string
  /** Counters: see {@link MembershipServiceStats}. */
  stats(): MembershipServiceStats
  /**
   * Test-only fault injection, off by default: drop this fraction of outgoing packets; treat
   * these peer ids as unreachable (both directions: drop what we send to them and what we
   * receive from them, and fail requests either way). Each call replaces the previous faults.
   */
  setFaults(faults: Faults): void
}

/**
 * The service factory, used as `services: { membership: membership({ ... }) }` in
 * `createLibp2p`. It throws `InvalidConfigError` (from `@murmur/core`) on a bad config.
 */
export function membership(init: MembershipInit = {}): (components: MembershipComponents) => MembershipService {
  return (components) => new MembershipServiceImpl(components, init)
}

/**
 * Limits of the circuit-relay-v2 server a node runs for browsers (see RELAY_LIMITS in
 * create-node.ts for the reasoning behind the defaults).
 */
export interface RelayLimits {
  /** Reservations (browsers relayed for) at once. @default 64 */
  maxReservations?: number
  /** A relayed connection is reset after this long, in ms (the peers dial again). @default 1_800_000 (30 min) */
  durationMs?: number
  /** A relayed connection is reset after this many bytes (both ways). @default 16 MiB */
  dataBytes?: number
}

/** Options of {@link createMurmurNode}. */
export interface CreateMurmurNodeOptions {
  /**
   * Listen addresses: TCP, QUIC (`/ip4/0.0.0.0/udp/N/quic-v1`, see `quic`), and WebSockets
   * (`/ip4/0.0.0.0/tcp/N/ws`) for browsers, which cannot dial TCP. The node always dials TCP,
   * WebSockets and relayed (`/p2p-circuit`) addresses, so it reaches browser members through
   * their relays. @default ['/ip4/127.0.0.1/tcp/0']
   */
  listen?: string[]
  /**
   * Load the QUIC transport (@chainsafe/libp2p-quic, a native module), so that the node dials
   * members' QUIC addresses, even with no QUIC address of its own to listen on. A member with
   * TCP and QUIC addresses is dialled over TCP (libp2p tries TCP first); one with QUIC alone is
   * reachable only from nodes with QUIC. When the native module does not load on this platform,
   * the node starts without QUIC and its QUIC listen addresses are dropped, with a warning
   * (process 'warning' event, code MURMUR_QUIC_UNAVAILABLE); with nothing else to listen on it
   * throws QuicUnavailableError. `false` refuses QUIC listen addresses (QuicUnavailableError).
   * Not with `psk` (InvalidArgumentError): libp2p applies the pre-shared key to TCP connections
   * only, and a QUIC connection would admit peers without it.
   * @default true when a listen or join address is QUIC, else false (the module is not loaded)
   */
  quic?: boolean
  /**
   * Serve as a circuit-relay-v2 relay, so that browsers (which cannot be dialled) hold a
   * reservation here and announce a relayed address; `true` or limits turn it on with those
   * limits. @default on when a listen address is WebSockets, with the limits of RelayLimits
   */
  relay?: boolean | RelayLimits
  /** Seeds to join once started; the node is stopped and the JoinFailedError rethrown if none answers. */
  join?: string[]
  /** The node's identity. @default a fresh Ed25519 key */
  privateKey?: PrivateKey
  /** Options of the membership service. */
  membership?: MembershipInit
  /** A libp2p private-network swarm key file's bytes (`@libp2p/pnet`): only nodes with it can connect. */
  psk?: Uint8Array
  /**
   * Peer ids admitted to the cluster, enforced by the connection gater (inbound and outbound)
   * and by the service (unless `membership.allow` is set, which then applies to the service).
   */
  allow?: string[]
}

/** Options of a worker-mode {@link createMurmurNode}: the same, plus `worker: true` and the progress bound. */
export interface CreateMurmurWorkerNodeOptions extends CreateMurmurNodeOptions {
  /**
   * Worker mode: run libp2p and the engine on a worker thread, so that an app that blocks its own
   * thread (a long computation, a sync file read, a GC storm) does not stop the node answering
   * probes. `services.membership` keeps the same API and types: reads (members(), self(),
   * stats(), healthScore()) answer from a mirror the worker keeps current (stats() at most
   * a second old), calls (join, leave, broadcast) cross a MessagePort. Costs a second V8 isolate
   * (README: memory and latency figures). `membership.ackPayload` (a function) is not supported.
   */
  worker: true
  /**
   * The progress bound (Kafka's max.poll.interval.ms). This thread ticks a
   * shared counter (no message per tick); when it stops ticking for `timeoutMs`, the app is
   * alive but stuck, and the worker marks the node degraded in its signed metadata (or leaves).
   */
  progress?: ProgressOptions
}

/** The progress bound of a worker-mode node; see {@link CreateMurmurNodeOptions.progress}. */
export interface ProgressOptions {
  /** How long the app's thread may go without a tick before it counts as stuck, in ms (>= 100). */
  timeoutMs: number
  /**
   * 'degrade': announce `degradedMetadata(metadata)` while stuck, and the app's own metadata again
   * once it ticks (others see a member:update each way). 'leave': leave the cluster and stop the
   * node, for good. @default 'degrade'
   */
  action?: 'degrade' | 'leave'
  /**
   * How this app marks its metadata degraded: called on this thread with each metadata set (the
   * first one and every setMetadata), so that the worker holds the marked copy before it is
   * needed. Required for 'degrade'. The CLI adds the tag `degraded=progress`.
   */
  degradedMetadata?: (metadata: Uint8Array) => Uint8Array
}

/**
 * What both modes of {@link createMurmurNode} return: the membership service, the node's id and
 * addresses, stop(). In-thread it is the libp2p node itself (`Libp2p` has all of this and more).
 */
export interface MurmurNode {
  readonly peerId: PeerId
  readonly services: { membership: MembershipService }
  getMultiaddrs(): Multiaddr[]
  stop(): void | Promise<void>
}

/** A worker-mode node: the {@link MurmurNode} API, plus the Worker itself (resourceLimits, exit events). */
export interface MurmurWorkerNode extends MurmurNode {
  readonly worker: import('node:worker_threads').Worker
  stop(): Promise<void>
}

/**
 * A started libp2p node (TCP + Noise + Yamux, QUIC when asked for, optional pnet and allow-list
 * gater) running the membership service at `services.membership`, joined to `options.join` when
 * given. With `worker: true`, the same running on a worker thread (see
 * {@link CreateMurmurNodeOptions.worker}).
 */
export function createMurmurNode(options: CreateMurmurWorkerNodeOptions): Promise<MurmurWorkerNode>
export function createMurmurNode(options?: CreateMurmurNodeOptions): Promise<Libp2p<{ membership: MembershipService }>>
export async function createMurmurNode(
  options: CreateMurmurNodeOptions | CreateMurmurWorkerNodeOptions = {},
): Promise<MurmurNode> {
  if ('worker' in options && options.worker === true) {
    const { createWorkerNode } = await import('./worker-client.ts')
    return createWorkerNode(options)
  }
  if ('progress' in options && options.progress !== undefined) {
    throw new InvalidArgumentError('progress needs worker: true (the bound is kept by the worker thread)')
  }
  return createNode(options)
}

export {
  InvalidConfigError,
  JoinFailedError,
  type Member,
  MemberNotDeadError,
  type MembershipEvents,
  type QueryAnswer,
  type QueryFilter,
  type QueryHandler,
  type QueryInfo,
  type QueryOptions,
  type QueryResult,
  type ResolvedConfig,
  type SwimConfig,
  TimeoutError,
  TooManyPingsError,
  TooManyQueriesError,
  UnknownMemberError,
} from '@murmur/core'
export { coalesceWrites, coalescingTcp } from './coalesce.ts'
export { PACKET_PROTOCOL, PROTOCOL_PREFIX, SYNC_PROTOCOL } from './constants.ts'
export {
  FrameRejectedError,
  PeerBlockedError,
  PeerNotAllowedError,
  QuicUnavailableError,
  TransportStoppedError,
} from './errors.ts'
export { incarnationFromClock, PROBE_RING_TAG, probeRingsFor, protocolPrefixFor } from './membership-service.ts'
export { isQuicAddr } from './quic.ts'
export { frugalYamux } from './yamux.ts'

import type { ComponentLogger, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import {
  InvalidArgumentError,
  MessageTooLargeError,
  type Peer,
  type Transport,
  type TransportHandlers,
} from '@murmur/core'
import { anySignal, type ClearableSignal } from 'any-signal'
import {
  CHANNEL_IDLE_MS,
  CHANNEL_SWEEP_MS,
  DRAIN_POLL_MS,
  MAX_CHANNELS,
  MAX_INBOUND_PACKET_STREAMS,
  MAX_INBOUND_SYNC_STREAMS,
  MAX_OUTBOUND_PACKET_STREAMS,
  MAX_OUTBOUND_SYNC_STREAMS,
  MAX_SYNC_STREAMS_PER_PEER,
  MIN_PACKET_OPEN_MS,
  PROTOCOL_PREFIX,
  protocolsFor,
  SYNC_BUFFER_FRAMES,
  stallTimeoutFor,
} from './constants.ts'
import { PeerBlockedError, PeerNotAllowedError, StalledConnectionError, TransportStoppedError } from './errors.ts'
import { type InboundContext, SyncLimits, servePacketStream, serveSyncStream } from './inbound.ts'
import type { Faults, MembershipComponents, TransportStats } from './index.ts'
import { type ChannelHost, type OpenedStream, PacketChannel } from './packet-channel.ts'
import {
  deadline,
  dialAddrs,
  frameError,
  muxerPing,
  raceSignal,
  readFrame,
  seedPeerId,
  writeFrame,
} from './stream-utils.ts'

export type StreamTransportComponents = Pick<MembershipComponents, 'registrar' | 'connectionManager' | 'events'> & {
  logger: ComponentLogger
}

export interface StreamTransportInit {
  /** @default '/murmur' */
  protocolPrefix?: string
  /** Largest packet frame, both ways (the engine's maxPacketBytes). */
  maxPacketBytes: number
  /** Largest push-pull frame, both ways (the engine's maxSyncBytes). */
  maxSyncBytes: number
  /** Bound on a dial, a stream open, a drain and one request/response (the engine's requestTimeoutMs). */
  timeoutMs: number
  /** Peer ids admitted; undefined admits everyone. */
  allow?: Iterable<string>
  /** Bytes of inbound push-pull frames buffered at once, all streams together. @default SYNC_BUFFER_FRAMES x maxSyncBytes */
  syncBufferBytes?: number
  /** Inbound push-pull streams in progress per remote peer. @default MAX_SYNC_STREAMS_PER_PEER */
  maxSyncStreamsPerPeer?: number
  /** Per-peer send channels kept at most (least recently used closed first). @default MAX_CHANNELS */
  maxChannels?: number
  /** A send channel unused this long is closed. @default max(CHANNEL_IDLE_MS, 2 x timeoutMs) */
  channelIdleMs?: number
  /**
   * A connection we send on must answer a yamux ping within this long (asked at most once per
   * this period while it is in use, and before a request or a new packet stream reuses it), or
   * it is aborted and the next send dials afresh. Also the bound of one dial attempt (a request
   * or packet stream dials again until its own deadline). See MIN_STALL_TIMEOUT_MS.
   * @default max(MIN_STALL_TIMEOUT_MS, timeoutMs / STALL_TIMEOUT_DIVISOR)
   */
  stallTimeoutMs?: number
  /**
   * The connection budget: members we keep a connection to at once. Past it, the connections
   * to the members we exchanged packets with least recently are closed (counted in
   * connectionsReaped), except one used within `activeMs` or carrying a push-pull or another
   * protocol's stream. Undefined: no budget of our own (libp2p's maxConnections still applies).
   */
  maxConnections?: number
  /**
   * A connection used this recently is never reaped: the engine's probe interval, so that a probe
   * round's ping, ping-reqs and relayed acks all find it open. @default 500
   */
  activeMs?: number
  /** A dial that takes longer than this counts in slowDials (the engine's probe timeout). @default 500 */
  slowDialMs?: number
  /**
   * While it answers true, nothing is reaped: the budget yields to the node's own health (the
   * service passes "the engine's Lifeguard score is above 0"). An overloaded node that kept
   * reaping would pay a handshake for most of its next probes, slowing its dials past the probe
   * timeout and failing more probes: a loop that a cluster started all at once on a small machine
   * never left. Holding its connections until it is healthy again breaks it.
   */
  holdConnections?: () => boolean
  /**
   * Members whose connection is never reaped: the engine's probe targets under probe rings,
   * probed every few intervals, each time with a handshake if it were closed in between.
   */
  keep?: (id: string) => boolean
}

/** libp2p's progress events of a connection upgrade (`upgrader:encrypt-outbound-connection`, ...): the remote answered. */
const HANDSHAKE_PROGRESS = 'upgrader:'

/** StreamTransportInit.activeMs and slowDialMs without the engine's probe timeout: the 'lan' one. */
const DEFAULT_ACTIVE_MS = 500

/** A plain timer promise (no node:timers: the transport runs in browsers too). */
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

type Status = { state: 'stopped' } | { state: 'started'; shutdown: AbortController }

function newCounters(): TransportStats {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    requestsSent: 0,
    requestsReceived: 0,
    requestsServed: 0,
    requestsFailed: 0,
    bytesSent: 0,
    bytesReceived: 0,
    frameErrors: { 'too-large': 0, truncated: 0, malformed: 0, rejected: 0, memory: 0 },
    sendDrops: { 'queue-full': 0, 'too-large': 0, 'stream-failed': 0, 'not-allowed': 0, fault: 0, stopped: 0 },
    refusedStreams: 0,
    faultDropsIn: 0,
    openStreams: 0,
    queuedFrames: 0,
    busyStreams: 0,
    channelsPruned: { idle: 0, lru: 0 },
    channels: 0,
    syncBytesReserved: 0,
    stalledConnections: 0,
    connections: 0,
    handshakes: { outbound: 0, inbound: 0 },
    dialMs: 0,
    slowDials: 0,
    dialFailures: 0,
    connectionsReaped: 0,
  }
}

/**
 * core's Transport over libp2p streams. Packets: length-prefixed frames on one long-lived
 * outbound stream per peer (see PacketChannel); push-pull: one frame each way on a fresh stream.
 * The sender of everything inbound is the connection's authenticated remote peer.
 */
export class StreamTransport implements Transport, Startable {
  readonly packetProtocol: string
  readonly syncProtocol: string
  readonly counters: TransportStats = newCounters()
  readonly log: Logger
  readonly timeoutMs: number
  private readonly maxPacketBytes: number
  private readonly maxSyncBytes: number
  private readonly allow: Set<string> | undefined
  /** Send channels by peer id, least recently used first (a send moves its channel to the end). */
  private readonly channels = new Map<string, PacketChannel>()
  private readonly maxChannels: number
  private readonly channelIdleMs: number
  private sweepTimer: ReturnType<typeof setInterval> | undefined
  private readonly syncLimits: SyncLimits
  /** Connections whose last use stalled: connect() dials afresh instead of reusing them. */
  private readonly stale = new WeakSet<Connection>()
  readonly stallTimeoutMs: number
  /** When each connection last proved it moves data (a ping answered, or our dial of it), Date.now(). */
  private readonly confirmed = new WeakMap<Connection, number>()
  /** The ping in flight on each connection: true once answered, false once it failed. */
  private readonly pings = new WeakMap<Connection, Promise<boolean>>()
  private readonly host: ChannelHost
  private handlers: TransportHandlers | undefined
  private dropRate = 0
  private blocked = new Set<string>()
  private status: Status = { state: 'stopped' }
  private readonly components: StreamTransportComponents
  private readonly maxConnections: number | undefined
  private readonly activeMs: number
  private readonly slowDialMs: number
  private readonly holdConnections: () => boolean
  private readonly keep: (id: string) => boolean
  /** When we last sent to or heard from each peer (Date.now()), least recently first: the reaper's order. */
  private readonly active = new Map<string, number>()
  /** Open libp2p connections per peer id, either direction (connection:open / connection:close). */
  private readonly linked = new Map<string, number>()
  private readonly onConnectionOpen = (e: CustomEvent<Connection>) => this.link(e.detail.remotePeer.toString(), 1)
  private readonly onConnectionClose = (e: CustomEvent<Connection>) => this.link(e.detail.remotePeer.toString(), -1)
  /** Inbound connections already counted as a handshake. */
  private readonly inbound = new WeakSet<Connection>()

  constructor(components: StreamTransportComponents, init: StreamTransportInit) {
    this.components = components
    const protocols = protocolsFor(init.protocolPrefix ?? PROTOCOL_PREFIX)
    this.packetProtocol = protocols.packet
    this.syncProtocol = protocols.sync
    this.maxPacketBytes = init.maxPacketBytes
    this.maxSyncBytes = init.maxSyncBytes
    this.timeoutMs = init.timeoutMs
    this.allow = init.allow === undefined ? undefined : new Set(init.allow)
    this.syncLimits = new SyncLimits(
      init.syncBufferBytes ?? SYNC_BUFFER_FRAMES * init.maxSyncBytes,
      init.maxSyncStreamsPerPeer ?? MAX_SYNC_STREAMS_PER_PEER,
    )
    this.maxChannels = init.maxChannels ?? MAX_CHANNELS
    this.channelIdleMs = init.channelIdleMs ?? Math.max(CHANNEL_IDLE_MS, 2 * init.timeoutMs)
    this.stallTimeoutMs = init.stallTimeoutMs ?? stallTimeoutFor(init.timeoutMs)
    this.maxConnections = init.maxConnections
    this.activeMs = init.activeMs ?? DEFAULT_ACTIVE_MS
    this.slowDialMs = init.slowDialMs ?? DEFAULT_ACTIVE_MS
    this.holdConnections = init.holdConnections ?? (() => false)
    this.keep = init.keep ?? (() => false)
    this.log = components.logger.forComponent('murmur:transport')
    this.host = {
      counters: this.counters,
      log: this.log,
      timeoutMs: this.timeoutMs,
      openTimeoutMs: Math.max(this.timeoutMs, MIN_PACKET_OPEN_MS),
      open: (peer, signal) => this.openPacketStream(peer, signal),
      idle: (channel) => {
        if (this.channels.get(channel.id) === channel && channel.queued === 0) this.channels.delete(channel.id)
      },
      stalled: (connection, err) => this.markStalled(connection, err),
      sent: (connection) => void this.verify(connection),
    }
  }

  /** Registers both protocol handlers. Idempotent. */
  async start(): Promise<void> {
    if (this.status.state === 'started') return
    const { registrar } = this.components
    await registrar.handle(this.packetProtocol, (s, c) => this.onStream(s, c, servePacketStream), {
      maxInboundStreams: MAX_INBOUND_PACKET_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_PACKET_STREAMS,
      runOnLimitedConnection: true, // a browser member is reached through a relay (a limited connection)
    })
    try {
      await registrar.handle(this.syncProtocol, (s, c) => this.onStream(s, c, serveSyncStream), {
        maxInboundStreams: MAX_INBOUND_SYNC_STREAMS,
        maxOutboundStreams: MAX_OUTBOUND_SYNC_STREAMS,
        runOnLimitedConnection: true,
      })
    } catch (err) {
      await Promise.resolve(registrar.unhandle(this.packetProtocol)).catch(() => {})
      throw err
    }
    this.status = { state: 'started', shutdown: new AbortController() }
    this.linked.clear()
    for (const c of this.components.connectionManager.getConnections()) {
      if (c.status === 'open') this.link(c.remotePeer.toString(), 1)
    }
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.components.events.addEventListener('connection:close', this.onConnectionClose)
    const sweepMs = Math.max(10, Math.min(CHANNEL_SWEEP_MS, this.channelIdleMs / 2))
    this.sweepTimer = setInterval(() => {
      this.pruneIdle()
      this.reap()
    }, sweepMs)
    this.sweepTimer.unref?.()
  }

  /**
   * Waits (at most `timeoutMs`) until every queued packet has been written to its stream, so
   * that what was sent just before a stop (a leave, above all) is not dropped by it.
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const pending = () => [...this.channels.values()].some((c) => c.queued > 0 || c.busy)
    while (this.status.state === 'started' && pending() && Date.now() < deadline) await delay(DRAIN_POLL_MS)
  }

  /** Unregisters the handlers, closes every packet stream, aborts requests in flight. Idempotent. */
  async stop(): Promise<void> {
    if (this.status.state === 'stopped') return
    this.status.shutdown.abort(new TransportStoppedError())
    this.status = { state: 'stopped' }
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.components.events.removeEventListener('connection:close', this.onConnectionClose)
    this.linked.clear()
    clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
    for (const channel of this.channels.values()) channel.close()
    this.channels.clear()
    this.active.clear()
    for (const protocol of [this.packetProtocol, this.syncProtocol]) {
      // the node may be tearing the registrar down at the same time; stopping must not fail
      try {
        await this.components.registrar.unhandle(protocol)
      } catch (err) {
        this.log.error('could not unhandle %s - %e', protocol, err)
      }
    }
  }

  listen(handlers: TransportHandlers): void {
    this.handlers = {
      onPacket: (from, bytes) => {
        this.touch(from)
        return handlers.onPacket(from, bytes)
      },
      onRequest: (from, bytes) => handlers.onRequest(from, bytes),
    }
  }

  /**
   * The engine's hint (core Transport.connected): a packet to `id` costs no handshake now: its
   * send channel has a stream open, or libp2p holds a connection to it in either direction (one
   * it dialled to join through us, say: a new stream on it is cheap). Cheap: two map lookups.
   */
  connected(id: string): boolean {
    return this.channels.get(id)?.connected === true || (this.linked.get(id) ?? 0) > 0
  }

  private link(id: string, delta: number): void {
    const n = (this.linked.get(id) ?? 0) + delta
    if (n > 0) this.linked.set(id, n)
    else this.linked.delete(id)
  }

  /** The engine's first-contact hint (core Transport.opening): the open of `id`'s packet stream under way, if any. */
  opening(id: string): Promise<void> | undefined {
    return this.channels.get(id)?.opening
  }

  /** Best effort: queues the packet for the peer's stream and returns at once. Never throws. */
  send(to: Peer, bytes: Uint8Array): void {
    const drops = this.counters.sendDrops
    if (this.status.state !== 'started') drops.stopped++
    else if (bytes.byteLength > this.maxPacketBytes) drops['too-large']++
    else if (!this.allowed(to.id)) drops['not-allowed']++
    else if (this.blocked.has(to.id) || (this.dropRate > 0 && Math.random() < this.dropRate)) drops.fault++
    else {
      this.touch(to.id)
      this.channelFor(to).push(to, bytes)
    }
  }

  /**
   * One push-pull exchange with a member, or with a seed multiaddr (with or without /p2p/),
   * bounded by the caller's signal: the engine gives a join (joinTimeoutMs) longer than a
   * periodic sync (requestTimeoutMs).
   */
  async request(to: Peer | string, bytes: Uint8Array, options: { signal: AbortSignal }): Promise<Uint8Array> {
    this.counters.requestsSent++
    let signal: ClearableSignal | undefined
    try {
      if (this.status.state !== 'started') throw new TransportStoppedError()
      if (bytes.byteLength > this.maxSyncBytes) {
        throw new MessageTooLargeError(`request of ${bytes.byteLength} bytes exceeds maxSyncBytes ${this.maxSyncBytes}`)
      }
      signal = anySignal([options.signal, this.status.shutdown.signal])
      const target = typeof to === 'string' ? seedPeerId(to) : to.id
      if (target !== undefined) this.checkReachable(target)
      if (typeof to !== 'string') this.touch(to.id)
      const connection = await this.connect(to, signal)
      this.checkReachable(connection.remotePeer.toString())
      try {
        const stream = await connection.newStream(this.syncProtocol, {
          signal,
          maxOutboundStreams: MAX_OUTBOUND_SYNC_STREAMS,
          runOnLimitedConnection: true,
        })
        return await this.exchange(stream, bytes, signal)
      } catch (err) {
        // a timeout (ours or the engine's) with the connection open: it may be dead under us
        if (signal.aborted && !this.status.shutdown.signal.aborted) this.markStalled(connection, err as Error)
        throw err
      }
    } catch (err) {
      this.counters.requestsFailed++
      throw err
    } finally {
      signal?.clear()
    }
  }

  /** Test-only fault injection: see MembershipService.setFaults. */
  setFaults(faults: Faults): void {
    const dropRate = faults.dropRate ?? 0
    if (!(dropRate >= 0 && dropRate <= 1)) throw new InvalidArgumentError(`dropRate must be in [0, 1], got ${dropRate}`)
    this.dropRate = dropRate
    this.blocked = new Set(faults.blocked ?? [])
  }

  /** Closes the packet stream to a member that is gone (left or reaped). */
  forget(id: string): void {
    this.channels.get(id)?.close()
    this.channels.delete(id)
    this.active.delete(id)
  }

  stats(): TransportStats {
    let openStreams = 0
    let queuedFrames = 0
    for (const channel of this.channels.values()) {
      if (channel.connected) openStreams++
      queuedFrames += channel.queued
    }
    const c = this.counters
    return {
      ...c,
      frameErrors: { ...c.frameErrors },
      sendDrops: { ...c.sendDrops },
      channelsPruned: { ...c.channelsPruned },
      openStreams,
      queuedFrames,
      channels: this.channels.size,
      syncBytesReserved: this.syncLimits.reservedBytes,
      connections: this.connectionCount(),
      handshakes: { ...c.handshakes },
    }
  }

  /** Peers we hold an open connection to now (any protocol's). */
  private connectionCount(): number {
    const peers = new Set<string>()
    for (const c of this.components.connectionManager.getConnections()) {
      if (c.status === 'open') peers.add(c.remotePeer.toString())
    }
    return peers.size
  }

  /** `id` is in use now: it becomes the last the reaper would close. */
  private touch(id: string): void {
    if (this.maxConnections === undefined) return
    this.active.delete(id)
    this.active.set(id, Date.now())
  }

  /**
   * The connection budget (maxConnections): while more members than that have a connection
   * to us, closes the connections to the least recently active ones. Skips a member used within
   * activeMs (its probe round may still be running), one with a push-pull in progress, and one whose
   * connection carries another protocol's stream (the app's, not ours to close). Runs after
   * each new connection and on the sweep timer.
   */
  private reap(): void {
    const budget = this.maxConnections
    if (budget === undefined || this.status.state !== 'started' || this.holdConnections()) return
    const byPeer = new Map<string, Connection[]>()
    for (const c of this.components.connectionManager.getConnections()) {
      if (c.status !== 'open') continue
      const id = c.remotePeer.toString()
      const list = byPeer.get(id)
      if (list === undefined) byPeer.set(id, [c])
      else list.push(c)
    }
    let held = 0
    for (const id of [...this.active.keys()]) {
      if (byPeer.has(id)) held++
      else if (this.channels.get(id)?.busy !== true) this.active.delete(id) // gone: nothing to reap
    }
    let excess = held - budget
    if (excess <= 0) return
    const now = Date.now()
    for (const [id, at] of this.active) {
      if (excess <= 0 || now - at < this.activeMs) break
      const connections = byPeer.get(id)
      if (connections === undefined || this.keep(id)) continue
      const ours = (p: string | undefined) => p === this.packetProtocol
      if (connections.some((c) => c.streams.some((s) => !ours(s.protocol)))) continue
      const channel = this.channels.get(id)
      if (channel !== undefined && (channel.busy || channel.queued > 0)) continue
      excess--
      this.counters.connectionsReaped++
      this.active.delete(id)
      this.channels.delete(id)
      channel?.close()
      for (const c of connections) {
        c.close({ signal: AbortSignal.timeout(this.timeoutMs) }).catch((err: Error) => c.abort(err))
      }
    }
  }

  /** The peers with a send channel now, least recently used first (for tests and diagnostics). */
  channelPeers(): string[] {
    return [...this.channels.keys()]
  }

  /** True while some channel has frames queued or is writing (for tests that wait for quiet). */
  get busy(): boolean {
    for (const channel of this.channels.values()) if (channel.busy || channel.queued > 0) return true
    return false
  }

  private allowed(id: string): boolean {
    return this.allow === undefined || this.allow.has(id)
  }

  private checkReachable(id: string): void {
    if (!this.allowed(id)) throw new PeerNotAllowedError(`${id} is not on the allow-list`)
    if (this.blocked.has(id)) throw new PeerBlockedError(`${id} is blocked by fault injection`)
  }

  /** The member's channel, made most recently used; a new one may close the least recently used. */
  private channelFor(to: Peer): PacketChannel {
    let channel = this.channels.get(to.id)
    if (channel !== undefined) {
      this.channels.delete(to.id) // re-inserted below: Map order is our LRU order
    } else {
      channel = new PacketChannel(to, this.host)
      while (this.channels.size >= this.maxChannels) {
        const [id, lru] = this.channels.entries().next().value as [string, PacketChannel]
        this.channels.delete(id)
        lru.close()
        this.counters.channelsPruned.lru++
      }
    }
    this.channels.set(to.id, channel)
    return channel
  }

  /** Closes the channels unused for channelIdleMs; they are first in the map, so the walk stops at the first in use. */
  private pruneIdle(): void {
    const cutoff = Date.now() - this.channelIdleMs
    for (const [id, channel] of this.channels) {
      if (channel.lastUsed > cutoff) break
      this.channels.delete(id)
      channel.close()
      this.counters.channelsPruned.idle++
    }
  }

  /**
   * A request or packet write on `connection` timed out while libp2p still calls it open: it
   * may be dead at the TCP level. It is not reused: the next connect() dials afresh, and closes
   * it once the fresh connection is up (a dead one would otherwise linger until TCP notices).
   */
  private markStalled(connection: Connection, err: Error): void {
    if (connection.status !== 'open' || this.stale.has(connection)) return
    this.stale.add(connection)
    this.log('connection %s to %p stalled - %e', connection.id, connection.remotePeer, err)
    this.channels.get(connection.remotePeer.toString())?.detach(connection)
  }

  /**
   * Proves that `connection` still moves data: a yamux ping, which the remote's muxer answers
   * only once everything we wrote before it has arrived. Skipped (true) when the connection did
   * so within the last stallTimeoutMs; one ping at a time per connection. A ping unanswered
   * within stallTimeoutMs aborts the connection (its streams reset, the send channel on it
   * reopens on a fresh dial): TCP would otherwise hold it open, retransmitting, for minutes.
   * Without a muxer ping (not yamux: QUIC, whose own idle timeout closes a dead connection) it
   * answers true: request timeouts still catch stalls.
   */
  private verify(connection: Connection): Promise<boolean> {
    if (connection.status !== 'open' || this.status.state !== 'started') return Promise.resolve(false)
    const last = this.confirmed.get(connection)
    if (last !== undefined && Date.now() - last < this.stallTimeoutMs) return Promise.resolve(true)
    const inFlight = this.pings.get(connection)
    if (inFlight !== undefined) return inFlight
    const ping = muxerPing(connection)
    if (ping === undefined) return Promise.resolve(true)
    const shutdown = this.status.shutdown.signal
    // a plain timer, not AbortSignal.timeout/any: this runs per connection per stall period (see deadline())
    const bound = deadline(this.stallTimeoutMs, shutdown, 'a stall ping')
    const result = ping({ signal: bound.signal }).then(
      () => {
        this.confirmed.set(connection, Date.now())
        return true
      },
      (err: Error) => {
        if (!shutdown.aborted && connection.status === 'open') this.abortStalled(connection, err)
        return false
      },
    )
    void result.finally(() => bound.clear())
    this.pings.set(connection, result)
    void result.finally(() => this.pings.delete(connection))
    return result
  }

  /** A connection that answered no ping: aborted at once (a graceful close would wait on the dead TCP). */
  private abortStalled(connection: Connection, cause: Error): void {
    this.counters.stalledConnections++
    this.log(
      'connection %s to %p answered no ping within %d ms, aborting - %e',
      connection.id,
      connection.remotePeer,
      this.stallTimeoutMs,
      cause,
    )
    connection.abort(new StalledConnectionError(`no ping answered within ${this.stallTimeoutMs} ms (${cause.message})`))
  }

  /**
   * An open connection to the member that proves it moves data, else a dial of its announced
   * addresses (with /p2p/). Connections not confirmed within stallTimeoutMs are pinged first
   * (all at once; the first to answer is used, the silent ones are aborted). A connection whose
   * last use stalled is not reused either: a fresh one is dialled (force), and the stalled ones
   * are closed once it is up.
   */
  private async connect(to: Peer | string, signal: AbortSignal): Promise<Connection> {
    const { connectionManager } = this.components
    if (typeof to === 'string') return this.dial(multiaddr(to), signal, false)
    const peerId = peerIdFromString(to.id)
    const open = connectionManager.getConnections(peerId).filter((c) => c.status === 'open')
    // a peer we reach only through a relay (a browser) has limited connections alone: use those
    const unlimited = open.filter((c) => c.limits === undefined)
    const usable = unlimited.length > 0 ? unlimited : open
    const candidates = usable.filter((c) => !this.stale.has(c))
    if (candidates.length > 0) {
      const good = await raceSignal(this.firstVerified(candidates), signal)
      if (good !== undefined) return good
    }
    const addrs = dialAddrs(to)
    const fresh = await this.dial(addrs.length > 0 ? addrs : peerId, signal, usable.length > 0)
    for (const old of usable) if (old !== fresh && old.status === 'open') this.retire(old)
    return fresh
  }

  /** The first of `connections` to pass verify() (one confirmed recently wins at once), or undefined. */
  private firstVerified(connections: Connection[]): Promise<Connection | undefined> {
    const now = Date.now()
    const recent = connections.find(
      (c) => now - (this.confirmed.get(c) ?? Number.NEGATIVE_INFINITY) < this.stallTimeoutMs,
    )
    if (recent !== undefined) return Promise.resolve(recent)
    return new Promise((resolve) => {
      let pending = connections.length
      for (const c of connections) {
        void this.verify(c).then((ok) => {
          if (ok) resolve(c)
          else if (--pending === 0) resolve(undefined)
        })
      }
    })
  }

  /**
   * openConnection, each attempt bounded by stallTimeoutMs until its handshake begins, and
   * repeated until `signal` aborts: a SYN lost to a cut is re-sent by TCP only after 1, 3, 7,
   * 15 s, so a dial begun during a cut could otherwise sit seconds past its end; a new attempt
   * sends a SYN at once. Once the remote host answered (libp2p's upgrader began the handshake), only
   * `signal` bounds the attempt: a handshake slowed by a busy host is progress, and starting it
   * over would only pay its CPU again. Errors other than the attempt's own timeout (a refusal,
   * an unreachable network) end it at once. A connection it opens counts as confirmed (its
   * handshake just moved data both ways).
   */
  private async dial(
    target: Multiaddr | Multiaddr[] | PeerId,
    signal: AbortSignal,
    force: boolean,
  ): Promise<Connection> {
    const { connectionManager } = this.components
    const started = Date.now()
    for (;;) {
      const stall = new AbortController()
      let answered = false
      const timer = setTimeout(() => {
        if (!answered) stall.abort(new StalledConnectionError(`no answer within ${this.stallTimeoutMs} ms`))
      }, this.stallTimeoutMs)
      const attempt = anySignal([signal, stall.signal])
      // force: without it libp2p hands back a stalled connection; a variable, since AbortOptions lacks it
      const options = {
        signal: attempt,
        force,
        onProgress: (e: { type: string }) => {
          if (e.type.startsWith(HANDSHAKE_PROGRESS)) answered = true
        },
      }
      try {
        const connection = await connectionManager.openConnection(target, options)
        // libp2p may hand back a connection it already had: only a new one counts as confirmed
        const opened = connection.timeline.upgraded ?? connection.timeline.open
        if (Date.now() - opened < this.stallTimeoutMs && !this.confirmed.has(connection)) {
          this.confirmed.set(connection, opened)
        }
        if (connection.timeline.open >= started) this.opened(connection, Date.now() - started)
        return connection
      } catch (err) {
        if (signal.aborted || !stall.signal.aborted) {
          this.counters.dialFailures++
          throw err
        }
        this.log('dial of %s took over %d ms, dialling again', String(target), this.stallTimeoutMs)
      } finally {
        clearTimeout(timer)
        attempt.clear()
      }
    }
  }

  /**
   * A connection we dialled, `ms` after the dial began: one outbound handshake. A dial slower
   * than the probe timeout (slowDials) failed the probe riding on it whatever the target did.
   */
  private opened(connection: Connection, ms: number): void {
    this.counters.handshakes.outbound++
    this.counters.dialMs += ms
    if (ms > this.slowDialMs) {
      this.counters.slowDials++
      this.log('dial of %p took %d ms', connection.remotePeer, ms)
    }
    this.reap()
  }

  /** Closes a stalled connection: gracefully within timeoutMs, else abort. */
  private retire(connection: Connection): void {
    this.counters.stalledConnections++
    this.log('closing stalled connection %s to %p', connection.id, connection.remotePeer)
    connection.close({ signal: AbortSignal.timeout(this.timeoutMs) }).catch((err: Error) => connection.abort(err))
  }

  private async openPacketStream(peer: Peer, signal: AbortSignal): Promise<OpenedStream> {
    const connection = await this.connect(peer, signal)
    try {
      const stream = await connection.newStream(this.packetProtocol, {
        signal,
        maxOutboundStreams: MAX_OUTBOUND_PACKET_STREAMS,
        runOnLimitedConnection: true,
      })
      return { stream, connection }
    } catch (err) {
      if (signal.aborted) this.markStalled(connection, err as Error)
      throw err
    }
  }

  private async exchange(stream: Stream, bytes: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    try {
      await writeFrame(stream, bytes, signal)
      this.counters.bytesSent += bytes.byteLength
      await stream.close({ signal }) // half-close: the request is complete, the response follows
      const response = await readFrame(stream, this.maxSyncBytes, signal)
      this.counters.bytesReceived += response.byteLength
      return response
    } catch (err) {
      const reason = frameError(err)
      if (reason !== undefined) this.counters.frameErrors[reason]++
      stream.abort(err as Error)
      throw err
    }
  }

  /** Admission of an inbound stream: the context to serve it with, or undefined (reset, counted). */
  private admit(stream: Stream, from: string): InboundContext | undefined {
    if (this.status.state !== 'started' || this.handlers === undefined) {
      stream.abort(new TransportStoppedError())
      return undefined
    }
    if (!this.allowed(from)) {
      this.counters.refusedStreams++
      this.log('refused a %s stream from %s: not on the allow-list', stream.protocol, from)
      stream.abort(new PeerNotAllowedError(`${from} is not on the allow-list`))
      return undefined
    }
    return {
      counters: this.counters,
      log: this.log,
      syncLimits: this.syncLimits,
      handlers: this.handlers,
      maxPacketBytes: this.maxPacketBytes,
      maxSyncBytes: this.maxSyncBytes,
      timeoutMs: this.timeoutMs,
      shutdown: this.status.shutdown.signal,
      isBlocked: (id) => this.blocked.has(id),
    }
  }

  private async onStream(stream: Stream, connection: Connection, serve: typeof servePacketStream): Promise<void> {
    const from = connection.remotePeer.toString()
    if (connection.direction === 'inbound' && !this.inbound.has(connection)) {
      this.inbound.add(connection)
      this.counters.handshakes.inbound++
      this.touch(from)
      this.reap()
    }
    const ctx = this.admit(stream, from)
    if (ctx !== undefined) await serve(ctx, stream, from)
  }
}

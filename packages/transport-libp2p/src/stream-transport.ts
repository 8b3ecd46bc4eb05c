import { setTimeout as delay } from 'node:timers/promises'
import type { ComponentLogger, Connection, Logger, Startable, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import {
  InvalidArgumentError,
  MessageTooLargeError,
  type Peer,
  type Transport,
  type TransportHandlers,
} from '@murmur/core'
import {
  DRAIN_POLL_MS,
  MAX_INBOUND_PACKET_STREAMS,
  MAX_INBOUND_SYNC_STREAMS,
  MAX_OUTBOUND_PACKET_STREAMS,
  MAX_OUTBOUND_SYNC_STREAMS,
  PROTOCOL_PREFIX,
  protocolsFor,
} from './constants.ts'
import { PeerBlockedError, PeerNotAllowedError, TransportStoppedError } from './errors.ts'
import { type InboundContext, servePacketStream, serveSyncStream } from './inbound.ts'
import type { Faults, MembershipComponents, TransportStats } from './index.ts'
import { type ChannelHost, PacketChannel } from './packet-channel.ts'
import { dialAddrs, frameError, readFrame, seedPeerId, writeFrame } from './stream-utils.ts'

export type StreamTransportComponents = Pick<MembershipComponents, 'registrar' | 'connectionManager'> & {
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
}

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
    frameErrors: { 'too-large': 0, truncated: 0, malformed: 0, rejected: 0 },
    sendDrops: { 'queue-full': 0, 'too-large': 0, 'stream-failed': 0, 'not-allowed': 0, fault: 0, stopped: 0 },
    refusedStreams: 0,
    faultDropsIn: 0,
    openStreams: 0,
    queuedFrames: 0,
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
  private readonly channels = new Map<string, PacketChannel>()
  private readonly host: ChannelHost
  private handlers: TransportHandlers | undefined
  private dropRate = 0
  private blocked = new Set<string>()
  private status: Status = { state: 'stopped' }
  private readonly components: StreamTransportComponents

  constructor(components: StreamTransportComponents, init: StreamTransportInit) {
    this.components = components
    const protocols = protocolsFor(init.protocolPrefix ?? PROTOCOL_PREFIX)
    this.packetProtocol = protocols.packet
    this.syncProtocol = protocols.sync
    this.maxPacketBytes = init.maxPacketBytes
    this.maxSyncBytes = init.maxSyncBytes
    this.timeoutMs = init.timeoutMs
    this.allow = init.allow === undefined ? undefined : new Set(init.allow)
    this.log = components.logger.forComponent('murmur:transport')
    this.host = {
      counters: this.counters,
      log: this.log,
      timeoutMs: this.timeoutMs,
      open: (peer, signal) => this.openPacketStream(peer, signal),
      idle: (channel) => {
        if (this.channels.get(channel.id) === channel && channel.queued === 0) this.channels.delete(channel.id)
      },
    }
  }

  /** Registers both protocol handlers. Idempotent. */
  async start(): Promise<void> {
    if (this.status.state === 'started') return
    const { registrar } = this.components
    await registrar.handle(this.packetProtocol, (s, c) => this.onStream(s, c, servePacketStream), {
      maxInboundStreams: MAX_INBOUND_PACKET_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_PACKET_STREAMS,
    })
    try {
      await registrar.handle(this.syncProtocol, (s, c) => this.onStream(s, c, serveSyncStream), {
        maxInboundStreams: MAX_INBOUND_SYNC_STREAMS,
        maxOutboundStreams: MAX_OUTBOUND_SYNC_STREAMS,
      })
    } catch (err) {
      await Promise.resolve(registrar.unhandle(this.packetProtocol)).catch(() => {})
      throw err
    }
    this.status = { state: 'started', shutdown: new AbortController() }
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
    for (const channel of this.channels.values()) channel.close()
    this.channels.clear()
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
    this.handlers = handlers
  }

  /** Best effort: queues the packet for the peer's stream and returns at once. Never throws. */
  send(to: Peer, bytes: Uint8Array): void {
    const drops = this.counters.sendDrops
    if (this.status.state !== 'started') drops.stopped++
    else if (bytes.byteLength > this.maxPacketBytes) drops['too-large']++
    else if (!this.allowed(to.id)) drops['not-allowed']++
    else if (this.blocked.has(to.id) || (this.dropRate > 0 && Math.random() < this.dropRate)) drops.fault++
    else {
      let channel = this.channels.get(to.id)
      if (channel === undefined) {
        channel = new PacketChannel(to, this.host)
        this.channels.set(to.id, channel)
      }
      channel.push(to, bytes)
    }
  }

  /** One push-pull exchange with a member, or with a seed multiaddr (with or without /p2p/). */
  async request(to: Peer | string, bytes: Uint8Array, options: { signal: AbortSignal }): Promise<Uint8Array> {
    this.counters.requestsSent++
    try {
      if (this.status.state !== 'started') throw new TransportStoppedError()
      if (bytes.byteLength > this.maxSyncBytes) {
        throw new MessageTooLargeError(`request of ${bytes.byteLength} bytes exceeds maxSyncBytes ${this.maxSyncBytes}`)
      }
      const signal = AbortSignal.any([options.signal, AbortSignal.timeout(this.timeoutMs), this.status.shutdown.signal])
      const target = typeof to === 'string' ? seedPeerId(to) : to.id
      if (target !== undefined) this.checkReachable(target)
      const connection = await this.connect(to, signal)
      this.checkReachable(connection.remotePeer.toString())
      const stream = await connection.newStream(this.syncProtocol, {
        signal,
        maxOutboundStreams: MAX_OUTBOUND_SYNC_STREAMS,
      })
      return await this.exchange(stream, bytes, signal)
    } catch (err) {
      this.counters.requestsFailed++
      throw err
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
  }

  stats(): TransportStats {
    let openStreams = 0
    let queuedFrames = 0
    for (const channel of this.channels.values()) {
      if (channel.connected) openStreams++
      queuedFrames += channel.queued
    }
    const c = this.counters
    return { ...c, frameErrors: { ...c.frameErrors }, sendDrops: { ...c.sendDrops }, openStreams, queuedFrames }
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

  /** An open connection to the member, else a dial of its announced addresses (with /p2p/). */
  private async connect(to: Peer | string, signal: AbortSignal): Promise<Connection> {
    const { connectionManager } = this.components
    if (typeof to === 'string') return connectionManager.openConnection(multiaddr(to), { signal })
    const peerId = peerIdFromString(to.id)
    const open = connectionManager.getConnections(peerId).find((c) => c.status === 'open' && c.limits === undefined)
    if (open !== undefined) return open
    const addrs = dialAddrs(to)
    return connectionManager.openConnection(addrs.length > 0 ? addrs : peerId, { signal })
  }

  private async openPacketStream(peer: Peer, signal: AbortSignal): Promise<Stream> {
    const connection = await this.connect(peer, signal)
    return connection.newStream(this.packetProtocol, { signal, maxOutboundStreams: MAX_OUTBOUND_PACKET_STREAMS })
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
    const ctx = this.admit(stream, from)
    if (ctx !== undefined) await serve(ctx, stream, from)
  }
}

import type { Connection, Logger, Stream } from '@libp2p/interface'
import type { Peer } from '@murmur/core'
import { encode } from 'it-length-prefixed'
import { SEND_BUFFER_BYTES, SEND_BUFFER_FRAMES } from './constants.ts'
import { TransportStoppedError } from './errors.ts'
import type { TransportStats } from './index.ts'

/** A packet stream and the connection it runs on. */
export interface OpenedStream {
  stream: Stream
  connection: Connection
}

/** What a channel needs from its transport. */
export interface ChannelHost {
  readonly counters: TransportStats
  readonly log: Logger
  /** Bound on waiting for a full write buffer to drain. */
  readonly timeoutMs: number
  /** Bound on opening a stream (a dial and its handshake included). */
  readonly openTimeoutMs: number
  /** Opens a packet-protocol stream to the peer (dialing it when there is no connection). */
  open(peer: Peer, signal: AbortSignal): Promise<OpenedStream>
  /** The channel failed with nothing queued and no stream: the host may forget it. */
  idle(channel: PacketChannel): void
  /** A write did not drain within timeoutMs: the connection under it may be dead. */
  stalled(connection: Connection, err: Error): void
  /** A frame was written on `connection`: the host checks, now and then, that it still moves data. */
  sent(connection: Connection): void
}

/**
 * The outbound half of the packet protocol for one peer: a bounded buffer of frames and one
 * long-lived stream, opened on the first send. Writes are length-prefixed frames. Nothing here
 * throws or blocks the caller: push() enqueues and returns; the flush runs on its own. A stream
 * that fails (dial error, reset, a drain that never comes) is dropped with what was queued, and
 * the next push opens a new one.
 */
export class PacketChannel {
  readonly id: string
  private peer: Peer
  private readonly frames: Uint8Array[] = []
  private bytes = 0
  private stream: Stream | undefined
  private connection: Connection | undefined
  private flushing = false
  private closed = false
  private pendingOpen: Promise<void> | undefined
  private readonly host: ChannelHost

  constructor(peer: Peer, host: ChannelHost) {
    this.host = host
    this.id = peer.id
    this.peer = peer
  }

  /** When push() was last called (Date.now()), for the host's idle and LRU pruning. */
  lastUsed = Date.now()

  get queued(): number {
    return this.frames.length
  }

  get connected(): boolean {
    return this.stream !== undefined
  }

  /** While the stream is being opened (a dial and a handshake included): settles when it is open or failed. */
  get opening(): Promise<void> | undefined {
    return this.pendingOpen
  }

  /** True while frames are being written (or the stream opened). */
  get busy(): boolean {
    return this.flushing
  }

  /** Queues one packet; `peer` refreshes the addresses used for the next dial. */
  push(peer: Peer, frame: Uint8Array): void {
    const { counters } = this.host
    if (this.closed) {
      counters.sendDrops.stopped++
      return
    }
    this.peer = peer
    this.lastUsed = Date.now()
    while (
      this.frames.length > 0 &&
      (this.frames.length >= SEND_BUFFER_FRAMES || this.bytes + frame.byteLength > SEND_BUFFER_BYTES)
    ) {
      this.bytes -= this.frames.shift()!.byteLength
      counters.sendDrops['queue-full']++
    }
    this.frames.push(frame)
    this.bytes += frame.byteLength
    if (!this.flushing) void this.flush()
  }

  /** Drops what is queued and closes the stream (gracefully, bounded; reset on failure). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.host.counters.sendDrops.stopped += this.frames.length
    this.frames.length = 0
    this.bytes = 0
    const stream = this.stream
    this.stream = undefined
    stream?.close({ signal: AbortSignal.timeout(this.host.timeoutMs) }).catch((err: Error) => stream.abort(err))
  }

  /**
   * Drops the stream when it runs on `connection` (found stalled) and nothing is being written:
   * the next push opens one on a fresh connection.
   */
  detach(connection: Connection): void {
    if (this.connection === connection && !this.flushing) this.reset(new Error('the connection stalled'))
  }

  private async flush(): Promise<void> {
    const { counters } = this.host
    this.flushing = true
    let inFlight = 0
    let drain: AbortSignal | undefined
    try {
      while (!this.closed && this.frames.length > 0) {
        const stream = this.stream ?? (await this.connect())
        const frame = this.frames.shift()
        if (frame === undefined || this.closed) break
        this.bytes -= frame.byteLength
        inFlight = 1
        const ready = stream.send(encode.single(frame))
        counters.packetsSent++
        counters.bytesSent += frame.byteLength
        if (this.connection !== undefined) this.host.sent(this.connection)
        if (!ready) {
          drain = AbortSignal.timeout(this.host.timeoutMs)
          await stream.onDrain({ signal: drain })
        }
        inFlight = 0
      }
    } catch (err) {
      counters.sendDrops['stream-failed'] += inFlight + this.frames.length
      this.frames.length = 0
      this.bytes = 0
      this.host.log('packet stream to %s failed - %e', this.id, err)
      // a write that never drained: the connection may be dead while libp2p still calls it open
      const stalled = drain?.aborted === true && !this.closed ? this.connection : undefined
      if (stalled !== undefined) this.host.stalled(stalled, err as Error)
      this.reset(err as Error)
      if (!this.closed) this.host.idle(this)
    } finally {
      this.flushing = false
    }
  }

  private async connect(): Promise<Stream> {
    const open = this.host.open(this.peer, AbortSignal.timeout(this.host.openTimeoutMs))
    const settled = open.then(
      () => {},
      () => {},
    )
    this.pendingOpen = settled
    const { stream, connection } = await open.finally(() => {
      if (this.pendingOpen === settled) this.pendingOpen = undefined
    })
    if (this.closed) {
      const err = new TransportStoppedError()
      stream.abort(err)
      throw err
    }
    stream.addEventListener(
      'close',
      () => {
        if (this.stream === stream) this.stream = undefined
      },
      { once: true },
    )
    this.stream = stream
    this.connection = connection
    return stream
  }

  private reset(err: Error): void {
    const stream = this.stream
    this.stream = undefined
    stream?.abort(err)
  }
}

import type { Logger, Stream } from '@libp2p/interface'
import type { TransportHandlers } from '@murmur/core'
import { anySignal } from 'any-signal'
import { decode } from 'it-length-prefixed'
import { FrameRejectedError, PeerBlockedError, PeerBusyError, SyncBudgetExceededError } from './errors.ts'
import type { TransportStats } from './index.ts'
import { frameError, isContentError, raceSignal, readFrame, writeFrame } from './stream-utils.ts'

/**
 * Bounds on inbound push-pull: streams in progress per remote peer, and the bytes of request
 * frames being buffered at once across all streams (reserved from each frame's length prefix,
 * before its body is read). Shared by every sync stream of one transport.
 */
export class SyncLimits {
  /** Bytes reserved now by frames being read or awaiting the engine. */
  reservedBytes = 0
  private readonly streams = new Map<string, number>()
  readonly budgetBytes: number
  readonly perPeer: number

  constructor(budgetBytes: number, perPeer: number) {
    this.budgetBytes = budgetBytes
    this.perPeer = perPeer
  }

  /** Counts a stream from `peer` in, or returns false when it already has `perPeer`. */
  enter(peer: string): boolean {
    const n = this.streams.get(peer) ?? 0
    if (n >= this.perPeer) return false
    this.streams.set(peer, n + 1)
    return true
  }

  leave(peer: string): void {
    const n = (this.streams.get(peer) ?? 0) - 1
    if (n > 0) this.streams.set(peer, n)
    else this.streams.delete(peer)
  }

  /** Reserves `bytes`, or returns false (reserving nothing) when they do not fit. */
  reserve(bytes: number): boolean {
    if (this.reservedBytes + bytes > this.budgetBytes) return false
    this.reservedBytes += bytes
    return true
  }

  release(bytes: number): void {
    this.reservedBytes -= bytes
  }
}

/** What serving one admitted inbound stream needs from the transport. */
export interface InboundContext {
  readonly counters: TransportStats
  readonly log: Logger
  readonly syncLimits: SyncLimits
  readonly handlers: TransportHandlers
  readonly maxPacketBytes: number
  readonly maxSyncBytes: number
  readonly timeoutMs: number
  /** Aborts when the transport stops. */
  readonly shutdown: AbortSignal
  /** setFaults({ blocked }), read per frame since faults change at run time. */
  isBlocked(id: string): boolean
}

/**
 * The inbound half of the packet protocol: reads frames until the remote closes, handing each
 * to the engine as coming from the authenticated `from`. A framing error or a frame the engine
 * could not decode (its onPacket returned false) resets the stream (counted); a clean end closes
 * our side too.
 */
export async function servePacketStream(ctx: InboundContext, stream: Stream, from: string): Promise<void> {
  const { counters } = ctx
  try {
    for await (const frame of decode(stream, { maxDataLength: ctx.maxPacketBytes })) {
      if (ctx.isBlocked(from)) {
        counters.faultDropsIn++
        continue
      }
      counters.packetsReceived++
      counters.bytesReceived += frame.byteLength
      if (ctx.handlers.onPacket(from, frame.subarray()) === false) {
        counters.frameErrors.rejected++
        throw new FrameRejectedError(`a packet from ${from} did not decode`)
      }
    }
    await stream.close({ signal: AbortSignal.timeout(ctx.timeoutMs) })
  } catch (err) {
    resetInbound(ctx, stream, from, err)
  }
}

/**
 * The serving half of push-pull: one request frame in, the engine's response frame out, then
 * close; bounded by timeoutMs and by the transport stopping. A refusal resets the stream, which
 * the requester sees as an error. Memory is bounded before anything is read: a peer with
 * MAX_SYNC_STREAMS_PER_PEER streams in progress gets this one reset (busyStreams), and the
 * request's announced length is reserved from the shared budget (or the stream is reset, counted
 * as frameErrors.memory) until the engine has consumed the request or the stream ends.
 */
export async function serveSyncStream(ctx: InboundContext, stream: Stream, from: string): Promise<void> {
  const { counters, syncLimits } = ctx
  if (!syncLimits.enter(from)) {
    counters.busyStreams++
    ctx.log('reset a %s stream from %s: %d already in progress', stream.protocol, from, syncLimits.perPeer)
    stream.abort(new PeerBusyError(`${from} already has ${syncLimits.perPeer} push-pull streams in progress`))
    return
  }
  // any-signal: AbortSignal.any would hang a WeakRef on the long-lived shutdown signal (stream-transport verify())
  const signal = anySignal([AbortSignal.timeout(ctx.timeoutMs), ctx.shutdown])
  let reserved = 0
  const reserve = (length: number): void => {
    if (!syncLimits.reserve(length)) {
      throw new SyncBudgetExceededError(
        `a ${length}-byte request does not fit: ${syncLimits.reservedBytes} of ${syncLimits.budgetBytes} bytes reserved`,
      )
    }
    reserved = length
  }
  try {
    if (ctx.isBlocked(from)) {
      counters.faultDropsIn++
      throw new PeerBlockedError(`${from} is blocked by fault injection`)
    }
    const request = await readFrame(stream, ctx.maxSyncBytes, signal, reserve)
    counters.requestsReceived++
    counters.bytesReceived += request.byteLength
    const response = await raceSignal(ctx.handlers.onRequest(from, request), signal).catch((err: unknown) => {
      if (isContentError(err)) counters.frameErrors.rejected++
      throw err
    })
    syncLimits.release(reserved) // the engine has consumed the request
    reserved = 0
    await writeFrame(stream, response, signal)
    counters.bytesSent += response.byteLength
    await stream.close({ signal })
    counters.requestsServed++
  } catch (err) {
    resetInbound(ctx, stream, from, err)
  } finally {
    signal.clear()
    syncLimits.release(reserved)
    syncLimits.leave(from)
  }
}

/** Counts a framing error (the remote's fault) and resets the stream, whatever ended it. */
function resetInbound(ctx: InboundContext, stream: Stream, from: string, err: unknown): void {
  const reason = frameError(err)
  if (reason !== undefined) {
    ctx.counters.frameErrors[reason]++
    ctx.log('reset a %s stream from %s: %s frame - %e', stream.protocol, from, reason, err)
  } else {
    ctx.log.trace('%s stream from %s ended - %e', stream.protocol, from, err)
  }
  stream.abort(err as Error)
}

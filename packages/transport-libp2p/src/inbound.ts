import type { Logger, Stream } from '@libp2p/interface'
import type { TransportHandlers } from '@murmur/core'
import { decode } from 'it-length-prefixed'
import { FrameRejectedError, PeerBlockedError } from './errors.ts'
import type { TransportStats } from './index.ts'
import { frameError, isContentError, raceSignal, readFrame, writeFrame } from './stream-utils.ts'

/** What serving one admitted inbound stream needs from the transport. */
export interface InboundContext {
  readonly counters: TransportStats
  readonly log: Logger
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
 * the requester sees as an error.
 */
export async function serveSyncStream(ctx: InboundContext, stream: Stream, from: string): Promise<void> {
  const { counters } = ctx
  const signal = AbortSignal.any([AbortSignal.timeout(ctx.timeoutMs), ctx.shutdown])
  try {
    if (ctx.isBlocked(from)) {
      counters.faultDropsIn++
      throw new PeerBlockedError(`${from} is blocked by fault injection`)
    }
    const request = await readFrame(stream, ctx.maxSyncBytes, signal)
    counters.requestsReceived++
    counters.bytesReceived += request.byteLength
    const response = await raceSignal(ctx.handlers.onRequest(from, request), signal).catch((err: unknown) => {
      if (isContentError(err)) counters.frameErrors.rejected++
      throw err
    })
    await writeFrame(stream, response, signal)
    counters.bytesSent += response.byteLength
    await stream.close({ signal })
    counters.requestsServed++
  } catch (err) {
    resetInbound(ctx, stream, from, err)
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

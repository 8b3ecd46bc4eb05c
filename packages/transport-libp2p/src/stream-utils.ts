import type { Connection, Stream } from '@libp2p/interface'
import { UnexpectedEOFError } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { type Peer, TimeoutError } from '@murmur/core'
import { decode, encode } from 'it-length-prefixed'
import type { FrameErrorReason } from './index.ts'

/**
 * Classifies a read error as a framing problem of the remote's making, or undefined for the
 * rest (a reset, an abort, a closed connection), which are not the sender's fault to count.
 * Both it-length-prefixed and @libp2p/utils name their errors the same way.
 */
export function frameError(err: unknown): FrameErrorReason | undefined {
  switch ((err as Error | undefined)?.name) {
    case 'SyncBudgetExceededError':
      return 'memory' // the announced length does not fit what is left of the inbound budget
    case 'InvalidDataLengthError':
      return 'too-large' // the length prefix announces more than the protocol's maximum
    case 'UnexpectedEOFError':
      return 'truncated' // the stream ended inside a frame (or before the request frame)
    case 'InvalidDataLengthLengthError':
    case 'InvalidMessageLengthError':
      return 'malformed' // the length prefix itself is not a valid varint
    default:
      return undefined
  }
}

/** True for the engine's refusals of content (bytes that do not decode or exceed a bound). */
export function isContentError(err: unknown): boolean {
  const name = (err as Error | undefined)?.name
  return name === 'DecodeError' || name === 'MessageTooLargeError'
}

/**
 * The multiaddrs to dial a member at, each ending in `/p2p/<id>` so that Noise authenticates the
 * member. Addresses that do not parse, or that name another peer last, are skipped.
 */
export function dialAddrs(peer: Peer): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const addr of peer.addrs) {
    let ma: Multiaddr
    try {
      ma = multiaddr(addr)
    } catch {
      continue
    }
    const last = ma.getComponents().findLast((c) => c.name === 'p2p')
    if (last === undefined) out.push(ma.encapsulate(`/p2p/${peer.id}`))
    else if (last.value === peer.id) out.push(ma)
  }
  return out
}

/** The peer id a seed multiaddr names (its last `/p2p/` component), if any. */
export function seedPeerId(addr: string): string | undefined {
  try {
    return multiaddr(addr)
      .getComponents()
      .findLast((c) => c.name === 'p2p')?.value
  } catch {
    return undefined
  }
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/**
 * Reads one length-prefixed frame. it-length-prefixed's decoder bounds the varint itself (at
 * most 8 bytes), where lpStream would keep reading an endless run of 0xff until the timeout.
 * Throws UnexpectedEOFError when the stream ends before a whole frame. `onLength` sees the
 * announced length (already checked against maxDataLength) before the body is read; what it
 * throws ends the read.
 */
export async function readFrame(
  stream: Stream,
  maxDataLength: number,
  signal: AbortSignal,
  onLength?: (length: number) => void,
): Promise<Uint8Array> {
  const frames = decode(stream, { maxDataLength, onLength })
  try {
    const next = await raceSignal(frames.next(), signal)
    if (next.done === true) throw new UnexpectedEOFError('the stream ended before a whole frame')
    return next.value.subarray()
  } finally {
    // detach from the stream; a pending read ends when the caller closes or aborts it
    frames.return().catch(() => {})
  }
}

/** Writes one length-prefixed frame, waiting (bounded by `signal`) when the write buffer is full. */
export async function writeFrame(stream: Stream, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(encode.single(bytes))) await stream.onDrain({ signal })
}

/** A muxer-level ping: resolves with the round trip in ms once the remote answered. */
export type MuxerPing = (options: { signal: AbortSignal }) => Promise<number>

/**
 * The ping of the connection's stream muxer, when it has one (yamux does: a 12-byte frame on
 * stream 0, answered by the remote's muxer). libp2p 3's Connection keeps its muxer in a field
 * that is not part of the Connection interface, so this looks for it structurally and returns
 * undefined for anything else (the caller then relies on request timeouts alone). A QUIC
 * connection's muxer has no ping: QUIC checks liveness itself (a keep-alive PING on an idle
 * connection, closed after maxIdleTimeout without a packet from the peer; quic.ts).
 */
export function muxerPing(connection: Connection): MuxerPing | undefined {
  const muxer = (connection as { muxer?: { ping?: unknown } }).muxer
  if (muxer === undefined || typeof muxer.ping !== 'function') return undefined
  const ping = muxer.ping as (options: { signal: AbortSignal }) => Promise<number>
  return (options) => ping.call(muxer, options)
}

/** A signal that aborts after `ms` or with `parent`; `clear()` when done releases both. */
export interface Deadline {
  readonly signal: AbortSignal
  clear(): void
}

/**
 * The signal of an operation bounded by `ms` and by a long-lived `parent` (the transport's
 * shutdown), for hot paths. Not AbortSignal.timeout with AbortSignal.any: Node registers each
 * timeout signal in a FinalizationRegistry and hangs a WeakRef per combined signal on its sources,
 * released only after a major GC and a finalizer (nodejs/node#54614). At a stall ping per
 * connection per second, a soak's heap snapshots gained ~1000 Timeouts, WeakRefs and WeakCells
 * in 7 minutes that only those GCs return. A plain timer and listener leave nothing behind.
 */
export function deadline(ms: number, parent: AbortSignal, what: string): Deadline {
  const controller = new AbortController()
  const onParent = () => controller.abort(parent.reason)
  if (parent.aborted) onParent()
  else parent.addEventListener('abort', onParent, { once: true })
  const timer = setTimeout(() => controller.abort(new TimeoutError(`${what} took over ${ms} ms`)), ms)
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer)
      parent.removeEventListener('abort', onParent)
    },
  }
}

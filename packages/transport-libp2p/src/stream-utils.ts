import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { Peer } from '@murmur/core'
import type { FrameErrorReason } from './index.ts'

/**
 * Classifies a read error as a framing problem of the remote's making, or undefined for the
 * rest (a reset, an abort, a closed connection), which are not the sender's fault to count.
 * Both it-length-prefixed and @libp2p/utils name their errors the same way.
 */
export function frameError(err: unknown): FrameErrorReason | undefined {
  switch ((err as Error | undefined)?.name) {
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

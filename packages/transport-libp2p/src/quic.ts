/**
 * QUIC (@chainsafe/libp2p-quic: quinn, in Rust, through a native Node module) as an optional
 * transport of createMurmurNode. QUIC runs over UDP with its own TLS 1.3 and its own streams, so
 * the Noise and Yamux upgrade does not apply to it, and a lost packet holds up only the stream it
 * carried, not every stream of the connection as one TCP byte stream does.
 *
 * The native module is loaded on demand, by a dynamic import, for a node that has a QUIC address
 * (`/ip4/.../udp/N/quic-v1`) to listen on or join through, or that asks for it (`quic: true`).
 * Its loader throws at import on a platform without a prebuilt binary; then the node starts
 * without QUIC: its QUIC listen addresses are dropped with a warning (process.emitWarning, code
 * MURMUR_QUIC_UNAVAILABLE), and only a node left with nothing to listen on fails
 * (QuicUnavailableError). A node that never asks for QUIC does not load it at all.
 *
 * Node only: the browser entry (browser.ts) does not import this module.
 */
import type { QuicComponents, QuicOptions } from '@chainsafe/libp2p-quic'
import type { Transport } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from '@murmur/core'
import { QuicUnavailableError } from './errors.ts'

/** The transport factory libp2p takes in `transports`. */
export type QuicFactory = (components: QuicComponents) => Transport

/** What loading the native module gave: the factory, or why there is none. */
export type QuicLoad = { quic: (options?: Partial<QuicOptions>) => QuicFactory } | { error: Error }

/**
 * QUIC settings for membership traffic (the package's defaults otherwise: 256 streams, 10 MB
 * stream and 15 MB connection windows, 500 kB socket buffers).
 *
 * - keepAliveInterval 5 s, maxIdleTimeout 10 s (the package's): QUIC's own liveness check. A
 *   connection whose peer sends nothing for 10 s (a crash, a cut) is closed by QUIC itself, where
 *   a TCP connection is checked by Yamux pings (stream-transport.ts verify) that QUIC's muxer does
 *   not have; the keep-alive PING keeps a live but idle connection open. Without it (10 agents,
 *   lan, docs/bench/issue-12) packets stayed at 6.0 per agent per second and bytes rose by 29%:
 *   idle connections closed and were dialled again.
 */
export const QUIC_OPTIONS: Partial<QuicOptions> = {
  keepAliveInterval: 5_000,
  maxIdleTimeout: 10_000,
}

/** True for a QUIC multiaddr (one with a `/quic-v1` component); false for anything else, unparsable included. */
export function isQuicAddr(addr: string): boolean {
  try {
    return multiaddr(addr)
      .getComponents()
      .some((c) => c.name === 'quic-v1')
  } catch {
    return false
  }
}

let loading: Promise<QuicLoad> | undefined

/** Imports @chainsafe/libp2p-quic once per process; never rejects (a failed load is its `error`). */
export function loadQuic(): Promise<QuicLoad> {
  loading ??= import('@chainsafe/libp2p-quic').then(
    (m): QuicLoad => ({ quic: m.quic }),
    (err: unknown): QuicLoad => ({ error: err instanceof Error ? err : new Error(String(err)) }),
  )
  return loading
}

/** What createNode knows when it decides on QUIC. */
export interface QuicWanted {
  listen: string[]
  join: string[]
  /** CreateMurmurNodeOptions.quic */
  want: boolean | undefined
  /** The node is in a private network (a pre-shared key). */
  psk: boolean
  /**
   * The membership transport's stall timeout, which bounds one dial attempt (stream-transport.ts
   * dial). The QUIC dial does not heed the attempt's AbortSignal, and libp2p joins a new dial to
   * one still pending to the same peer, so without this a dial begun during a cut held up the
   * next ones for the package's 5 s handshake timeout: one silent 60 s cut of 10 agents (lan,
   * docs/bench/issue-12) took 4.0 s after the heal to a first contact, against TCP's 0.1 s.
   */
  handshakeTimeoutMs: number
}

/** The transports and listen addresses a node starts with, QUIC decided. */
export interface QuicPlan {
  /** The QUIC transport, when the node uses it. */
  transport?: QuicFactory
  /** The listen addresses, without the QUIC ones when QUIC could not be loaded. */
  listen: string[]
  /** The warning given when QUIC was asked for and could not be loaded. */
  warning?: string
}

/**
 * Decides whether a node gets QUIC: when `want` says so, else when a listen or join address is
 * QUIC. `load` is loadQuic (tests pass a failing one). Throws QuicUnavailableError when QUIC is
 * needed, cannot be loaded, and no listen address is left without it; InvalidArgumentError when
 * QUIC is asked of a private network: libp2p skips the connection protector (pnet) on QUIC
 * connections, which would admit peers without the key, so such a node never loads QUIC.
 */
export async function planQuic(w: QuicWanted, load: () => Promise<QuicLoad> = loadQuic): Promise<QuicPlan> {
  const quicListen = w.listen.filter(isQuicAddr)
  const asked = w.want === true || quicListen.length > 0
  if (w.want === false && quicListen.length > 0) {
    throw new QuicUnavailableError(`quic: false, but asked to listen on ${quicListen[0]}`)
  }
  if (w.psk && asked) {
    throw new InvalidArgumentError(
      'QUIC cannot carry a private network: libp2p applies the pre-shared key (pnet) to TCP connections only',
    )
  }
  if (!asked && (w.want === false || w.psk || !w.join.some(isQuicAddr))) return { listen: w.listen }
  const loaded = await load()
  if ('quic' in loaded) {
    return { transport: loaded.quic({ ...QUIC_OPTIONS, handshakeTimeout: w.handshakeTimeoutMs }), listen: w.listen }
  }
  const rest = w.listen.filter((a) => !isQuicAddr(a))
  const why = `QUIC is not available here (@chainsafe/libp2p-quic: ${loaded.error.message.split('\n')[0]})`
  if (quicListen.length > 0 && rest.length === 0) {
    throw new QuicUnavailableError(`${why}; cannot listen on ${quicListen.join(', ')}: listen on TCP instead`)
  }
  const dropped = quicListen.length > 0 ? `; not listening on ${quicListen.join(', ')}` : ''
  return { listen: rest, warning: `${why}${dropped}; QUIC members are reached only over their other addresses` }
}

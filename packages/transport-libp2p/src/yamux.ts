/**
 * Yamux for small messages: @chainsafe/libp2p-yamux (8.x) sends a window update after every
 * data frame it receives, so each membership packet draws a 12-byte frame back (30 bytes once
 * Noise frames it, often a TCP segment of its own). HashiCorp's yamux, which the protocol comes
 * from, sends one only once the window to give back is at least half the window, or with a
 * flag (SYN/ACK) to carry: frugalYamux() makes the JS muxer's streams do the same. A sender's
 * window never runs below half of it, so bulk transfers (push-pull) are not slowed; the
 * window still grows as before (that happens on the updates that are sent).
 *
 * Its keep-alive ping (every 30 s on every connection) is off by default here: the membership
 * service probes every member itself and pings a connection before it trusts one it has not
 * heard from (stream-transport.ts), and an idle connection is closed by TCP's inactivity timeout.
 */
import { type YamuxMuxerInit, yamux } from '@chainsafe/libp2p-yamux'
import { StreamState } from '@chainsafe/libp2p-yamux/stream'
import type { StreamMuxerFactory } from '@libp2p/interface'
import { overriding } from './coalesce.ts'

/** The parts of a YamuxStream this relies on (private in its typings). */
interface WindowedStream {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate(): void
}

interface StreamCreator {
  _newStream(...args: unknown[]): WindowedStream
}

/** yamux() whose streams send window updates only when half the window is to be given back. */
export function frugalYamux(init: YamuxMuxerInit = {}): () => StreamMuxerFactory {
  const factory = yamux({ enableKeepAlive: false, ...init })
  return () => {
    const muxerFactory = factory()
    return overriding(muxerFactory, {
      createStreamMuxer: (...args: Parameters<StreamMuxerFactory['createStreamMuxer']>) => {
        const muxer = muxerFactory.createStreamMuxer(...args)
        const creator = muxer as unknown as StreamCreator
        if (typeof creator._newStream === 'function') {
          const newStream = creator._newStream
          creator._newStream = function (this: unknown, ...streamArgs: unknown[]) {
            return lazyWindowUpdates(newStream.apply(this, streamArgs))
          }
        }
        return muxer
      },
    })
  }
}

/** Patches `stream` (in place) to skip window updates that give back less than half the window. */
export function lazyWindowUpdates<S extends WindowedStream>(stream: S): S {
  if (typeof stream.sendWindowUpdate !== 'function' || typeof stream.recvWindow !== 'number') return stream
  const send = stream.sendWindowUpdate
  stream.sendWindowUpdate = function (this: S) {
    // only an established stream has no flag to carry (SYN on Init, ACK on SYNReceived); a paused
    // one keeps the original's bookkeeping
    const small = this.recvWindow - this.recvWindowCapacity < this.recvWindow / 2
    if (this.state === StreamState.Established && small) return
    send.call(this)
  }
  return stream
}

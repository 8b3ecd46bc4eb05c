/**
 * Fewer TCP packets for the same bytes: libp2p writes each layer's frame to the socket on its
 * own. One membership packet on a Yamux stream over Noise is four writes (Noise's 2-byte length
 * and the sealed 12-byte Yamux header, then the length and the sealed payload), and with
 * TCP_NODELAY (libp2p's default, which probes want: Nagle with delayed acks would add up to
 * 40-200 ms to a round trip) each write leaves as a segment of its own, 52+ bytes of IP and TCP
 * headers apiece, plus the acks they draw.
 *
 * coalescingTcp() is libp2p's TCP transport whose connections cork their socket on the first
 * write of an event-loop turn and uncork it in that turn's check phase (setImmediate), so
 * everything written in between leaves in one writev: one segment where it fits. That includes
 * what one arriving segment provokes: Yamux's pong, written while the frame is parsed, and the
 * engine's reply, written a few microtasks and ticks later. The delay is what is left of the
 * turn, no timer. Backpressure is unchanged (a corked socket's write() still answers false past
 * its highWaterMark, and drains after the uncork).
 *
 * Use it in place of tcp() in a libp2p node that runs the membership service:
 *
 *   createLibp2p({ transports: [coalescingTcp()], ... })
 */
import { Socket } from 'node:net'
import type { MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'
import { type TCPComponents, type TCPOptions, tcp } from '@libp2p/tcp'

/** libp2p's TCP transport with coalesced writes (see the module comment). */
export function coalescingTcp(init?: TCPOptions): (components: TCPComponents) => Transport {
  const factory = tcp(init)
  return (components) => coalesceWrites(factory(components))
}

/**
 * `transport`, with every connection it dials or accepts coalescing its writes when it runs over
 * a Node socket (others are left as they are).
 */
export function coalesceWrites(transport: Transport): Transport {
  return overriding(transport, {
    dial: (ma, options) => transport.dial(ma, { ...options, upgrader: corkingUpgrader(options.upgrader) }),
    createListener: (options) => transport.createListener({ ...options, upgrader: corkingUpgrader(options.upgrader) }),
  })
}

function corkingUpgrader(upgrader: Upgrader): Upgrader {
  return overriding(upgrader, {
    upgradeOutbound: (maConn, options) => upgrader.upgradeOutbound(corkWrites(maConn), options),
    upgradeInbound: (maConn, options) => upgrader.upgradeInbound(corkWrites(maConn), options),
  })
}

/**
 * `target` with some of its methods replaced: every other property reads through to it, methods
 * bound to it (libp2p's components are class instances whose symbols and private fields must
 * stay theirs, so a wrapper object would not do).
 */
export function overriding<T extends object>(target: T, methods: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(methods, prop)) return methods[prop as keyof T]
      const value: unknown = Reflect.get(t, prop, t)
      return typeof value === 'function' ? value.bind(t) : value
    },
  })
}

/** The part of @libp2p/tcp's connection this relies on: its socket and the one method that writes to it. */
interface SocketConnection {
  socket?: unknown
  sendData?: (data: unknown) => unknown
}

/** Patches `maConn` (in place) to cork its socket for the rest of the event-loop turn at its first write. */
export function corkWrites(maConn: MultiaddrConnection): MultiaddrConnection {
  const conn = maConn as unknown as SocketConnection
  const socket = conn.socket
  const sendData = conn.sendData
  if (!(socket instanceof Socket) || typeof sendData !== 'function') return maConn
  let corked = false
  const uncork = (): void => {
    corked = false
    socket.uncork()
  }
  conn.sendData = (data: unknown) => {
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      setImmediate(uncork)
    }
    return sendData.call(maConn, data)
  }
  return maConn
}

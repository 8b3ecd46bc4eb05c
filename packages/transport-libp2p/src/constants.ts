/** Default protocol prefix; the service speaks `${prefix}/packet/1.0.0` and `${prefix}/sync/1.0.0`. */
export const PROTOCOL_PREFIX = '/murmur'

/** Best-effort packets (probes, acks, gossip): length-prefixed frames on a long-lived stream per peer. */
export const PACKET_PROTOCOL = `${PROTOCOL_PREFIX}/packet/1.0.0`

/** Push-pull anti-entropy: one length-prefixed request and one response on a fresh stream. */
export const SYNC_PROTOCOL = `${PROTOCOL_PREFIX}/sync/1.0.0`

/** The two protocol ids for a prefix. */
export function protocolsFor(prefix: string): { packet: string; sync: string } {
  return { packet: `${prefix}/packet/1.0.0`, sync: `${prefix}/sync/1.0.0` }
}

/**
 * Packet streams a peer may have open to us per connection. One is the norm (each side keeps one
 * outbound stream per peer); the slack covers a failed stream whose reset has not reached us yet.
 */
export const MAX_INBOUND_PACKET_STREAMS = 4
/** We replace a failed packet stream only after dropping it, so one is the norm here too. */
export const MAX_OUTBOUND_PACKET_STREAMS = 4
/**
 * Push-pull streams per connection. The engine serves at most maxConcurrentPushPull (default 4)
 * at once anyway, and runs one periodic push-pull plus joins.
 */
export const MAX_INBOUND_SYNC_STREAMS = 4
export const MAX_OUTBOUND_SYNC_STREAMS = 8

/**
 * Per-peer send buffer: frames waiting while the stream opens or drains. Best effort, so the
 * oldest frame is dropped (and counted) when either bound is reached: a probe older than a few
 * periods is worthless, and memory per peer stays bounded.
 */
export const SEND_BUFFER_FRAMES = 64
export const SEND_BUFFER_BYTES = 256 * 1024

/** Public keys cached by the signature verifier (one per member id seen). */
export const MAX_CACHED_KEYS = 4096

/**
 * Before libp2p closes the connections on stop, the service waits this long at most for queued
 * packets to be written (a leave announced just before stopping must not die in a buffer).
 */
export const STOP_DRAIN_MS = 1000
/** How often that wait looks at the send buffers. */
export const DRAIN_POLL_MS = 10

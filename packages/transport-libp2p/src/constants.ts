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
 * Inbound push-pull streams in progress at once from one remote peer, across all its
 * connections; more are reset and counted (`busyStreams`). An honest peer runs one periodic sync
 * at a time, whose exchanges follow one another on fresh streams (the next can arrive before we
 * have finished closing the last), and a join can overlap it: two. One key then holds at most
 * 2 x maxSyncBytes of the budget below.
 */
export const MAX_SYNC_STREAMS_PER_PEER = 2

/**
 * The total budget for inbound push-pull frames being buffered at once, across every stream and
 * peer, in full-size frames: SYNC_BUFFER_FRAMES x maxSyncBytes (32 MiB by default). A frame's
 * announced length is reserved from it before its body is read; a frame that does not fit is
 * refused (the stream reset, counted as frameErrors.memory) and the reservation is released once
 * the engine has consumed the request or the stream dies. Four, because the engine serves at
 * most maxConcurrentPushPull (4 by default) requests at once: buffering more full-size requests
 * than it will serve only holds memory. Honest digests and the full state of a small cluster
 * are a few KiB, so the budget bites only on frames announcing megabytes.
 */
export const SYNC_BUFFER_FRAMES = 4

/**
 * Per-peer send channels (PacketChannel) kept at most; past it, the least recently used is
 * closed (counted in channelsPruned.lru). Channels are opened for whoever the engine sends to,
 * which includes ping-req targets named by others: without a bound, a flood naming fake targets
 * would grow the map. 4096 is far above any cluster a node probes directly and ~1 MiB of
 * bookkeeping (frames queued are bounded separately by SEND_BUFFER_*).
 */
export const MAX_CHANNELS = 4096

/**
 * A channel that has sent nothing for this long is closed (counted in channelsPruned.idle): a
 * member we still probe sends and receives every few probe periods, so an idle channel is one to
 * a member that is gone or to a target named once. Twice the longest default requestTimeoutMs
 * (the 'wan' profile's 30 s), so a live member is not churned; the next send reopens it.
 */
export const CHANNEL_IDLE_MS = 60_000
/** How often the idle channels are looked for (one pass over the map). */
export const CHANNEL_SWEEP_MS = 10_000

/**
 * Per-peer send buffer: frames waiting while the stream opens or drains. Best effort, so the
 * oldest frame is dropped (and counted) when either bound is reached: a probe older than a few
 * periods is worthless, and memory per peer stays bounded.
 */
export const SEND_BUFFER_FRAMES = 64
export const SEND_BUFFER_BYTES = 256 * 1024

/**
 * Stall timeout (StreamTransportInit.stallTimeoutMs), by default max(MIN_STALL_TIMEOUT_MS,
 * timeoutMs / STALL_TIMEOUT_DIVISOR): 2 s for the 'lan' profile's 10 s request timeout, 1 s for
 * 'local', 6 s for 'wan'. A connection in use must answer a yamux ping within it, or it is aborted:
 * a cut that drops packets silently leaves TCP retransmitting on exponential backoff (RTO 0.2 s
 * doubling: by 60 s into a cut the next retransmission is ~50 s away), with libp2p still calling
 * the connection open. It also bounds one dial attempt, since a lost SYN is only re-sent after
 * 1, 3, 7, 15 s. Not the probe timeout itself: a pong comes from the remote's event loop, which on
 * a loaded host stalls for up to ~0.4 s, and a wrongly aborted connection costs more than a
 * missed probe (everything queued on it is lost).
 */
export const MIN_STALL_TIMEOUT_MS = 1000
export const STALL_TIMEOUT_DIVISOR = 5

/**
 * A packet stream's open (a dial and a handshake, when there is no connection) is bounded by the
 * request timeout, but never by less than this. The 'local' profile's request timeout (1 s) is
 * shorter than a handshake takes on a host starved of CPU (a start storm of 50 agents on 2 cores:
 * 730 ms on average, seconds at the tail), and an open cut short wastes the handshake's CPU
 * only to start another one on the next packet. Frames wait in the bounded send buffer meanwhile.
 */
export const MIN_PACKET_OPEN_MS = 5000

/** The stall timeout for a request timeout of `timeoutMs`: max(MIN_STALL_TIMEOUT_MS, timeoutMs / STALL_TIMEOUT_DIVISOR). */
export function stallTimeoutFor(timeoutMs: number): number {
  return Math.max(MIN_STALL_TIMEOUT_MS, timeoutMs / STALL_TIMEOUT_DIVISOR)
}

/** Public keys cached by the signature verifier (one per member id seen). */
export const MAX_CACHED_KEYS = 4096

/**
 * Before libp2p closes the connections on stop, the service waits this long at most for queued
 * packets to be written (a leave announced just before stopping must not die in a buffer).
 */
export const STOP_DRAIN_MS = 1000
/** How often that wait looks at the send buffers. */
export const DRAIN_POLL_MS = 10

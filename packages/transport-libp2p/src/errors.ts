/** Errors raised by the libp2p transport. The engine's own errors come from `@murmur/core`. */

/** The remote peer is not on the allow-list (or a request targets one that is not). */
export class PeerNotAllowedError extends Error {
  readonly code = 'ERR_PEER_NOT_ALLOWED'
  constructor(message = 'peer is not on the allow-list') {
    super(message)
    this.name = 'PeerNotAllowedError'
  }
}

/** The peer is blocked by test-only fault injection (`setFaults({ blocked })`). */
export class PeerBlockedError extends Error {
  readonly code = 'ERR_PEER_BLOCKED'
  constructor(message = 'peer is blocked by fault injection') {
    super(message)
    this.name = 'PeerBlockedError'
  }
}

/** A frame that the engine could not decode or refused; the stream that carried it is reset. */
export class FrameRejectedError extends Error {
  readonly code = 'ERR_FRAME_REJECTED'
  constructor(message = 'frame rejected') {
    super(message)
    this.name = 'FrameRejectedError'
  }
}

/** The transport is not started (or was stopped while the operation ran). */
export class TransportStoppedError extends Error {
  readonly code = 'ERR_TRANSPORT_STOPPED'
  constructor(message = 'the membership transport is stopped') {
    super(message)
    this.name = 'TransportStoppedError'
  }
}

/**
 * An inbound push-pull frame announced more bytes than are left of the transport's budget for
 * frames being buffered (SYNC_BUFFER_FRAMES x maxSyncBytes); refused before its body is read.
 */
export class SyncBudgetExceededError extends Error {
  readonly code = 'ERR_SYNC_BUDGET_EXCEEDED'
  constructor(message = 'the inbound push-pull buffer budget is exhausted') {
    super(message)
    this.name = 'SyncBudgetExceededError'
  }
}

/** The remote peer already has MAX_SYNC_STREAMS_PER_PEER push-pull streams in progress with us. */
export class PeerBusyError extends Error {
  readonly code = 'ERR_PEER_BUSY'
  constructor(message = 'too many push-pull streams in progress from this peer') {
    super(message)
    this.name = 'PeerBusyError'
  }
}

/**
 * A connection did not answer a yamux ping within the stall timeout: it no longer moves data (a
 * silent cut leaves TCP retransmitting, with libp2p still calling the connection open). It is
 * aborted, and the next send or request dials afresh.
 */
export class StalledConnectionError extends Error {
  readonly code = 'ERR_STALLED_CONNECTION'
  constructor(message = 'the connection answered no ping within the stall timeout') {
    super(message)
    this.name = 'StalledConnectionError'
  }
}

/**
 * A node was asked to listen on QUIC only, and QUIC is not available: the native module of
 * @chainsafe/libp2p-quic did not load on this platform (or `quic: false` was given). A node with
 * another listen address starts without QUIC instead, with a warning.
 */
export class QuicUnavailableError extends Error {
  readonly code = 'ERR_QUIC_UNAVAILABLE'
  constructor(message = 'QUIC is not available on this platform') {
    super(message)
    this.name = 'QuicUnavailableError'
  }
}

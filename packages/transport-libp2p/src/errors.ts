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

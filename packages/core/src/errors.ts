/** Errors the caller can act on. Protocol outcomes (suspicion, death) are events, never errors. */

/** The configuration has one or more problems; `problems` lists every one of them. */
export class InvalidConfigError extends Error {
  readonly code = 'ERR_INVALID_CONFIG'
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`invalid membership config:\n  - ${problems.join('\n  - ')}`)
    this.name = 'InvalidConfigError'
    this.problems = problems
  }
}

/** A method that needs a running engine was called before start() or after stop(). */
export class NotStartedError extends Error {
  readonly code = 'ERR_NOT_STARTED'
  constructor(message = 'the membership engine is not started; call start() first') {
    super(message)
    this.name = 'NotStartedError'
  }
}

/** No seed answered a join. `errors` holds one error per seed tried. */
export class JoinFailedError extends Error {
  readonly code = 'ERR_JOIN_FAILED'
  readonly errors: Error[]
  constructor(message: string, errors: Error[]) {
    super(message)
    this.name = 'JoinFailedError'
    this.errors = errors
  }
}

/** Bytes that are not a valid message of the expected version. */
export class DecodeError extends Error {
  readonly code = 'ERR_DECODE'
  readonly reason: string
  constructor(message: string, reason = 'malformed') {
    super(message)
    this.name = 'DecodeError'
    this.reason = reason
  }
}

/** A message, frame or field larger than its configured bound. */
export class MessageTooLargeError extends Error {
  readonly code = 'ERR_MESSAGE_TOO_LARGE'
  constructor(message = 'message too large') {
    super(message)
    this.name = 'MessageTooLargeError'
  }
}

/** An argument out of its allowed range (metadata too large, empty event name, ...). */
export class InvalidArgumentError extends Error {
  readonly code = 'ERR_INVALID_ARGUMENT'
  constructor(message: string) {
    super(message)
    this.name = 'InvalidArgumentError'
  }
}

/** A push-pull message in a mode that does not fit where it came (an answer as a request, or the reverse). */
export class UnexpectedSyncModeError extends DecodeError {
  /** The mode the message carried. */
  readonly mode: number
  constructor(message: string, mode: number) {
    super(message, 'malformed')
    this.mode = mode
  }
}

/** Why a push-pull request was refused without being served. */
export type SyncRefusal = 'busy'

/** A push-pull request we refused (too many in progress); counted, and the requester sees an error. */
export class SyncRefusedError extends Error {
  readonly code = 'ERR_SYNC_REFUSED'
  readonly reason: SyncRefusal
  constructor(message: string, reason: SyncRefusal) {
    super(message)
    this.name = 'SyncRefusedError'
    this.reason = reason
  }
}

/** query() refused: maxQueriesInFlight queries of ours are already waiting for answers. */
export class TooManyQueriesError extends Error {
  readonly code = 'ERR_TOO_MANY_QUERIES'
  constructor(message = 'too many queries in flight') {
    super(message)
    this.name = 'TooManyQueriesError'
  }
}

/** No member with this id is in the table (never seen, or already reaped). */
export class UnknownMemberError extends Error {
  readonly code = 'ERR_UNKNOWN_MEMBER'
  constructor(message = 'no such member') {
    super(message)
    this.name = 'UnknownMemberError'
  }
}

/** forceLeave() refused: the member is alive or suspect here, and only a dead or left member can be forgotten. */
export class MemberNotDeadError extends Error {
  readonly code = 'ERR_MEMBER_NOT_DEAD'
  constructor(message = 'the member is not dead') {
    super(message)
    this.name = 'MemberNotDeadError'
  }
}

/** ping() got no ack within its timeout. */
export class TimeoutError extends Error {
  readonly code = 'ERR_TIMEOUT'
  constructor(message = 'timed out') {
    super(message)
    this.name = 'TimeoutError'
  }
}

/** ping() refused: MAX_PENDING_PINGS pings of ours are already waiting for their ack. */
export class TooManyPingsError extends Error {
  readonly code = 'ERR_TOO_MANY_PINGS'
  constructor(message = 'too many pings in flight') {
    super(message)
    this.name = 'TooManyPingsError'
  }
}

/**
 * @murmur/core: the SWIM + Lifeguard membership protocol as a deterministic state machine.
 * It does no I/O: hand it a Transport, a Clock and a Random.
 *
 * @example
 * ```ts
 * import { Membership } from '@murmur/core'
 * import { SimNetwork } from '@murmur/core/testing'
 *
 * const net = new SimNetwork({ seed: 42, config: { profile: 'local' } })
 * const a = net.addNode('a')
 * const b = net.addNode('b')
 * a.addEventListener('member:join', (e) => console.log('joined:', e.detail.id))
 * await a.start(); await b.start()
 * const joined = b.join(['a'])
 * await net.clock.run(100) // virtual time: the push-pull resolves as it advances
 * await joined
 * console.log(a.fingerprint() === b.fingerprint()) // the same view on both nodes
 * ```
 * @packageDocumentation
 */

export { CLAIM_LIMITS, fitAddresses } from './claim-limits.ts'
export { type Clock, systemClock, type TimerId } from './clock.ts'
/** A claim, as `restore()` takes it; build and encode claims with `@murmur/core/wire`. */
export type { Update, UserEvent } from './codec/index.ts'
export {
  type ConfigInput,
  DEFAULTS,
  PRESETS,
  PROFILES,
  type Profile,
  type ResolvedConfig,
  resolveConfig,
  type SwimConfig,
  validateConfig,
} from './config.ts'
export { type Coordinate, estimateRttMs, VIVALDI, VivaldiClient, validCoordinate } from './coordinate.ts'
export { retransmitLimit } from './dissemination.ts'
export {
  DecodeError,
  InvalidArgumentError,
  InvalidConfigError,
  JoinFailedError,
  MemberNotDeadError,
  MessageTooLargeError,
  NotStartedError,
  type SyncRefusal,
  SyncRefusedError,
  TimeoutError,
  TooManyPingsError,
  TooManyQueriesError,
  UnexpectedSyncModeError,
  UnknownMemberError,
} from './errors.ts'
export {
  MEMBER_EVENT_NAMES,
  type MemberEventName,
  type MembershipEvents,
  type ProbeResult,
  type UserEventInfo,
} from './events.ts'
export { FORCE_LEAVE_EVENT, FORCE_LEAVES_PER_ORIGIN_PER_SECOND, MAX_FORGOTTEN } from './force-leave.ts'
export {
  type Claim,
  type Explanation,
  type FailedProbe,
  type Member,
  type MemberState,
  STATE_RANK,
  supersedes,
} from './member.ts'
export { Membership, type MembershipInit } from './membership.ts'
export { DROP_REASONS, type DropReason, type Logger, type MembershipStats } from './metrics.ts'
export { MAX_PENDING_PINGS } from './probe.ts'
export { pushPullScale, SyncMode, type SyncRequestOptions } from './push-pull.ts'
export { QUERIES_PER_ORIGIN_PER_SECOND } from './queries.ts'
export { compileFilter, MAX_TAG_FILTER_CHARS, type QueryFilter } from './query-filter.ts'
export {
  MAX_RELAY_FACTOR,
  type QueryAnswer,
  type QueryHandler,
  type QueryInfo,
  type QueryOptions,
  type QueryResult,
  QueryStream,
} from './query-stream.ts'
export { mathRandom, type Random, randomInt, sampleK, seededRandom, shuffle } from './random.ts'
export { fnvDigest, type Hasher, MAX_REPORT_FETCHES_PER_PEER } from './reports.ts'
export { suspicionDuration, suspicionTimeout } from './suspicion.ts'
export { type Peer, type Signer, type Transport, type TransportHandlers, unsigned, type Verifier } from './transport.ts'

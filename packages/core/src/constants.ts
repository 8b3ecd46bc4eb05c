/** The wire version in every packet and push-pull message. Bump on an incompatible change. */
export const PROTOCOL_VERSION = 1

/** The cluster name when none is configured (see SwimConfig.cluster). */
export const DEFAULT_CLUSTER = 'default'

/** Domain separation for signatures, so a signed claim can never be replayed as anything else. */
export const SIGNING_DOMAIN = {
  update: 'murmur/update/v1\n',
  event: 'murmur/event/v1\n',
  query: 'murmur/query/v1\n',
  queryResponse: 'murmur/query-response/v1\n',
} as const

/** Hard bounds on repeated fields; each bound names where it comes from. */
export const DECODE_LIMITS = {
  /** A 64 KiB packet cannot hold more updates than this (the smallest update is ~40 bytes). */
  updatesPerPacket: 2048,
  /** Same reasoning for user events. */
  eventsPerPacket: 1024,
  /** Two claims per member (alive + current state) for ~100k members. */
  updatesPerSync: 200_000,
  /** userEventBufferSize's ceiling. */
  eventsPerSync: 16_384,
  /** A network coordinate's dimensions (VIVALDI.dimensions; one more is malformed). */
  coordinateDimensions: 8,
  /** Queries in one packet: the smallest query is ~80 bytes, and a packet is rarely more than a few. */
  queriesPerPacket: 256,
  /** Query responses in one packet (an answer is ~120 bytes at least). */
  responsesPerPacket: 512,
  /** Member ids one query's filter names: 64 ids of ~52 characters fit queryBudgetBytes' default only in part. */
  queryFilterIds: 64,
  /** Tag filters of one query. */
  queryFilterTags: 16,
} as const

/** A query's repeated fields as protons decode limits. */
export const QUERY_DECODE_LIMITS = {
  filterIds: DECODE_LIMITS.queryFilterIds,
  filterTags: DECODE_LIMITS.queryFilterTags,
} as const

/** The largest incarnation a claim can carry (uint32 on the wire): it never wraps; see SelfClaims. */
export const MAX_INCARNATION = 0xffff_ffff

/** The largest Lamport time of a user event (uint32 on the wire). */
export const MAX_LTIME = 0xffff_ffff

/**
 * How far one verified user event may move our Lamport clock forward at once. An event far ahead
 * of every other is refused (ltime-jump): a member that signed an event at 2^32 - 1 would
 * otherwise make every later event look stale and silence the cluster.
 */
export const MAX_LTIME_JUMP = 1 << 20

/** The wire version in every packet and push-pull message. Bump on an incompatible change. */
export const PROTOCOL_VERSION = 1

/** The cluster name when none is configured (see SwimConfig.cluster). */
export const DEFAULT_CLUSTER = 'default'

/** Domain separation for signatures, so a signed claim can never be replayed as anything else. */
export const SIGNING_DOMAIN = {
  update: 'murmur/update/v1\n',
  event: 'murmur/event/v1\n',
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

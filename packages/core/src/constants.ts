/** The wire version in every packet and push-pull message. Bump on an incompatible change. */
export const PROTOCOL_VERSION = 1

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
} as const

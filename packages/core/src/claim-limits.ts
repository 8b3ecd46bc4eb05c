import { type ClaimHeader, KIND_TO_STATE, Kind, type Update } from './codec/index.ts'
import type { ResolvedConfig } from './config.ts'
import type { DropReason } from './metrics.ts'

/**
 * The bounds every claim must meet before anything else is done with it, in one place: the full
 * check (claimProblem) and the header check of the push-pull fast path (headerWithinLimits)
 * derive from these numbers, so the two can never disagree.
 */
export const CLAIM_LIMITS = {
  /** Longest member id or `from`, in characters (a libp2p peer id string is 52). */
  maxIdChars: 256,
  /** Longest single address, in characters. */
  maxAddrChars: 1024,
} as const

/** Why a claim is out of bounds, as its drop reason; undefined when it is within them. */
export function claimProblem(u: Update, config: ResolvedConfig): DropReason | undefined {
  if (u.id === '' || u.from === '' || KIND_TO_STATE[u.kind] === undefined) return 'invalid-claim'
  if ((u.kind === Kind.ALIVE || u.kind === Kind.LEFT) && u.from !== u.id) return 'forged-origin'
  if (u.metadata.byteLength > config.maxMetadataBytes) return 'too-large'
  if (u.addrs.length > config.maxAddrsPerMember || u.addrs.some((a) => a.length > CLAIM_LIMITS.maxAddrChars)) {
    return 'too-large'
  }
  if (u.id.length > CLAIM_LIMITS.maxIdChars || u.from.length > CLAIM_LIMITS.maxIdChars) return 'invalid-claim'
  return undefined
}

/**
 * Is a claim with this header surely within every bound claimProblem checks? Only byte lengths
 * are known here; a lenient UTF-8 decode makes at most two characters of a byte, so half the
 * character bounds in bytes is surely within them. False means "not sure", not "invalid".
 */
export function headerWithinLimits(h: ClaimHeader, config: ResolvedConfig): boolean {
  if (h.id === '' || h.id.length > CLAIM_LIMITS.maxIdChars) return false
  if (h.fromBytes === 0 || h.fromBytes > CLAIM_LIMITS.maxIdChars / 2) return false
  if ((h.kind === Kind.ALIVE || h.kind === Kind.LEFT) && !h.fromIsId) return false
  if (h.metadataBytes > config.maxMetadataBytes) return false
  return h.addrs <= config.maxAddrsPerMember && h.maxAddrBytes <= CLAIM_LIMITS.maxAddrChars / 2
}

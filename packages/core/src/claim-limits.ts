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
  /** Longest single address, in characters (a relayed /p2p-circuit address is ~150). */
  maxAddrChars: 256,
  /** A report digest's bytes (SHA-256). */
  reportDigestBytes: 32,
} as const

/** Why a claim is out of bounds, as its drop reason; undefined when it is within them. */
export function claimProblem(u: Update, config: ResolvedConfig): DropReason | undefined {
  if (u.id === '' || u.from === '' || KIND_TO_STATE[u.kind] === undefined) return 'invalid-claim'
  if ((u.kind === Kind.ALIVE || u.kind === Kind.LEFT) && u.from !== u.id) return 'forged-origin'
  if (u.id.length > CLAIM_LIMITS.maxIdChars || u.from.length > CLAIM_LIMITS.maxIdChars) return 'invalid-claim'
  if (u.metadata.byteLength > config.maxMetadataBytes) return 'too-large'
  if (u.addrs.length > config.maxAddrsPerMember) return 'too-large'
  let total = 0
  for (const a of u.addrs) {
    if (a.length > CLAIM_LIMITS.maxAddrChars) return 'too-large'
    total += a.length
  }
  if (total > config.maxAddrBytes) return 'too-large'
  return reportProblem(u.kind, u.reportDigest?.byteLength, u.reportSize, config)
}

/** A claim's report fields: both or neither, ALIVE only, a 32-byte digest, 1 to maxReportBytes. */
function reportProblem(
  kind: Kind,
  digestBytes: number | undefined,
  size: number | undefined,
  config: ResolvedConfig,
): DropReason | undefined {
  if (digestBytes === undefined && size === undefined) return undefined
  if (kind !== Kind.ALIVE || digestBytes !== CLAIM_LIMITS.reportDigestBytes || size === undefined || size < 1) {
    return 'invalid-claim'
  }
  return size > config.maxReportBytes ? 'too-large' : undefined
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
  if (h.addrs > config.maxAddrsPerMember || h.maxAddrBytes > CLAIM_LIMITS.maxAddrChars / 2) return false
  if (h.reportDigestBytes !== 0 || h.reportSize !== 0) {
    const none = h.reportDigestBytes === 0 ? undefined : h.reportDigestBytes
    if (reportProblem(h.kind, none, h.reportSize === 0 ? undefined : h.reportSize, config) !== undefined) return false
  }
  return h.addrs * h.maxAddrBytes <= config.maxAddrBytes / 2
}

/**
 * The longest prefix of `addrs` that an alive claim may carry (count, each address's length, and
 * their total): what a node announces when it has more addresses than fit.
 */
export function fitAddresses(addrs: readonly string[], config: ResolvedConfig): string[] {
  const out: string[] = []
  let total = 0
  for (const a of addrs) {
    if (out.length === config.maxAddrsPerMember) break
    if (a.length > CLAIM_LIMITS.maxAddrChars || total + a.length > config.maxAddrBytes) continue
    total += a.length
    out.push(a)
  }
  return out
}
